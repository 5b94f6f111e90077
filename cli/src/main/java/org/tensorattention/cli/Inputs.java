package org.tensorattention.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.io.AttentionFiles;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;
import org.tensorattention.io.NpzException;
import org.tensorattention.io.OutputPlan;
import org.tensorattention.io.OutputTarget;
import org.tensorattention.io.TempFiles;
import picocli.CommandLine.Option;

/**
 * The files of the array commands: --input (an .npz, or - for stdin), --output and --report (- for stdout),
 * checked before any work; and the rules for what the input may hold:
 *
 * <ul>
 *   <li>every array must be one the command uses; an unknown one is an error naming it, or a warning with
 *       --allow-extra;</li>
 *   <li>arrays are float32 or float64; float16, integer and bool arrays are refused with a message saying how
 *       to convert them (a silent conversion would change what the results' dtype means);</li>
 *   <li>the results take the dtype of q (a1 for loss-gradient); an array of the other float dtype is
 *       converted to it, with a one-line notice on stderr.</li>
 * </ul>
 */
final class Inputs {

    private Inputs() {
    }

    /** --input, --output, --report and --allow-extra. */
    static final class FileFlags {
        @Option(names = "--input", paramLabel = "IN.npz", required = true, description = "the arrays, - for stdin")
        String input;

        @Option(names = "--output", paramLabel = "OUT.npz", required = true,
                description = "where the results go, - for stdout (written only on success)")
        String output;

        @Option(names = "--report", paramLabel = "FILE.json", description = "also write what was done: method, seconds, flops, sizes")
        String report;

        @Option(names = "--allow-extra", description = "warn about arrays the command does not use, instead of refusing them")
        boolean allowExtra;
    }

    /**
     * A command's arrays and its outputs, all checked before any work (--output and --report reserved, neither
     * the input nor each other). Closing it gives up the outputs that were not written.
     */
    static final class Job implements AutoCloseable {
        final String command;
        final String input;
        final Map<String, Tensor> arrays;
        final Map<String, String> fileDtypes;
        final OutputPlan plan;
        final OutputTarget output;
        final OutputTarget report;
        final boolean allowExtra;
        final Set<String> used = new LinkedHashSet<>();

        Job(String command, String input, Map<String, Tensor> arrays, Map<String, String> fileDtypes, OutputPlan plan,
            OutputTarget output, OutputTarget report, boolean allowExtra) {
            this.command = command;
            this.input = input;
            this.arrays = arrays;
            this.fileDtypes = fileDtypes;
            this.plan = plan;
            this.output = output;
            this.report = report;
            this.allowExtra = allowExtra;
        }

        /** The array, which must be there and be float32 or float64. */
        Tensor require(String name) {
            Tensor t = arrays.get(name);
            if (t == null) {
                throw new UsageException(input + " has no array '" + name + "'");
            }
            return use(name, t);
        }

        /** The packed offsets (cu_seqlens, or cu_seqlens_q and cu_seqlens_k) as {cuQ, cuK}, or null. */
        int[][] offsets() {
            int[][] cu;
            try {
                cu = AttentionFiles.packedOffsets(arrays, fileDtypes, input);
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
            for (String name : AttentionFiles.OFFSETS) {
                if (cu != null && arrays.containsKey(name)) {
                    used.add(name);
                }
            }
            return cu;
        }

        /** The array when present. */
        Tensor optional(String name) {
            Tensor t = arrays.get(name);
            return t == null ? null : use(name, t);
        }

        private Tensor use(String name, Tensor t) {
            String dtype = fileDtypes.get(name);
            if (dtype != null && !dtype.equals("float32") && !dtype.equals("float64")) {
                throw new UsageException(input + ": array '" + name + "' is " + dtype + "; " + command
                        + " takes float32 or float64 arrays (convert with numpy: a.astype(np.float32))");
            }
            used.add(name);
            return t;
        }

        /**
         * After every array has been taken: refuses (or, with --allow-extra, reports) the others, and says
         * which arrays will be converted to the dtype of {@code lead}.
         */
        void finish(String lead, PrintStream err) {
            List<String> extra = new ArrayList<>();
            for (String name : arrays.keySet()) {
                if (!used.contains(name)) {
                    extra.add("'" + name + "'");
                }
            }
            if (!extra.isEmpty()) {
                String list = String.join(", ", extra);
                String what = (extra.size() == 1 ? "array " : "arrays ") + list;
                if (!allowExtra) {
                    throw new UsageException(input + " has " + what + " that " + command
                            + " does not use (--allow-extra ignores " + (extra.size() == 1 ? "it" : "them") + ")");
                }
                err.println("tensor-attention " + command + ": ignoring " + what + " of " + input);
            }
            DType target = arrays.get(lead).dtype();
            List<String> converted = new ArrayList<>();
            DType from = null;
            for (String name : used) {
                DType d = arrays.get(name).dtype();
                String inFile = fileDtypes.getOrDefault(name, "");
                boolean offsets = inFile.startsWith("int") || inFile.startsWith("uint");
                if (d != target && arrays.get(name).shape().length > 0 && !offsets) {
                    converted.add(name);
                    from = d;
                }
            }
            if (!converted.isEmpty()) {
                err.println("tensor-attention " + command + ": " + String.join(", ", converted) + " converted from "
                        + from.numpyName() + " to " + target.numpyName() + ", the dtype of " + lead);
            }
        }

        /** Writes the --report JSON when one was asked for. */
        void report(Map<String, Object> json) throws IOException {
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
    record Attention(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry geometry, int[] cuQ, int[] cuK) {
        /** Whether the rows are packed sequences (cu_seqlens). */
        boolean packed() {
            return cuQ != null;
        }
    }

    /** Checks --output and --report first (before any work), then reads --input. */
    static Job open(String command, FileFlags f, InputStream stdin, OutputStream stdout) throws IOException {
        OutputPlan plan = new OutputPlan(stdout);
        try {
            plan.input("--input", f.input);
            OutputTarget o = plan.output("--output", f.output);
            OutputTarget r = f.report == null ? null : plan.output("--report", f.report);
            Map<String, Tensor> arrays;
            Map<String, String> dtypes;
            if (f.input.equals("-")) {
                Path temp = TempFiles.create(Path.of(System.getProperty("java.io.tmpdir")), "stdin.npz");
                try {
                    Files.copy(stdin, temp, StandardCopyOption.REPLACE_EXISTING);
                    dtypes = fileDtypes(temp);
                    arrays = read(temp, "- (stdin)");
                } finally {
                    TempFiles.delete(temp);
                }
            } else {
                Path in = Path.of(f.input);
                if (!Files.exists(in)) {
                    throw new UsageException("input file " + f.input + " does not exist");
                }
                dtypes = fileDtypes(in);
                arrays = Npz.read(in);
            }
            return new Job(command, f.input.equals("-") ? "stdin" : f.input, arrays, dtypes, plan, o, r, f.allowExtra);
        } catch (IOException | RuntimeException e) {
            plan.close();
            throw e;
        }
    }

    /** Reads an .npz from a temporary copy, naming it as the user did. */
    private static Map<String, Tensor> read(Path temp, String name) throws NpzException {
        try {
            return Npz.read(temp);
        } catch (NpzException e) {
            throw new NpzException(e.getMessage().replace(temp.toString(), name), e);
        }
    }

    static Map<String, String> fileDtypes(Path file) {
        return AttentionFiles.fileDtypes(file);
    }

    /** q, k1.., v1.. of the job, validated against each other and against the mask. */
    static Attention attention(Job job, org.tensorattention.core.AttentionOptions options) {
        org.tensorattention.core.Mask mask = options.mask();
        Tensor q = job.require("q");
        List<List<Tensor>> kv = factors(job);
        int factors = kv.get(0).size();
        int widths = mask.intervals() instanceof org.tensorattention.core.Mask.Window w ? w.widths().length : 0;
        if (widths != 0 && widths != factors) {
            throw new UsageException("--window gives " + widths + (widths == 1 ? " width" : " widths") + " but "
                    + job.input + " has " + factors + (factors == 1 ? " key factor" : " key factors")
                    + " (order " + (factors + 1) + "): give one width per factor");
        }
        int[][] cu = job.offsets();
        Geometry g = cu == null ? Validation.geometry(q, kv.get(0), kv.get(1), options.layout())
                : Validation.packedGeometry(q, kv.get(0), kv.get(1), options.layout());
        return new Attention(q, kv.get(0), kv.get(1), g, cu == null ? null : cu[0], cu == null ? null : cu[1]);
    }

    /** The key and value factors k1..km, v1..vm; each k needs its v and no index may be skipped. */
    static List<List<Tensor>> factors(Job job) {
        List<List<Tensor>> kv;
        try {
            kv = AttentionFiles.factors(job.arrays, job.input);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; t <= kv.get(0).size(); t++) {
            keys.add(job.require("k" + t));
            values.add(job.require("v" + t));
        }
        return List.of(keys, values);
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
}
