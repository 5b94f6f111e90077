package org.tensorattention.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Run in a fresh JVM by {@link DeterminismTest}: the exact forward and backward, and the polynomial method's
 * (full mask and causal), float32 and float64, on 1 and 2 threads, three calls each, printing one line per call with a 64-bit digest of every result's bits. The
 * first round runs cold (the first calls of the JVM, interpreted), the last two after a warm-up that gets the
 * kernels compiled.
 */
public final class DeterminismMain {
    private DeterminismMain() {
    }

    public static void main(String[] args) {
        int warmups = Integer.parseInt(args[0]);
        Random rnd = new Random(42);
        // Sizes that cross tile edges and leave vector tails: 70 rows (blocks of 32), widths 20 and 17.
        double[][] q = BruteForce.random(rnd, 70, 20, 1.5);
        double[][][] k = {BruteForce.random(rnd, 70, 20, 1.5), BruteForce.random(rnd, 66, 20, 1.5)};
        double[][][] v = {BruteForce.random(rnd, 70, 17, 1), BruteForce.random(rnd, 66, 17, 1)};
        double[][] dout = BruteForce.random(rnd, 70, 17, 1);
        // Poly needs small scores to certify eps: entries within 0.5 at width 8, rows past one block of 64.
        double[][] pq = BruteForce.random(rnd, 150, 8, 0.5);
        double[][][] pk = {BruteForce.random(rnd, 150, 8, 0.5), BruteForce.random(rnd, 140, 8, 0.5)};
        double[][][] pv = {BruteForce.random(rnd, 150, 8, 1), BruteForce.random(rnd, 140, 8, 1)};
        double[][] pdout = BruteForce.random(rnd, 150, 8, 1);
        for (int call = 1; call <= 3; call++) {
            if (call == 2) {
                for (int w = 0; w < warmups; w++) {
                    for (DType dt : DType.values()) {
                        run(dt, 2, q, k, v, dout, Method.EXACT, Mask.CAUSAL);
                        run(dt, 2, pq, pk, pv, pdout, Method.POLY, Mask.FULL);
                        run(dt, 2, pq, pk, pv, pdout, Method.POLY, Mask.CAUSAL);
                    }
                }
            }
            for (DType dt : DType.values()) {
                for (int threads = 1; threads <= 2; threads++) {
                    System.out.println(dt.numpyName() + " exact threads=" + threads + " call=" + call + " "
                            + run(dt, threads, q, k, v, dout, Method.EXACT, Mask.CAUSAL));
                    for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL}) {
                        System.out.println(dt.numpyName() + " poly " + mask + " threads=" + threads + " call="
                                + call + " " + run(dt, threads, pq, pk, pv, pdout, Method.POLY, mask));
                    }
                }
            }
        }
    }

    private static String run(DType dt, int threads, double[][] q, double[][][] k, double[][][] v, double[][] dout,
                              Method method, Mask mask) {
        AttentionOptions opt = AttentionOptions.defaults().withMask(mask).withMethod(method).withEpsilon(1e-3)
                .withThreads(threads);
        Tensor qt = BruteForce.tensor(q).to(dt);
        List<Tensor> kt = BruteForce.tensors(k, dt);
        List<Tensor> vt = BruteForce.tensors(v, dt);
        AttentionResult fw = TensorAttention.forward(qt, kt, vt, opt);
        GradientResult gr = TensorAttention.backward(qt, kt, vt, BruteForce.tensor(dout).to(dt), null, opt);
        List<String> parts = new ArrayList<>();
        parts.add("o=" + digest(fw.output()));
        parts.add("lse=" + digest(fw.logSumExp()));
        parts.add("dq=" + digest(gr.dq()));
        for (int t = 0; t < k.length; t++) {
            parts.add("dk" + (t + 1) + "=" + digest(gr.dk().get(t)));
            parts.add("dv" + (t + 1) + "=" + digest(gr.dv().get(t)));
        }
        return String.join(" ", parts);
    }

    /** FNV-1a over the raw bits of every value. */
    private static String digest(Tensor t) {
        long h = 0xcbf29ce484222325L;
        for (int x = 0; x < t.size(); x++) {
            long bits = t.dtype() == DType.FLOAT32 ? Float.floatToRawIntBits(t.floats()[x])
                    : Double.doubleToRawLongBits(t.doubles()[x]);
            h = (h ^ bits) * 0x100000001b3L;
        }
        return Long.toHexString(h);
    }
}
