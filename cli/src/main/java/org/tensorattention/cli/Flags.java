package org.tensorattention.cli;

import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.io.Progress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The option groups that several commands share, as picocli mixins: each option is declared once, with its
 * default in the annotation, which is also what --help shows.
 */
final class Flags {
    private Flags() {
    }

    /** A number that must be finite (NaN and infinities are refused). */
    static final class Finite implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x;
            try {
                x = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("expected a finite number, got '" + value + "'");
            }
            if (!Double.isFinite(x)) {
                throw new TypeConversionException("expected a finite number, got '" + value + "'");
            }
            return x;
        }
    }

    /** float32 or float64. */
    static final class Dtype implements ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            return switch (value) {
                case "float32" -> DType.FLOAT32;
                case "float64" -> DType.FLOAT64;
                default -> throw new TypeConversionException("expected float32 or float64, got '" + value + "'");
            };
        }
    }

    /** --threads. */
    static final class Threads {
        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "worker threads, 0 for one per processor (default: ${DEFAULT-VALUE})")
        int threads;

        int count() {
            if (threads < 0) {
                throw new UsageException("--threads must be >= 0, got " + threads);
            }
            return threads;
        }

        /** The number to use: all processors for 0. */
        int resolved() {
            return count() == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        }
    }

    /** --quiet: no progress display. */
    static final class Quiet {
        @Option(names = "--quiet", description = "no progress display on stderr")
        void quiet(boolean quiet) {
            Progress.setDefaultMode(quiet ? Progress.Mode.QUIET : Progress.Mode.fromSystem());
        }
    }

    /** --causal and --window. */
    static final class Masks {
        @Option(names = "--causal", description = "each query sees only keys j_t <= i")
        boolean causal;

        @Option(names = "--window", paramLabel = "W1,W2,..",
                description = "sliding window per key factor: i - W_t < j_t <= i (implies --causal)")
        String window;

        Mask mask() {
            if (window != null) {
                try {
                    return Mask.parseWindow(window);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--window " + window + ": " + e.getMessage());
                }
            }
            return causal ? Mask.CAUSAL : Mask.FULL;
        }
    }
}
