package org.tensorattention.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.sql.SparkSession;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.AttentionFiles;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;

/**
 * {@code forward} and {@code backward} with {@code --spark MASTER}: the command line's options already
 * parsed, an .npz file or a Parquet folder of token rows ({@link TokenRows}) in and out, the same arrays as
 * without Spark, and a report that adds tasks, executors and the time spent outside kernels.
 *
 * <p>Bad input ends as without Spark: one line naming the problem, exit status 2, no output left behind
 * (a Parquet output is written to a hidden sibling folder and moved into place only when complete).
 */
public final class SparkCli {
    private SparkCli() {
    }

    /**
     * Runs {@code command} (forward or backward) on Spark.
     *
     * @param master  local[N] or spark://host:port
     * @param report  where to write the JSON report, or null
     * @return the exit status: 0, 2 for bad input, 1 when Spark itself failed
     */
    public static int run(String command, String master, AttentionOptions options, Path input, Path output,
                          Path report, PrintStream err) {
        String prefix = "tensor-attention " + command + ": ";
        Path staging = null;
        try {
            if (!command.equals("forward") && !command.equals("backward")) {
                throw new IllegalArgumentException("--spark runs forward and backward only, not " + command);
            }
            boolean parquetOut = !output.getFileName().toString().endsWith(".npz");
            checkOutput(output, parquetOut);
            if (!Files.exists(input)) {
                throw new IllegalArgumentException("input file " + input + " does not exist");
            }
            boolean parquetIn = Files.isDirectory(input);
            // An .npz is read and checked before Spark starts: bad input fails in a moment.
            Map<String, Tensor> arrays = parquetIn ? null : Npz.read(input);
            if (arrays != null) {
                check(command, arrays, input);
            }
            Session session = Session.open(master);
            try {
                if (parquetIn) {
                    arrays = TokenRows.arrays(TokenRows.read(session.spark, input.toString()), input.toString());
                    check(command, arrays, input);
                }
                Tensor q = arrays.get("q");
                List<List<Tensor>> kv = factors(arrays, input);
                Map<String, Tensor> results = new LinkedHashMap<>();
                Map<String, Object> json;
                JavaSparkContext sc = JavaSparkContext.fromSparkContext(session.spark.sparkContext());
                Geometry g = TensorAttention.geometry(q, kv.get(0), kv.get(1));
                if (parquetOut) {
                    requireTokenShaped(g, q, kv.get(0));
                }
                if (command.equals("forward")) {
                    SparkAttention.Result r = SparkAttention.forward(sc, q, kv.get(0), kv.get(1), options,
                            Settings.defaults());
                    results.put("o", r.result().output());
                    json = report(command, master, g, q, options, r.result().method(), r.result().seconds(),
                            r.result().flops(), r.result().poly(), r.result().reason(), r.report());
                } else {
                    Tensor dout = arrays.get("dout");
                    SparkAttention.Gradients r = SparkAttention.backward(sc, q, kv.get(0), kv.get(1), dout, null,
                            options, Settings.defaults());
                    GradientResult gr = r.result();
                    results.put("o", gr.output());
                    results.put("dq", gr.dq());
                    for (int t = 0; t < gr.dk().size(); t++) {
                        results.put("dk" + (t + 1), gr.dk().get(t));
                    }
                    for (int t = 0; t < gr.dv().size(); t++) {
                        results.put("dv" + (t + 1), gr.dv().get(t));
                    }
                    json = report(command, master, g, q, options, gr.method(), gr.seconds(), gr.flops(), gr.poly(),
                            gr.reason(), r.report());
                }
                if (parquetOut) {
                    staging = output.resolveSibling("." + output.getFileName() + ".partial-" + UUID.randomUUID());
                    TokenRows.write(TokenRows.of(session.spark, results), staging.toString());
                    Files.move(staging, output, StandardCopyOption.ATOMIC_MOVE);
                    staging = null;
                } else {
                    Npz.write(output, results);
                }
                if (report != null) {
                    Json.write(report, json);
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
            delete(staging);
        }
    }

    /** The JVM options Spark's launcher adds on JDK 17 and later, for executors started elsewhere. */
    public static String executorJavaOptions() {
        return JavaModuleOptions.defaultModuleOptions();
    }

    private static void checkOutput(Path output, boolean parquet) {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output folder " + dir + " does not exist");
        }
        if (parquet && Files.exists(output)) {
            throw new IllegalArgumentException("output " + output + " already exists (a Parquet output is a new folder)");
        }
        if (!parquet && Files.isDirectory(output)) {
            throw new IllegalArgumentException("output " + output + " is a folder, not a file");
        }
    }

    /** The arrays the command needs, validated against each other as without Spark. */
    private static void check(String command, Map<String, Tensor> arrays, Path input) {
        if (!arrays.containsKey("q")) {
            throw new IllegalArgumentException(input + " has no array 'q'");
        }
        List<List<Tensor>> kv = factors(arrays, input);
        TensorAttention.geometry(arrays.get("q"), kv.get(0), kv.get(1));
        if (command.equals("backward") && !arrays.containsKey("dout")) {
            throw new IllegalArgumentException(input + " has no array 'dout'");
        }
    }

    static List<List<Tensor>> factors(Map<String, Tensor> arrays, Path file) {
        return AttentionFiles.factors(arrays, file);
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

    private static void delete(Path folder) {
        if (folder == null || !Files.exists(folder)) {
            return;
        }
        try (Stream<Path> all = Files.walk(folder)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A leftover hidden staging folder is harmless; the command's own error is what the user needs.
        }
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
