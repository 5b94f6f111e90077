package org.tensorattention.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorattention.evidence.FmaPeak;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * Exact backward time over exact forward time, order 3, measured in the same run on the same inputs.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar \
 *     org.tensorattention.bench.BackwardBench [n=512,1024] [d=16,64] [dtype=float32,float64] [reps=3] [threads=0]
 *     [mask=full|causal] [clock=wall|cpu]
 * </pre>
 *
 * Each timing is the median of reps runs after one warm-up; dv = d, entries uniform in [-1, 1], full mask
 * (or {@code mask=causal}). The kernels' own wall times are used (validation excluded); the backward reuses
 * the forward's output and log-sum-exp. The FMA peak is measured in the same run, for scale.
 *
 * <p>{@code clock=cpu} runs on one thread (the caller) and times each call by that thread's CPU time, so
 * other processes on a shared machine do not stretch the figures; the peak is then the one-thread peak.
 */
public final class BackwardBench {
    private static double[] peaks;
    private static boolean cpuClock;

    private BackwardBench() {
    }

    public static void main(String[] args) {
        int[] ns = {512, 1024};
        int[] ds = {16, 64};
        String[] dtypes = {"float32", "float64"};
        int reps = 3;
        int threads = 0;
        String mask = "full";
        boolean cpu = false;
        for (String arg : args) {
            String[] kv = arg.split("=", 2);
            switch (kv[0]) {
                case "n" -> ns = ints(kv[1]);
                case "d" -> ds = ints(kv[1]);
                case "dtype" -> dtypes = kv[1].split(",");
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "threads" -> threads = Integer.parseInt(kv[1]);
                case "mask" -> mask = kv[1];
                case "clock" -> cpu = kv[1].equals("cpu");
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        AttentionOptions opt = AttentionOptions.defaults().withThreads(cpu ? 1 : threads);
        cpuClock = cpu;
        if (mask.equals("causal")) {
            opt = opt.causal();
        }
        int t = opt.threadCount();
        double peakF = cpu ? FmaPeak.cpuGflops(true, 50_000_000) : FmaPeak.gflops(true, t, 50_000_000);
        double peakD = cpu ? FmaPeak.cpuGflops(false, 50_000_000) : FmaPeak.gflops(false, t, 50_000_000);
        System.out.printf(Locale.ROOT, "order 3, %s mask, %d threads, %s time, median of %d; FMA peak float %.1f,"
                + " double %.1f GFLOP/s%n%n", mask, t, cpu ? "thread CPU" : "wall", reps, peakF, peakD);
        System.out.println("| dtype | n | d = dv | forward s | backward s | backward / forward | forward GFLOP/s"
                + " (of peak) | backward model GFLOP/s (of peak) |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        peaks = new double[] {peakF, peakD};
        for (String dt : dtypes) {
            for (int n : ns) {
                for (int d : ds) {
                    run(DType.valueOf(dt.toUpperCase()), n, d, reps, opt);
                }
            }
        }
    }

    private static void run(DType dt, int n, int d, int reps, AttentionOptions opt) {
        Random rnd = new Random(n * 31L + d);
        Tensor q = random(rnd, n, d, dt);
        List<Tensor> keys = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
        List<Tensor> values = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
        Tensor dout = random(rnd, n, d, dt);
        double[] fw = new double[reps];
        double[] bw = new double[reps];
        AttentionResult f = null;
        GradientResult g = null;
        for (int r = -1; r < reps; r++) {
            long c0 = Clock.cpuNanos();
            f = TensorAttention.forward(q, keys, values, opt);
            long c1 = Clock.cpuNanos();
            g = TensorAttention.backward(q, keys, values, dout, f, opt);
            long c2 = Clock.cpuNanos();
            if (r >= 0) {
                fw[r] = cpuClock ? (c1 - c0) * 1e-9 : f.seconds();
                bw[r] = cpuClock ? (c2 - c1) * 1e-9 : g.seconds();
            }
        }
        double fs = median(fw);
        double bs = median(bw);
        double peak = peaks[dt == DType.FLOAT32 ? 0 : 1];
        double fg = f.flops() / fs * 1e-9;
        double bg = g.flops() / bs * 1e-9;
        System.out.printf(Locale.ROOT, "| %s | %d | %d | %.3f | %.3f | %.2f | %.1f (%.2f) | %.1f (%.2f) |%n",
                dt.numpyName(), n, d, fs, bs, bs / fs, fg, fg / peak, bg, bg / peak);
    }

    private static Tensor random(Random rnd, int rows, int cols, DType dt) {
        double[] a = new double[rows * cols];
        for (int x = 0; x < a.length; x++) {
            a[x] = 2 * rnd.nextDouble() - 1;
        }
        return Tensor.of(a, rows, cols).to(dt);
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static int[] ints(String csv) {
        return Arrays.stream(csv.split(",")).mapToInt(Integer::parseInt).toArray();
    }
}
