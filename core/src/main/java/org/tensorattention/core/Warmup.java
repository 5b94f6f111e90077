package org.tensorattention.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Small exact forward and backward calls that get the JIT to compile the kernels. Until C2 has compiled a
 * kernel, each Vector API operation in it runs its Java fallback (boxed vectors, many times slower), so the
 * first real call of a fresh JVM pays for that; calls on small problems reach C2 at a fraction of the cost.
 *
 * <p>{@link #main} is also the training run of the command-line launcher's ahead-of-time cache (JDK 25+:
 * classes linked and method profiles recorded here are loaded at start, so C2 starts sooner). Results never
 * depend on what has been compiled: the kernels are bitwise repeatable from the interpreter to C2.
 */
public final class Warmup {
    /**
     * (n, d): at least one key block and one four-vector value stripe on AVX-512 (so the main loops run),
     * then a narrow head (so the remainder loops run). In order of need: float32 before float64, order 3
     * before 2, the wide shape first.
     */
    private static final int[][] SHAPES = {{96, 64}, {40, 16}};
    private static final DType[] TYPES = {DType.FLOAT32, DType.FLOAT64};

    private Warmup() {
    }

    /**
     * Runs every phase {@code rounds} times on the calling thread, the kernels on {@code threads} threads; the
     * backward only where the Vector API is present.
     */
    public static void run(int rounds, int threads) {
        AttentionOptions options = AttentionOptions.defaults().withMethod(Method.EXACT).withThreads(threads);
        for (DType type : TYPES) {
            for (int order = 3; order >= 2; order--) {
                for (int[] shape : SHAPES) {
                    Random rnd = new Random(order * 131L + shape[0]);
                    Tensor q = random(rnd, shape[0], shape[1], type);
                    List<Tensor> keys = new ArrayList<>();
                    List<Tensor> values = new ArrayList<>();
                    for (int t = 1; t < order; t++) {
                        keys.add(random(rnd, shape[0], shape[1], type));
                        values.add(random(rnd, shape[0], shape[1], type));
                    }
                    Tensor dout = random(rnd, shape[0], shape[1], type);
                    for (int r = 0; r < rounds && !Thread.currentThread().isInterrupted(); r++) {
                        AttentionResult f = TensorAttention.forward(q, keys, values, options);
                        if (Vectorization.AVAILABLE) {
                            // Without the Vector API the backward refuses (and the scalar forward has no slow phase).
                            TensorAttention.backward(q, keys, values, dout, f, options);
                        }
                    }
                }
            }
        }
    }

    /**
     * Starts {@link #run} in a daemon thread, one kernel thread, for a caller that has other work before its
     * first call (reading inputs, building a model). Interrupting the thread stops it after its current call.
     */
    public static Thread start(int rounds) {
        Thread t = new Thread(() -> run(rounds, 1), "tensor-attention-warmup");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** {@code Warmup [rounds] [threads]}: the training run of an ahead-of-time cache. */
    public static void main(String[] args) {
        run(args.length > 0 ? Integer.parseInt(args[0]) : 20, args.length > 1 ? Integer.parseInt(args[1]) : 2);
    }

    private static Tensor random(Random rnd, int rows, int cols, DType type) {
        double[] a = new double[rows * cols];
        for (int x = 0; x < a.length; x++) {
            a[x] = 2 * rnd.nextDouble() - 1;
        }
        return Tensor.of(a, rows, cols).to(type);
    }
}
