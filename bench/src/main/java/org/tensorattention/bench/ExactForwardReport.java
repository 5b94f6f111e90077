package org.tensorattention.bench;

import java.util.Locale;
import java.util.Random;
import org.tensorattention.evidence.FmaPeak;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.exact.ExactForward;

/**
 * Prints the exact forward's speed as a fraction of the FMA peak measured in the same run: order 3, full mask,
 * float32 and float64, d = dv = 16 and 64; then causal vs full, and a long windowed sequence.
 *
 * <p>Arguments (all optional): {@code sizes=256,512,1024,2048 widths=16,64 types=float32,float64 threads=2
 * reps=3 window=65536 clock=wall}; {@code clock=cpu} instead prints one thread's GFLOP/s by its CPU time.
 */
public final class ExactForwardReport {
    private ExactForwardReport() {
    }

    public static void main(String[] args) {
        int[] sizes = {256, 512, 1024, 2048};
        int[] widths = {16, 64};
        int threads = 2;
        int reps = 3;
        int windowN = 65536;
        String types = "float32,float64";
        boolean cpuClock = false;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "sizes" -> sizes = ints(kv[1]);
                case "widths" -> widths = ints(kv[1]);
                case "threads" -> threads = Integer.parseInt(kv[1]);
                case "reps" -> reps = Integer.parseInt(kv[1]);
                case "window" -> windowN = Integer.parseInt(kv[1]);
                case "types" -> types = kv[1];
                case "clock" -> cpuClock = kv[1].equals("cpu");
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        System.out.println("load average at start: " + loadAverage());
        if (cpuClock) {
            cpuTable(sizes, widths, types, reps);
            System.out.println("load average at end: " + loadAverage());
            return;
        }
        double peakF1 = FmaPeak.gflops(true, 1, 50_000_000);
        double peakF = FmaPeak.gflops(true, threads, 50_000_000);
        double peakD1 = FmaPeak.gflops(false, 1, 50_000_000);
        double peakD = FmaPeak.gflops(false, threads, 50_000_000);
        System.out.printf(Locale.ROOT, "FMA peak GFLOP/s: float %.1f (1 thread) %.1f (%d threads); double %.1f (1 thread) %.1f (%d threads)%n",
                peakF1, peakF, threads, peakD1, peakD, threads);
        System.out.println();
        // Shared machines: each row is also divided by the peak measured right around it (same threads and
        // dtype), and the table comes at the end, against the best peak seen in the whole run.
        java.util.List<String[]> rows = new java.util.ArrayList<>();
        for (String type : types.split(",")) {
            boolean f32 = type.equals("float32");
            for (int d : widths) {
                for (int n : sizes) {
                    Geometry g = Geometry.simple(1, n, new int[] {n, n}, d, d);
                    double flops = g.exactFlops(Mask.FULL);
                    // n = 2048 costs seconds per call: one timed run after a smaller warm-up.
                    int runs = flops > 1e12 ? 1 : reps;
                    double before = FmaPeak.gflops(f32, threads, 5_000_000);
                    double seconds = time(g, Mask.FULL, f32, threads, runs);
                    double after = FmaPeak.gflops(f32, threads, 5_000_000);
                    double near = Math.max(before, after);
                    if (f32) {
                        peakF = Math.max(peakF, near);
                    } else {
                        peakD = Math.max(peakD, near);
                    }
                    double gflops = flops / seconds * 1e-9;
                    rows.add(new String[] {type, Integer.toString(n), Integer.toString(d), fmt("%.3f", seconds),
                            fmt("%.1f", gflops), Double.toString(gflops), fmt("%.1f", near), fmt("%.2f", gflops / near)});
                }
            }
        }
        System.out.printf(Locale.ROOT, "best FMA peak seen in the run, %d threads: float %.1f, double %.1f GFLOP/s%n%n",
                threads, peakF, peakD);
        System.out.println("| dtype | n | d = dv | seconds | GFLOP/s | fraction of best peak | peak around the row | fraction of it |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (String[] r : rows) {
            double fraction = Double.parseDouble(r[5]) / (r[0].equals("float32") ? peakF : peakD);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %.2f | %s | %s |%n", r[0], r[1], r[2], r[3], r[4],
                    fraction, r[6], r[7]);
        }
        System.out.println();
        for (int n : new int[] {512, 1024}) {
            Geometry g = Geometry.simple(1, n, new int[] {n, n}, 64, 64);
            double full = time(g, Mask.FULL, true, threads, reps);
            double causal = time(g, Mask.CAUSAL, true, threads, reps);
            System.out.printf(Locale.ROOT, "order 3 float32 n=%d d=dv=64: causal %.3f s, full %.3f s, causal/full %.3f (allowed tuples ratio %.3f)%n",
                    n, causal, full, causal / full, g.tuples(Mask.CAUSAL) / g.tuples(Mask.FULL));
        }
        for (int d : new int[] {16, 64}) {
            Geometry g = Geometry.simple(1, windowN, new int[] {windowN, windowN}, d, d);
            Mask w = Mask.window(16, 16);
            double seconds = time(g, w, true, threads, reps);
            System.out.printf(Locale.ROOT, "order 3 float32 n=%d d=dv=%d window 16,16: %.3f s (%.1f GFLOP/s on allowed tuples)%n",
                    windowN, d, seconds, g.exactFlops(w) / seconds * 1e-9);
        }
        System.out.println("load average at end: " + loadAverage());
    }

    /**
     * One thread, timed by its own CPU time against the FMA peak timed the same way: the kernel's efficiency
     * per core, which other processes on the machine disturb much less than wall time.
     */
    static void cpuTable(int[] sizes, int[] widths, String types, int reps) {
        double peakF = FmaPeak.cpuGflops(true, 50_000_000);
        double peakD = FmaPeak.cpuGflops(false, 50_000_000);
        System.out.printf(Locale.ROOT, "FMA peak of one thread by CPU time: float %.1f, double %.1f GFLOP/s%n%n", peakF, peakD);
        System.out.println("| dtype | n | d = dv | CPU seconds | GFLOP/s per core | fraction of the core's FMA peak |");
        System.out.println("|---|---|---|---|---|---|");
        for (String type : types.split(",")) {
            boolean f32 = type.equals("float32");
            for (int d : widths) {
                for (int n : sizes) {
                    Geometry g = Geometry.simple(1, n, new int[] {n, n}, d, d);
                    double flops = g.exactFlops(Mask.FULL);
                    int runs = flops > 1e12 ? 1 : reps;
                    double seconds = time(g, Mask.FULL, f32, 1, runs, true);
                    double gflops = flops / seconds * 1e-9;
                    System.out.printf(Locale.ROOT, "| %s | %d | %d | %.3f | %.1f | %.2f |%n", type, n, d, seconds, gflops,
                            gflops / (f32 ? peakF : peakD));
                }
            }
        }
    }

    private static String fmt(String format, double x) {
        return String.format(Locale.ROOT, format, x);
    }

    /** The first three fields of /proc/loadavg (others share the machine: figures are only as good as the load). */
    static String loadAverage() {
        try {
            String[] f = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static double time(Geometry g, Mask mask, boolean f32, int threads, int runs) {
        return time(g, mask, f32, threads, runs, false);
    }

    /** Best time of runs calls after a warm-up: wall time, or the calling thread's CPU time (threads = 1). */
    static double time(Geometry g, Mask mask, boolean f32, int threads, int runs, boolean cpuClock) {
        Random rnd = new Random(1);
        int n = g.nq();
        int d = g.d();
        int dv = g.dv();
        int factors = g.nk().length;
        double scale = 1.0 / d;
        double best = Double.POSITIVE_INFINITY;
        if (f32) {
            float[] q = randomFloats(rnd, n * d);
            float[][] k = new float[factors][];
            float[][] v = new float[factors][];
            for (int t = 0; t < factors; t++) {
                k[t] = randomFloats(rnd, g.nk()[t] * d);
                v[t] = randomFloats(rnd, g.nk()[t] * dv);
            }
            float[] out = new float[n * dv];
            double[] lse = new double[n];
            warmUp(g, mask, true, threads);
            for (int r = 0; r < runs; r++) {
                long start = cpuClock ? Clock.cpuNanos() : System.nanoTime();
                ExactForward.forward(g, scale, mask, q, k, v, out, lse, threads);
                best = Math.min(best, ((cpuClock ? Clock.cpuNanos() : System.nanoTime()) - start) * 1e-9);
            }
        } else {
            double[] q = randomDoubles(rnd, n * d);
            double[][] k = new double[factors][];
            double[][] v = new double[factors][];
            for (int t = 0; t < factors; t++) {
                k[t] = randomDoubles(rnd, g.nk()[t] * d);
                v[t] = randomDoubles(rnd, g.nk()[t] * dv);
            }
            double[] out = new double[n * dv];
            double[] lse = new double[n];
            warmUp(g, mask, false, threads);
            for (int r = 0; r < runs; r++) {
                long start = cpuClock ? Clock.cpuNanos() : System.nanoTime();
                ExactForward.forward(g, scale, mask, q, k, v, out, lse, threads);
                best = Math.min(best, ((cpuClock ? Clock.cpuNanos() : System.nanoTime()) - start) * 1e-9);
            }
        }
        return best;
    }

    /** Compiles the kernel on a small problem of the same widths and mask: at least 5 calls and 2 seconds. */
    private static void warmUp(Geometry big, Mask mask, boolean f32, int threads) {
        int n = Math.min(big.nq(), 256);
        Geometry g = Geometry.simple(1, n, new int[] {n, n}, big.d(), big.dv());
        long start = System.nanoTime();
        for (int r = 0; r < 5 || System.nanoTime() - start < 2_000_000_000L; r++) {
            if (f32) {
                ExactForward.forward(g, 0.1, mask, new float[n * g.d()], new float[][] {new float[n * g.d()], new float[n * g.d()]},
                        new float[][] {new float[n * g.dv()], new float[n * g.dv()]}, new float[n * g.dv()], new double[n], threads);
            } else {
                ExactForward.forward(g, 0.1, mask, new double[n * g.d()], new double[][] {new double[n * g.d()], new double[n * g.d()]},
                        new double[][] {new double[n * g.dv()], new double[n * g.dv()]}, new double[n * g.dv()], new double[n], threads);
            }
        }
    }

    private static float[] randomFloats(Random rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return a;
    }

    private static double[] randomDoubles(Random rnd, int size) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = 2 * rnd.nextDouble() - 1;
        }
        return a;
    }

    private static int[] ints(String s) {
        String[] parts = s.split(",");
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            r[i] = Integer.parseInt(parts[i].trim());
        }
        return r;
    }
}
