package org.tensorattention.spark;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.SparkSession;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.io.AttentionFiles;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;
import org.tensorattention.io.OutputFolder;
import org.tensorattention.io.OutputPlan;
import org.tensorattention.io.OutputTarget;
import org.tensorattention.io.TempFiles;

/**
 * {@code forward} and {@code backward} with {@code --spark MASTER}: the command line's options already
 * parsed, an .npz file or a Parquet folder of token rows ({@link TokenRows}) in and out, the same arrays as
 * without Spark, and a report that adds tasks, executors and the time spent outside kernels.
 *
 * <p>Bad input ends as without Spark: one line naming the problem, exit status 2, no output left behind
 * (a Parquet output is written into a hidden folder beside it and renamed into place only when complete).
 */
public final class SparkCli {
    private SparkCli() {
    }

    /**
     * Runs {@code command} (forward or backward) on Spark, with the command line's file rules: --input is an
     * .npz, - for stdin, or a Parquet folder; --output an .npz target ({@link OutputTarget}: -, pipes and
     * devices straight through, files replaced whole) or, when its name does not end in .npz, a new Parquet
     * folder ({@link OutputFolder}); --report a JSON target. All are checked before Spark starts.
     *
     * @param master     local[N] or spark://host:port
     * @param report     where to write the JSON report, or null
     * @param allowExtra warn about input arrays the command does not use instead of refusing them
     * @return the exit status: 0, 2 for bad input, 1 when Spark itself failed
     */
    public static int run(String command, String master, AttentionOptions options, String input, String output,
                          String report, boolean allowExtra, InputStream stdin, OutputStream stdout,
                          PrintStream err) {
        String prefix = "tensor-attention " + command + ": ";
        Path spooled = null;
        try (OutputPlan plan = new OutputPlan(stdout)) {
            if (!command.equals("forward") && !command.equals("backward")) {
                throw new IllegalArgumentException("--spark runs forward and backward only, not " + command);
            }
            plan.input("--input", input);
            boolean parquetOut = isFolderName(output);
            OutputFolder folder = parquetOut ? plan.folder("--output", output) : null;
            OutputTarget npz = parquetOut ? null : plan.output("--output", output);
            OutputTarget json = report == null ? null : plan.output("--report", report);
            Path in;
            if (input.equals("-")) {
                spooled = TempFiles.create(Path.of(System.getProperty("java.io.tmpdir")), "stdin.npz");
                Files.copy(stdin, spooled, StandardCopyOption.REPLACE_EXISTING);
                in = spooled;
            } else {
                in = Path.of(input);
                if (!Files.exists(in)) {
                    throw new IllegalArgumentException("input file " + input + " does not exist");
                }
            }
            String name = input.equals("-") ? "stdin" : input;
            boolean parquetIn = Files.isDirectory(in);
            // An .npz is read and checked before Spark starts: bad input fails in a moment.
            Map<String, Tensor> arrays = parquetIn ? null : Npz.read(in);
            if ((parquetIn || parquetOut) && options.layout() != AttentionOptions.Layout.BHSD) {
                throw new IllegalArgumentException("Parquet token rows are (problem, position) rows of bhsd arrays: "
                        + "--layout bshd takes .npz files");
            }
            int[][] cu = null;
            Geometry g = null;
            if (arrays != null) {
                cu = AttentionFiles.packedOffsets(arrays, AttentionFiles.fileDtypes(in), name);
                g = check(command, arrays, name, options, cu, allowExtra, err);
            }
            Session session = Session.open(master);
            try {
                if (parquetIn) {
                    arrays = TokenRows.arrays(TokenRows.read(session.spark, in.toString()), name);
                    g = check(command, arrays, name, options, null, allowExtra, err);
                }
                Tensor q = arrays.get("q");
                List<List<Tensor>> kv = AttentionFiles.factors(arrays, name);
                Map<String, Tensor> results = new LinkedHashMap<>();
                Map<String, Object> j;
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(session.spark.sparkContext());
                if (parquetOut) {
                    requireTokenShaped(g, q, kv.get(0));
                }
                if (command.equals("forward")) {
                    SparkAttention.Result r = cu != null
                            ? SparkAttention.forwardPacked(sc, q, kv.get(0), kv.get(1), cu[0], cu[1], options,
                                    Settings.defaults())
                            : SparkAttention.forward(sc, q, kv.get(0), kv.get(1), options, Settings.defaults());
                    results.put("o", r.result().output());
                    Tensor lse = r.result().logSumExp();
                    if (lse != null) {
                        // Token rows carry arrays of rows: the lse as (problems, n, 1).
                        results.put("lse", parquetOut ? Tensor.of(lse.doubles(), Geometry.concat(lse.shape(), 1))
                                : lse);
                    }
                    j = report(command, master, g, q, options, r.result().method(), r.result().seconds(),
                            r.result().flops(), r.result().poly(), r.result().reason(), r.report());
                } else {
                    Tensor dout = arrays.get("dout");
                    SparkAttention.Gradients r = cu != null
                            ? SparkAttention.backwardPacked(sc, q, kv.get(0), kv.get(1), dout, cu[0], cu[1], options,
                                    Settings.defaults())
                            : SparkAttention.backward(sc, q, kv.get(0), kv.get(1), dout, null, options,
                                    Settings.defaults());
                    GradientResult gr = r.result();
                    results.put("o", gr.output());
                    results.put("dq", gr.dq());
                    for (int t = 0; t < gr.dk().size(); t++) {
                        results.put("dk" + (t + 1), gr.dk().get(t));
                    }
                    for (int t = 0; t < gr.dv().size(); t++) {
                        results.put("dv" + (t + 1), gr.dv().get(t));
                    }
                    j = report(command, master, g, q, options, gr.method(), gr.seconds(), gr.flops(), gr.poly(),
                            gr.reason(), r.report());
                }
                if (parquetOut) {
                    TokenRows.write(TokenRows.of(session.spark, results), folder.staging().toString());
                    folder.commit();
                } else {
                    npz.writeNpz(results);
                }
                if (json != null) {
                    json.writeText(Json.render(j));
                }
            } finally {
                session.close();
            }
            return 0;
        } catch (IllegalArgumentException | UnsupportedOperationException | IOException e) {
            err.println(prefix + oneLine(e.getMessage()));
            return 2;
        } catch (RuntimeException e) {
            err.println(prefix + "spark failed: " + oneLine(String.valueOf(e.getMessage())));
            return 1;
        } finally {
            if (spooled != null) {
                TempFiles.delete(spooled);
            }
        }
    }

    /** A Parquet folder unless the name is -, ends in .npz, or is something that exists and is no folder. */
    static boolean isFolderName(String output) {
        if (output.equals("-") || output.endsWith(".npz")) {
            return false;
        }
        Path p = Path.of(output);
        return !Files.exists(p) || Files.isDirectory(p);
    }

    /** The JVM options Spark's launcher adds on JDK 17 and later, for executors started elsewhere. */
    public static String executorJavaOptions() {
        return JavaModuleOptions.defaultModuleOptions();
    }

    /**
     * The arrays the command needs, validated against each other as without Spark; any other array is refused
     * (or, with allowExtra, named on err); their geometry.
     */
    private static Geometry check(String command, Map<String, Tensor> arrays, String input, AttentionOptions options,
                              int[][] cu, boolean allowExtra, PrintStream err) {
        if (!arrays.containsKey("q")) {
            throw new IllegalArgumentException(input + " has no array 'q'");
        }
        List<List<Tensor>> kv = AttentionFiles.factors(arrays, input);
        // Packed sequences may have no key rows at all (o = 0, lse = -inf), as on one machine.
        Geometry g = cu == null ? Validation.geometry(arrays.get("q"), kv.get(0), kv.get(1), options.layout())
                : Validation.packedGeometry(arrays.get("q"), kv.get(0), kv.get(1), options.layout());
        Validation.align(g, options);
        if (command.equals("backward") && !arrays.containsKey("dout")) {
            throw new IllegalArgumentException(input + " has no array 'dout'");
        }
        if (command.equals("backward")) {
            AttentionFiles.requireDoutShape(arrays.get("q"), kv.get(1).get(0), arrays.get("dout"));
        }
        Set<String> used = new HashSet<>(List.of("q"));
        if (cu != null) {
            // The offsets against the rows, before Spark starts (the packed call checks them again).
            Packed.check(arrays.get("q"), kv.get(0), kv.get(1), cu[0], cu[1], options.layout());
            for (String name : AttentionFiles.OFFSETS) {
                if (arrays.containsKey(name)) {
                    used.add(name);
                }
            }
        }
        for (int t = 1; t <= kv.get(0).size(); t++) {
            used.add("k" + t);
            used.add("v" + t);
        }
        if (command.equals("backward")) {
            used.add("dout");
        }
        List<String> extra = new ArrayList<>();
        for (String a : arrays.keySet()) {
            if (!used.contains(a)) {
                extra.add("'" + a + "'");
            }
        }
        if (!extra.isEmpty()) {
            String what = (extra.size() == 1 ? "array " : "arrays ") + String.join(", ", extra);
            if (!allowExtra) {
                throw new IllegalArgumentException(input + " has " + what + " that " + command
                        + " does not use (--allow-extra ignores " + (extra.size() == 1 ? "it" : "them") + ")");
            }
            err.println("tensor-attention " + command + ": ignoring " + what + " of " + input);
        }
        return g;
    }

    /** Token rows need every array on the same (problem, position) grid. */
    private static void requireTokenShaped(Geometry g, Tensor q, List<Tensor> keys) {
        boolean ok = q.rank() <= 3 && g.kvProblems() == g.problems();
        for (int nk : g.nk()) {
            ok &= nk == g.nq();
        }
        if (!ok) {
            throw new IllegalArgumentException("a Parquet output holds token rows: q must be (problems, n, d) with "
                    + "keys and values of the same problems and n (write an .npz for other shapes)");
        }
    }

    private static Map<String, Object> report(String command, String master, Geometry g, Tensor q,
                                              AttentionOptions o, org.tensorattention.core.Method method,
                                              double seconds, double flops, AttentionResult.PolyInfo poly,
                                              String reason, Report r) {
        Map<String, Object> j = AttentionFiles.report(command, g, q, o, method, seconds, flops, poly, reason);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("master", master);
        s.put("tasks", r.tasks());
        s.put("failed_tasks", r.failedTasks());
        s.put("executors", r.executors());
        s.put("kernel_seconds", r.kernelSeconds());
        s.put("outside_kernels_seconds", r.outsideKernels());
        j.put("spark", s);
        return j;
    }

    private static String oneLine(String message) {
        String m = message == null ? "failed" : message;
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    /** A Spark session for one command: the running one when there is one (kept), else a new one (stopped). */
    private record Session(SparkSession spark, boolean owned) {
        static Session open(String master) {
            if (SparkSession.getDefaultSession().isDefined()) {
                return new Session(SparkSession.getDefaultSession().get(), false);
            }
            if (System.getProperty("log4j2.configurationFile") == null) {
                // Spark logs at INFO on stderr by default; a command line keeps stderr for its one-line errors.
                System.setProperty("log4j2.configurationFile", "org/tensorattention/spark/log4j2-cli.properties");
            }
            SparkSession s = SparkSession.builder().master(master).appName("tensor-attention")
                    .config("spark.ui.enabled", "false")
                    .config("spark.executor.extraJavaOptions", executorJavaOptions())
                    .getOrCreate();
            return new Session(s, true);
        }

        void close() {
            if (owned) {
                spark.stop();
            }
        }
    }
}
