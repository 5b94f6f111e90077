package org.tensorattention.cli;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;
import org.tensorattention.io.OutputPlan;
import org.tensorattention.io.OutputTarget;

/** Reading the named arrays of a command's input file and writing its results. */
final class Inputs {
    private static final Pattern FACTOR = Pattern.compile("([kv])(\\d+)");

    private Inputs() {
    }

    /**
     * A command's arrays and its outputs, all checked before any work (--output and --report reserved, neither
     * the input nor each other). Closing it gives up the outputs that were not written.
     */
    record Job(Path input, Map<String, Tensor> arrays, OutputPlan plan, OutputTarget output, OutputTarget report)
            implements AutoCloseable {
        Tensor require(String name) {
            return Inputs.require(arrays, name, input);
        }

        /** Writes the --report JSON when one was asked for. */
        void report(Map<String, Object> json) throws java.io.IOException {
            if (report != null) {
                report.writeText(Json.render(json));
            }
        }

        @Override
        public void close() {
            plan.close();
        }
    }

    /** The arrays of an attention call: q, keys, values, and their resolved shape. */
    record Attention(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry geometry) {
    }

    /** Checks --output and --report first (before any work), then reads --input. */
    static Job open(Args args, OutputStream stdout) throws java.io.IOException {
        String input = args.required("input");
        String output = args.required("output");
        OutputPlan plan = new OutputPlan(stdout);
        try {
            plan.input("--input", input);
            OutputTarget o = plan.output("--output", output);
            OutputTarget r = args.has("report") ? plan.output("--report", args.required("report")) : null;
            return new Job(Path.of(input), read(Path.of(input)), plan, o, r);
        } catch (java.io.IOException | RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    /**
     * Refuses, before any allocation, outputs that cannot exist in this JVM: more elements than a Java array
     * holds, or more bytes than the heap has left. Each entry is an output's name and its element count.
     */
    static void requireRoom(DType dtype, Map<String, Long> outputs) {
        long total = 0;
        for (Map.Entry<String, Long> e : outputs.entrySet()) {
            long elements = e.getValue();
            if (elements > Integer.MAX_VALUE - 8) {
                throw new UsageException("the output " + e.getKey() + " would have " + elements
                        + " elements, more than a Java array holds (2^31 - 9)");
            }
            total += elements * dtype.bytes();
        }
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (total > free) {
            String name = outputs.size() == 1 ? "the output " + outputs.keySet().iterator().next()
                    : "the outputs " + String.join(", ", outputs.keySet());
            throw new UsageException(String.format(Locale.ROOT,
                    "%s would need %d elements (%s of %s), more than the %s the Java heap has left; "
                            + "raise it with JAVA_OPTS=-Xmx..", name, total / dtype.bytes(), gigabytes(total),
                    dtype.numpyName(), gigabytes(free)));
        }
    }

    private static String gigabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }

    /** Rows of q (every dimension but the last) times the value width: the element count of o. */
    static long outputElements(Tensor q, Tensor v) {
        long rows = 1;
        for (int i = 0; i < q.shape().length - 1; i++) {
            rows *= q.shape()[i];
        }
        return rows * v.dim(-1);
    }

    /** q, k1.., v1.. of the job, validated against each other. */
    static Attention attention(Job job) {
        Tensor q = job.require("q");
        List<List<Tensor>> kv = factors(job.arrays(), job.input());
        Geometry g = TensorAttention.geometry(q, kv.get(0), kv.get(1));
        return new Attention(q, kv.get(0), kv.get(1), g);
    }

    static Map<String, Tensor> read(Path input) throws java.io.IOException {
        if (!Files.exists(input)) {
            throw new UsageException("input file " + input + " does not exist");
        }
        return Npz.read(input);
    }

    static Tensor require(Map<String, Tensor> arrays, String name, Path file) {
        Tensor t = arrays.get(name);
        if (t == null) {
            throw new UsageException(file + " has no array '" + name + "'");
        }
        return t;
    }

    /** The key and value factors k1..km, v1..vm; each k needs its v and no index may be skipped. */
    static List<List<Tensor>> factors(Map<String, Tensor> arrays, Path file) {
        TreeSet<Integer> indices = new TreeSet<>();
        for (String name : arrays.keySet()) {
            Matcher m = FACTOR.matcher(name);
            if (m.matches()) {
                indices.add(Integer.parseInt(m.group(2)));
            }
        }
        if (indices.isEmpty()) {
            throw new UsageException(file + " has no keys: expected arrays k1, v1 (and k2, v2, .. for higher orders)");
        }
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; t <= indices.last(); t++) {
            Tensor k = arrays.get("k" + t);
            Tensor v = arrays.get("v" + t);
            if (k == null || v == null) {
                String missing = k == null ? "k" + t : "v" + t;
                String present = k == null ? "v" + t : "k" + t;
                throw new UsageException(file + " has no array '" + missing + "'"
                        + (arrays.containsKey(present) ? " to pair with '" + present + "'" : "")
                        + ": keys and values must pair up as k1/v1, k2/v2, ..");
            }
            keys.add(k);
            values.add(v);
        }
        return List.of(keys, values);
    }
}
