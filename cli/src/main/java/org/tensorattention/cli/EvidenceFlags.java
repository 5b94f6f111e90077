package org.tensorattention.cli;

import java.nio.file.Path;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;

/** Parsing shared by the bench and experiment commands. */
final class EvidenceFlags {
    private EvidenceFlags() {
    }

    static Path output(Args a, String fallback) {
        return Path.of(a.string("output", fallback));
    }

    static DType dtype(Args a, String command, String fallback) {
        return switch (a.string("dtype", fallback)) {
            case "float32" -> DType.FLOAT32;
            case "float64" -> DType.FLOAT64;
            default -> throw new UsageException(command + ": --dtype must be float32 or float64");
        };
    }

    /** --causal or --window W1,W2,.. (full otherwise). */
    static Mask mask(Args a) {
        if (a.has("window")) {
            try {
                return Mask.parseWindow(a.required("window"));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        return a.has("causal") ? Mask.CAUSAL : Mask.FULL;
    }

    /** Comma-separated numbers, e.g. {@code 0.5,1,2}. */
    static double[] numbers(Args a, String command, String name, double[] fallback) {
        if (!a.has(name)) {
            return fallback;
        }
        String v = a.required(name);
        String[] parts = v.split(",");
        double[] r = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException(command + ": --" + name + " expects numbers like 0.5,1,2, got '" + v + "'");
            }
            if (!Double.isFinite(r[i])) {
                throw new UsageException(command + ": --" + name + " expects finite numbers, got '" + v + "'");
            }
        }
        return r;
    }

    static int threads(Args a, String command) {
        int t = a.integer("threads", 0);
        if (t < 0) {
            throw new UsageException(command + ": --threads must be >= 0, got " + t);
        }
        return t;
    }
}
