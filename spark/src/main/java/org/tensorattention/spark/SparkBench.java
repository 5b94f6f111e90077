package org.tensorattention.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * The overhead of Spark over one machine, as a benchmark (not a test): the same call through
 * {@link TensorAttention} with all cores and through {@link SparkAttention} on the given master, best of a
 * few runs after a warm-up, with the distributed run's tasks, kernel time and time outside kernels.
 *
 * <p>{@code SparkBench MASTER exact|poly N [REPEATS]}: order 3, d = dv = 8, float32, full mask, entries in
 * [-1, 1] (the demo's problem); poly with epsilon 1e-3. {@code SparkBench MASTER packed B [REPEATS]}: B causal
 * sequences of 16..256 rows packed along the rows (cu_seqlens), exact, through {@link Packed} and
 * {@link SparkAttention#forwardPacked} (short sequences in one job), against a call per sequence (several in
 * flight, and one at a time) in the same JVM.
 */
public final class SparkBench {
    private SparkBench() {
    }

    public static void main(String[] argv) {
        String master = argv[0];
        boolean poly = argv[1].equals("poly");
        boolean packed = argv[1].equals("packed");
        int n = Integer.parseInt(argv[2]);
        int repeats = argv.length > 3 ? Integer.parseInt(argv[3]) : 3;
        int d = 8;
        Random rnd = new Random(1);
        // packed: n sequences of 16..256 rows, one after another.
        int[] cu = new int[packed ? n + 1 : 0];
        for (int b = 1; b < cu.length; b++) {
            cu[b] = cu[b - 1] + 16 + rnd.nextInt(241);
        }
        int rows = packed ? cu[n] : n;
        Tensor q = random(rnd, rows, d);
        List<Tensor> k = List.of(random(rnd, rows, d), random(rnd, rows, d));
        List<Tensor> v = List.of(random(rnd, rows, d), random(rnd, rows, d));
        AttentionOptions o = AttentionOptions.defaults().withMethod(poly ? Method.POLY : Method.EXACT)
                .withEpsilon(1e-3);
        if (packed) {
            o = o.causal();
        }
        double single = Double.POSITIVE_INFINITY;
        AttentionResult one = null;
        for (int r = 0; r <= repeats; r++) {
            long t0 = System.nanoTime();
            one = packed ? Packed.forward(q, k, v, cu, cu, o) : TensorAttention.forward(q, k, v, o);
            double s = (System.nanoTime() - t0) * 1e-9;
            single = r == 0 ? single : Math.min(single, s);
        }
        SparkSession spark = SparkSession.builder().master(master).appName("tensor-attention-bench")
                .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        List<SparkAttention.Result> runs = new ArrayList<>();
        for (int r = 0; r <= repeats; r++) {
            runs.add(packed ? SparkAttention.forwardPacked(sc, q, k, v, cu, cu, o, Settings.defaults())
                    : SparkAttention.forward(sc, q, k, v, o, Settings.defaults()));
        }
        // The same batch with a call per sequence (several in flight, then one at a time), in the same JVM,
        // alternated with the default (short sequences in one job).
        Settings perCall = Settings.defaults().withShortFlops(0);
        List<SparkAttention.Result> calls = new ArrayList<>();
        List<SparkAttention.Result> serial = new ArrayList<>();
        for (int r = 0; packed && r <= repeats; r++) {
            calls.add(SparkAttention.forwardPacked(sc, q, k, v, cu, cu, o, perCall));
            serial.add(SparkAttention.forwardPacked(sc, q, k, v, cu, cu, o, perCall.withSequenceCalls(1)));
            runs.add(SparkAttention.forwardPacked(sc, q, k, v, cu, cu, o, Settings.defaults()));
        }
        if (packed) {
            for (List<SparkAttention.Result> each : List.of(calls, serial)) {
                Report s = each.subList(1, each.size()).stream()
                        .min((a, b) -> Double.compare(a.report().seconds(), b.report().seconds())).orElseThrow()
                        .report();
                System.out.printf(Locale.ROOT, "%s: %.3f s, %d tasks, outside kernels %.3f s%n",
                        each == calls ? "a call per sequence" : "one sequence at a time", s.seconds(), s.tasks(),
                        s.outsideKernels());
            }
        }
        spark.stop();
        SparkAttention.Result best = runs.subList(1, runs.size()).stream()
                .min((a, b) -> Double.compare(a.report().seconds(), b.report().seconds())).orElseThrow();
        Report rep = best.report();
        double diff = 0;
        for (int i = 0; i < one.output().size(); i++) {
            diff = Math.max(diff, Math.abs(one.output().get(i) - best.result().output().get(i)));
        }
        System.out.printf(Locale.ROOT,
                "%s %s n=%d (" + rows + " rows): single %.3f s, spark %.3f s (%.2fx); %d tasks on %d executor(s), kernels %.3f s summed "
                        + "(%.4f s per task), outside kernels %.3f s; max |diff| %.2e; %.3g flops%n",
                master, argv[1], n, single, rep.seconds(), rep.seconds() / single, rep.tasks(),
                rep.executors(), rep.kernelSeconds(), rep.kernelSeconds() / Math.max(1, rep.tasks()),
                rep.outsideKernels(), diff, best.result().flops());
    }

    private static Tensor random(Random rnd, int rows, int cols) {
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return Tensor.of(x, rows, cols);
    }
}
