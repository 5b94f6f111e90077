package org.tensorattention.bench;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.tensorattention.core.Parallel;

/**
 * The machine's FMA peak as the Vector API reaches it: twelve independent fma chains per thread (more than
 * latency x throughput, so the FMA units, not the dependency chains, set the pace).
 */
public final class FmaPeak {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /** Keeps results alive so the loops are not removed. */
    static volatile double sink;

    private FmaPeak() {
    }

    /** GFLOP/s of float FMAs on the given number of threads, best of a few timed rounds. */
    public static double floatGflops(int threads, long iterations) {
        return best(threads, iterations, true);
    }

    /** GFLOP/s of double FMAs on the given number of threads, best of a few timed rounds. */
    public static double doubleGflops(int threads, long iterations) {
        return best(threads, iterations, false);
    }

    /** GFLOP/s of one thread by its own CPU time: what the core gives while the thread runs, whatever the load. */
    public static double cpuGflops(boolean isFloat, long iterations) {
        double best = 0;
        for (int round = 0; round < 5; round++) {
            long start = Clock.cpuNanos();
            sink += isFloat ? floatChains(iterations) : doubleChains(iterations);
            double seconds = (Clock.cpuNanos() - start) * 1e-9;
            int lanes = isFloat ? F.length() : D.length();
            best = Math.max(best, 2.0 * 12 * lanes * iterations / seconds * 1e-9);
        }
        return best;
    }

    private static double best(int threads, long iterations, boolean isFloat) {
        double best = 0;
        for (int round = 0; round < 5; round++) {
            long start = System.nanoTime();
            Parallel.forEach(threads, threads, t -> sink += isFloat ? floatChains(iterations) : doubleChains(iterations));
            double seconds = (System.nanoTime() - start) * 1e-9;
            int lanes = isFloat ? F.length() : D.length();
            best = Math.max(best, 2.0 * 12 * lanes * iterations * threads / seconds * 1e-9);
        }
        return best;
    }

    static float floatChains(long iterations) {
        float[] seed = {1.0000001f, 0.9999999f};
        FloatVector x = FloatVector.broadcast(F, seed[0]);
        FloatVector y = FloatVector.broadcast(F, seed[1]);
        FloatVector a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y;
        FloatVector a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    static double doubleChains(long iterations) {
        double[] seed = {1.0000000001, 0.9999999999};
        DoubleVector x = DoubleVector.broadcast(D, seed[0]);
        DoubleVector y = DoubleVector.broadcast(D, seed[1]);
        DoubleVector a0 = y, a1 = y, a2 = y, a3 = y, a4 = y, a5 = y;
        DoubleVector a6 = y, a7 = y, a8 = y, a9 = y, a10 = y, a11 = y;
        for (long i = 0; i < iterations; i++) {
            a0 = a0.fma(x, y);
            a1 = a1.fma(x, y);
            a2 = a2.fma(x, y);
            a3 = a3.fma(x, y);
            a4 = a4.fma(x, y);
            a5 = a5.fma(x, y);
            a6 = a6.fma(x, y);
            a7 = a7.fma(x, y);
            a8 = a8.fma(x, y);
            a9 = a9.fma(x, y);
            a10 = a10.fma(x, y);
            a11 = a11.fma(x, y);
        }
        return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }
}
