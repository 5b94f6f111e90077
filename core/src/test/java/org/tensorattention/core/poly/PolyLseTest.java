package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/** The polynomial method's log-sum-exp against the brute-force one, and what it does with a pair band. */
class PolyLseTest {
    private static final double U = 0x1p-53;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 1;
        for (int order = 2; order <= 4; order++) {
            int nk = order == 4 ? 7 : 10;
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(window(order))}) {
                for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
                    // nq > nk: bottom-right aligned, the first nq - nk rows of a causal or window mask see nothing.
                    for (int nq : new int[] {nk, nk + 3, nk - 4}) {
                        cases.add(Arguments.of(order, nq, nk, mask, dtype, seed++));
                    }
                }
            }
        }
        return cases.stream();
    }

    static int[] window(int order) {
        int[] w = new int[order - 1];
        for (int t = 0; t < w.length; t++) {
            w[t] = 2 + t;
        }
        return w;
    }

    @ParameterizedTest
    @MethodSource("cases")
    void lseIsWithinItsCertifiedBoundOfTheBruteForce(int order, int nq, int nk, Mask mask, DType dtype, long seed) {
        Random rnd = new Random(seed);
        int d = 3;
        double[][] q = representable(BruteForce.random(rnd, nq, d, 1.5), dtype);
        double[][][] k = new double[order - 1][][];
        double[][][] v = new double[order - 1][][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = representable(BruteForce.random(rnd, nk, d, 1.5), dtype);
            v[t] = representable(BruteForce.random(rnd, nk, 2, 1), dtype);
        }
        double c = 1.0 / d;
        AttentionOptions o = AttentionOptions.defaults().withMask(mask).withMethod(Method.POLY).withEpsilon(1e-5);
        AttentionResult r = TensorAttention.forward(BruteForce.tensor(q).to(dtype), BruteForce.tensors(k, dtype),
                BruteForce.tensors(v, dtype), o);
        assertEquals(Method.POLY, r.method());
        Tensor lse = r.logSumExp();
        assertEquals(DType.FLOAT64, lse.dtype());
        assertEquals(List.of(nq), java.util.Arrays.stream(lse.shape()).boxed().toList());
        double[] expected = BruteForce.logSumExp(q, k, c, mask);
        double bound = r.poly().lseErrorBound();
        assertTrue(bound > 0 && bound < 1e-4, "bound " + bound);
        // The float64 reference: scores off by (d + k + 1) u R, a sum of N terms off by about (N + 8) u.
        double tuples = Math.pow(nk, order - 1);
        double referenceSlack = 2 * U * ((d + order + 1) * r.poly().radius() + tuples + 8);
        int empty = 0;
        for (int i = 0; i < nq; i++) {
            if (expected[i] == Double.NEGATIVE_INFINITY) {
                assertEquals(Double.NEGATIVE_INFINITY, lse.get(i), "row " + i + " sees nothing");
                empty++;
                continue;
            }
            double err = Math.abs(lse.get(i) - expected[i]);
            assertTrue(err <= bound + referenceSlack + 0x1p-52 * Math.abs(expected[i]),
                    "row " + i + ": |lse~ - lse| = " + err + " > bound " + bound);
        }
        boolean seesNothing = !(mask instanceof Mask.Full) && nq > nk;
        assertEquals(seesNothing ? nq - nk : 0, empty);
    }

    /**
     * A pair band is not a product of per-factor intervals, so poly refuses it with one line naming the band,
     * forward and backward, and auto runs the exact kernel (whose lse matches the brute force).
     */
    @Test
    void bandIsRefusedWithItsReasonAndAutoFallsBackToExact() {
        for (int order = 3; order <= 4; order++) {
            Random rnd = new Random(order);
            int n = 9;
            double[][] q = BruteForce.random(rnd, n, 3, 1);
            double[][][] k = new double[order - 1][][];
            double[][][] v = new double[order - 1][][];
            for (int t = 0; t < order - 1; t++) {
                k[t] = BruteForce.random(rnd, n, 3, 1);
                v[t] = BruteForce.random(rnd, n, 2, 1);
            }
            for (Mask mask : new Mask[] {Mask.FULL.withBand(3), Mask.CAUSAL.withBand(2), Mask.window(window(order))
                    .withBand(2)}) {
                AttentionOptions o = AttentionOptions.defaults().withMask(mask);
                Tensor qt = BruteForce.tensor(q);
                List<Tensor> kt = BruteForce.tensors(k, DType.FLOAT64);
                List<Tensor> vt = BruteForce.tensors(v, DType.FLOAT64);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> TensorAttention.forward(qt, kt, vt, o.withMethod(Method.POLY)));
                assertTrue(e.getMessage().contains("pair band"), e.getMessage());
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                Tensor dout = Tensor.of(new double[n * 2], n, 2);
                assertThrows(IllegalArgumentException.class,
                        () -> TensorAttention.backward(qt, kt, vt, dout, null, o.withMethod(Method.POLY)));
                AttentionResult auto = TensorAttention.forward(qt, kt, vt, o.withMethod(Method.AUTO));
                assertEquals(Method.EXACT, auto.method());
                assertTrue(auto.reason().contains("pair band"), auto.reason());
                double[] lse = BruteForce.logSumExp(q, k, 1.0 / 3, mask);
                double[][] out = BruteForce.forward(q, k, v, 1.0 / 3, mask);
                assertTrue(BruteForce.maxDiff(auto.output(), out) < 1e-12, mask.toString());
                for (int i = 0; i < n; i++) {
                    assertEquals(lse[i], auto.logSumExp().get(i), 1e-12, mask + " row " + i);
                }
            }
        }
    }

    /** Rounded to float32 when the inputs are float32, so the reference sees the same values. */
    private static double[][] representable(double[][] m, DType dtype) {
        if (dtype == DType.FLOAT64) {
            return m;
        }
        for (double[] row : m) {
            for (int c = 0; c < row.length; c++) {
                row[c] = (float) row[c];
            }
        }
        return m;
    }
}
