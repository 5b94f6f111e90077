package org.tensorattention.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
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
 *     [mask=full|causal] [clock=wall|cpu] [against=PATH]
 * </pre>
 *
 * Each timing is the median of reps runs after one warm-up; dv = d, entries uniform in [-1, 1], full mask
 * (or {@code mask=causal}). The kernels' own wall times are used (validation excluded); the backward reuses
 * the forward's output and log-sum-exp. The FMA peak is measured in the same run, for scale.
 *
 * <p>{@code clock=cpu} runs on one thread (the caller) and times each call by that thread's CPU time, so
 * other processes on a shared machine do not stretch the figures; the peak is then the one-thread peak.
 *
 * <p>{@code against=PATH} (another build's core jar, benchmarks jar or classes folder) times that build in the same
 * run, in its own class loader, call for call in turn with this one on the same inputs, and adds its rows (marked
 * "against"): a before/after comparison that a changing load on a shared machine moves alike for both.
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
        String against = null;
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
                case "against" -> against = kv[1];
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
        Class<?> other = against == null ? null : Calls.in(against);
        System.out.println("| build | dtype | n | d = dv | forward s | backward s | backward / forward | forward GFLOP/s"
                + " (of peak) | backward model GFLOP/s (of peak) |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        peaks = new double[] {peakF, peakD};
        for (String dt : dtypes) {
            for (int n : ns) {
                for (int d : ds) {
                    run(dt, n, d, reps, t, mask.equals("causal"), other);
                }
            }
        }
    }

    private static void run(String dtype, int n, int d, int reps, int threads, boolean causal, Class<?> other) {
        Calls.setup(dtype, n, d, threads, causal);
        if (other != null) {
            Calls.call(other, "setup", dtype, n, d, threads, causal);
        }
        double[][] fw = new double[2][reps];
        double[][] bw = new double[2][reps];
        for (int r = -1; r < reps; r++) {
            for (int b = 0; b < (other == null ? 1 : 2); b++) {
                double[] fb = b == 0 ? Calls.once(cpuClock) : (double[]) Calls.call(other, "once", cpuClock);
                if (r >= 0) {
                    fw[b][r] = fb[0];
                    bw[b][r] = fb[1];
                }
            }
        }
        double peak = peaks[dtype.equals("float32") ? 0 : 1];
        for (int b = 0; b < (other == null ? 1 : 2); b++) {
            double fs = median(fw[b]);
            double bs = median(bw[b]);
            double fg = Calls.forwardFlops / fs * 1e-9;
            double bg = Calls.backwardFlops / bs * 1e-9;
            System.out.printf(Locale.ROOT, "| %s | %s | %d | %d | %.3f | %.3f | %.2f | %.1f (%.2f) | %.1f (%.2f) |%n",
                    b == 0 ? "this" : "against", dtype, n, d, fs, bs, bs / fs, fg, fg / peak, bg, bg / peak);
        }
    }

    /**
     * One build's calls on one problem, loaded once per build: BackwardBench's own class loader, or for
     * against=PATH a loader that reads core from PATH first (and this class from the benchmarks jar).
     */
    public static final class Calls {
        private static Tensor q;
        private static List<Tensor> keys;
        private static List<Tensor> values;
        private static Tensor dout;
        private static AttentionOptions options;
        static double forwardFlops;
        static double backwardFlops;

        private Calls() {
        }

        static Class<?> in(String path) {
            try {
                URL[] urls = {Path.of(path).toUri().toURL(),
                        Calls.class.getProtectionDomain().getCodeSource().getLocation()};
                return Class.forName(Calls.class.getName(), true,
                        new URLClassLoader(urls, ClassLoader.getPlatformClassLoader()));
            } catch (ReflectiveOperationException | java.io.IOException e) {
                throw new IllegalArgumentException("against=" + path + ": " + e.getMessage(), e);
            }
        }

        static Object call(Class<?> c, String name, Object... args) {
            for (java.lang.reflect.Method m : c.getDeclaredMethods()) {
                if (m.getName().equals(name)) {
                    try {
                        return m.invoke(null, args);
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(name + " in the other build: " + e.getCause(), e);
                    }
                }
            }
            throw new IllegalStateException("no " + name);
        }

        /** Order 3, dv = d, entries uniform in [-1, 1] from a seed of n and d (the same in every build). */
        public static void setup(String dtype, int n, int d, int threads, boolean causal) {
            DType dt = DType.valueOf(dtype.toUpperCase());
            Random rnd = new Random(n * 31L + d);
            q = random(rnd, n, d, dt);
            keys = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
            values = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
            dout = random(rnd, n, d, dt);
            AttentionOptions opt = AttentionOptions.defaults().withThreads(threads);
            options = causal ? opt.causal() : opt;
        }

        /** One forward and one backward (reusing it): their kernel seconds, or thread CPU seconds. */
        public static double[] once(boolean cpu) {
            // The thread's CPU time read here, not through Clock: an older benchmarks jar may lack it.
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long c0 = threads.getCurrentThreadCpuTime();
            AttentionResult f = TensorAttention.forward(q, keys, values, options);
            long c1 = threads.getCurrentThreadCpuTime();
            GradientResult g = TensorAttention.backward(q, keys, values, dout, f, options);
            long c2 = threads.getCurrentThreadCpuTime();
            forwardFlops = f.flops();
            backwardFlops = g.flops();
            return cpu ? new double[] {(c1 - c0) * 1e-9, (c2 - c1) * 1e-9} : new double[] {f.seconds(), g.seconds()};
        }

        private static Tensor random(Random rnd, int rows, int cols, DType dt) {
            double[] a = new double[rows * cols];
            for (int x = 0; x < a.length; x++) {
                a[x] = 2 * rnd.nextDouble() - 1;
            }
            return Tensor.of(a, rows, cols).to(dt);
        }
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
