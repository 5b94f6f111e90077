package org.tensorattention.evidence;

import java.util.concurrent.atomic.DoubleAdder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.tensorattention.core.Parallel;

/**
 * The machine's fused multiply-add peak, measured: every thread runs twelve independent chains
 * {@code acc = acc * a + b} on the widest vectors the JVM offers. Twelve chains cover the FMA latency (4
 * cycles) times two FMA ports, so the loop is throughput-bound; the chains converge to b / (1 - a) and stay
 * normal numbers. Each FMA lane counts as 2 flops.
 *
 * <p>The run calibrates itself: after a warm-up of short calls it doubles the iteration count on one thread until a pass takes about 30 ms
 * then times a pass of about {@code seconds} on all threads, best of three.
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> FS = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> DS = DoubleVector.SPECIES_PREFERRED;
    private static final int CHAINS = 12;

    /** What was measured. */
    public record Result(double floatGflops, double doubleGflops, int threads, int floatLanes, int doubleLanes) {
    }

    private FmaPeak() {
    }

    /** Measures both precisions on {@code threads} threads, spending about 3 * 2 * seconds in the timed passes. */
    public static Result measure(int threads, double seconds) {
        double f = peak(true, threads, seconds);
        double d = peak(false, threads, seconds);
        return new Result(f, d, threads, FS.length(), DS.length());
    }

    /** GFLOP/s of one precision: the best of three timed passes on all threads. */
    public static double peak(boolean single, int threads, double seconds) {
        // Many short calls first, so that C2 compiles the whole method with the vector intrinsics (a long
        // first call would run in the interpreter and then in an on-stack-replaced, boxing version).
        double warm = 0;
        for (int call = 0; call < 4000; call++) {
            warm += run(single, 256);
        }
        long iters = 1 << 12;
        while (true) {
            long t0 = System.nanoTime();
            run(single, iters);
            double s = (System.nanoTime() - t0) * 1e-9;
            if (s > 0.03 || iters > (1L << 40)) {
                iters = Math.max(1, (long) (iters * seconds / Math.max(s, 1e-9)));
                break;
            }
            iters *= 2;
        }
        long perThread = iters;
        double best = 0;
        DoubleAdder sink = new DoubleAdder();
        sink.add(warm);
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            Parallel.forEach(threads, threads, task -> sink.add(run(single, perThread)));
            double s = (System.nanoTime() - t0) * 1e-9;
            int lanes = single ? FS.length() : DS.length();
            double flops = 2.0 * lanes * CHAINS * (double) perThread * threads;
            best = Math.max(best, flops / s / 1e9);
        }
        if (Double.isNaN(sink.sum())) {
            throw new IllegalStateException("FMA chains diverged");
        }
        return best;
    }

    /**
     * GFLOP/s of a fixed number of iterations per thread on {@code threads} threads, best of five rounds by
     * wall time (for benchmarks that want the peak right beside each measurement).
     */
    public static double gflops(boolean single, int threads, long iterations) {
        double best = 0;
        DoubleAdder sink = new DoubleAdder();
        for (int round = 0; round < 5; round++) {
            long t0 = System.nanoTime();
            Parallel.forEach(threads, threads, task -> sink.add(run(single, iterations)));
            best = Math.max(best, flops(single, iterations) * threads / ((System.nanoTime() - t0) * 1e-9) / 1e9);
        }
        return sink.sum() == 0 ? 0 : best;
    }

    /**
     * GFLOP/s of one thread timed by its own CPU time, best of five: what one core gives while the thread
     * runs, with the time slices other processes take left out.
     */
    public static double cpuGflops(boolean single, long iterations) {
        java.lang.management.ThreadMXBean clock = java.lang.management.ManagementFactory.getThreadMXBean();
        double best = 0;
        double sink = 0;
        for (int round = 0; round < 5; round++) {
            long c0 = clock.getCurrentThreadCpuTime();
            sink += run(single, iterations);
            best = Math.max(best, flops(single, iterations) / ((clock.getCurrentThreadCpuTime() - c0) * 1e-9) / 1e9);
        }
        return sink == 0 ? 0 : best;
    }

    private static double flops(boolean single, long iterations) {
        return 2.0 * (single ? FS.length() : DS.length()) * CHAINS * (double) iterations;
    }

    private static double run(boolean single, long iters) {
        return single ? floatChains(iters) : doubleChains(iters);
    }

    static double floatChains(long iters) {
        FloatVector a = FloatVector.broadcast(FS, 0.999f);
        FloatVector b = FloatVector.broadcast(FS, 1e-3f);
        FloatVector c0 = FloatVector.broadcast(FS, 0.1f), c1 = c0.add(b), c2 = c1.add(b), c3 = c2.add(b);
        FloatVector c4 = c3.add(b), c5 = c4.add(b), c6 = c5.add(b), c7 = c6.add(b);
        FloatVector c8 = c7.add(b), c9 = c8.add(b), c10 = c9.add(b), c11 = c10.add(b);
        for (long i = 0; i < iters; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    static double doubleChains(long iters) {
        DoubleVector a = DoubleVector.broadcast(DS, 0.999);
        DoubleVector b = DoubleVector.broadcast(DS, 1e-3);
        DoubleVector c0 = DoubleVector.broadcast(DS, 0.1), c1 = c0.add(b), c2 = c1.add(b), c3 = c2.add(b);
        DoubleVector c4 = c3.add(b), c5 = c4.add(b), c6 = c5.add(b), c7 = c6.add(b);
        DoubleVector c8 = c7.add(b), c9 = c8.add(b), c10 = c9.add(b), c11 = c10.add(b);
        for (long i = 0; i < iters; i++) {
            c0 = c0.fma(a, b);
            c1 = c1.fma(a, b);
            c2 = c2.fma(a, b);
            c3 = c3.fma(a, b);
            c4 = c4.fma(a, b);
            c5 = c5.fma(a, b);
            c6 = c6.fma(a, b);
            c7 = c7.fma(a, b);
            c8 = c8.fma(a, b);
            c9 = c9.fma(a, b);
            c10 = c10.fma(a, b);
            c11 = c11.fma(a, b);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
