package org.tensorattention.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.exact.ExactForward;

/**
 * JMH timing of the order-3 exact forward (float32); {@link ExactForwardReport} prints the same as a fraction
 * of the FMA peak. Flops per call: 2 n^3 (d + dv) for the full mask.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class ExactForwardBenchmark {
    @Param({"256", "512"})
    int n;

    @Param({"16", "64"})
    int d;

    @Param({"full", "causal"})
    String mask;

    @Param({"2"})
    int threads;

    Geometry g;
    Mask m;
    float[] q;
    float[][] k;
    float[][] v;
    float[] out;
    double[] lse;

    @Setup
    public void setUp() {
        Random rnd = new Random(1);
        g = Geometry.simple(1, n, new int[] {n, n}, d, d);
        m = mask.equals("causal") ? Mask.CAUSAL : Mask.FULL;
        q = random(rnd, n * d);
        k = new float[][] {random(rnd, n * d), random(rnd, n * d)};
        v = new float[][] {random(rnd, n * d), random(rnd, n * d)};
        out = new float[n * d];
        lse = new double[n];
    }

    @Benchmark
    public float[] order3() {
        ExactForward.forward(g, 1.0 / d, m, q, k, v, out, lse, threads);
        return out;
    }

    private static float[] random(Random rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return a;
    }
}
