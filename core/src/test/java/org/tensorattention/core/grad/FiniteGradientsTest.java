package org.tensorattention.core.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Float32Bound;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * Finite answers off the happy path, forward and backward: rows that see no tuple, and inputs whose products
 * overflow an intermediate although the gradients are representable. References are the definitions
 * (BruteForce, GradientReference) in float64.
 */
class FiniteGradientsTest {

    /** |got - expected| <= tol * max |expected| entry by entry, got a (rows, cols) tensor. */
    private static void assertClose(String name, double[][] expected, Tensor got, double tol) {
        double scale = 0;
        for (double[] row : expected) {
            for (double x : row) {
                scale = Math.max(scale, Math.abs(x));
            }
        }
        assertEquals(-1, got.firstNonFinite(), name + " is not finite");
        double worst = BruteForce.maxDiff(got, expected);
        assertTrue(worst <= tol * scale, name + ": max error " + worst + " against scale " + scale);
    }

    /**
     * --window 2,2 with q (9, 3), k1 (3, 3), k2 (5, 3), aligned bottom-right: query i sits at i - 6 against k1,
     * so rows 0 to 5 see no tuple. They get o = 0 and lse = -infinity, dq = 0, and add nothing to dk and dv: the
     * gradients equal those of rows 6 to 8 alone (which sit at the same positions).
     */
    @Test
    void rowsThatSeeNoTupleGetZerosForwardAndBackward() {
        Random rnd = new Random(8);
        double[][] q = BruteForce.random(rnd, 9, 3, 1);
        double[][][] k = {BruteForce.random(rnd, 3, 3, 1), BruteForce.random(rnd, 5, 3, 1)};
        double[][][] v = {BruteForce.random(rnd, 3, 2, 1), BruteForce.random(rnd, 5, 2, 1)};
        double[][] dout = BruteForce.random(rnd, 9, 2, 1);
        Mask mask = Mask.window(2, 2);
        for (DType dt : DType.values()) {
            // float32 runs on float32 values, so that its bound is about the kernels, not the input rounding.
            boolean f32 = dt == DType.FLOAT32;
            double[][] qd = f32 ? Float32Bound.round(q) : q;
            double[][][] kd = f32 ? Float32Bound.round(k) : k;
            double[][][] vd = f32 ? Float32Bound.round(v) : v;
            double[][] dd = f32 ? Float32Bound.round(dout) : dout;
            double[][] seen = Arrays.copyOfRange(qd, 6, 9);
            double[][] o = BruteForce.forward(seen, kd, vd, 1.0 / 3, mask);
            GradientReference ref = new GradientReference(seen, kd, vd, Arrays.copyOfRange(dd, 6, 9), 1.0 / 3, mask);
            Float32Bound.Gradients bound = Float32Bound.Gradients.of(seen, kd, vd, Arrays.copyOfRange(dd, 6, 9),
                    1.0 / 3, mask);
            for (int threads : new int[] {1, 2}) {
                AttentionOptions opt = AttentionOptions.defaults().withMask(mask).withThreads(threads);
                Tensor qt = BruteForce.tensor(qd).to(dt);
                List<Tensor> kt = BruteForce.tensors(kd, dt);
                List<Tensor> vt = BruteForce.tensors(vd, dt);
                AttentionResult fw = TensorAttention.forward(qt, kt, vt, opt);
                GradientResult gr = TensorAttention.backward(qt, kt, vt, BruteForce.tensor(dd).to(dt), fw, opt);
                for (int i = 0; i < 6; i++) {
                    assertEquals(Double.NEGATIVE_INFINITY, fw.logSumExp().get(i), "lse of row " + i);
                    for (int l = 0; l < 2; l++) {
                        assertEquals(0.0, fw.output().get(i * 2 + l), "o of row " + i);
                    }
                    for (int l = 0; l < 3; l++) {
                        assertEquals(0.0, gr.dq().get(i * 3 + l), "dq of row " + i);
                    }
                }
                Tensor oSeen = Tensor.of(Arrays.copyOfRange(fw.output().toDoubleArray(), 12, 18), 3, 2);
                Tensor dqSeen = Tensor.of(Arrays.copyOfRange(gr.dq().toDoubleArray(), 18, 27), 3, 3);
                if (f32) {
                    assertTrue(BruteForce.maxDiff(oSeen, o) <= bound.o(), "float32 o above its bound " + bound.o());
                    ExactBackwardTest.assertWithin(dt + " dq", ref.dq, dqSeen, bound.dq());
                } else {
                    assertClose(dt + " o", o, oSeen, 1e-12);
                    assertClose(dt + " dq", ref.dq, dqSeen, 1e-12);
                }
                for (int t = 0; t < 2; t++) {
                    if (f32) {
                        ExactBackwardTest.assertWithin(dt + " dk" + (t + 1), ref.dk[t], gr.dk().get(t), bound.dk()[t]);
                        ExactBackwardTest.assertWithin(dt + " dv" + (t + 1), ref.dv[t], gr.dv().get(t), bound.dv()[t]);
                    } else {
                        assertClose(dt + " dk" + (t + 1), ref.dk[t], gr.dk().get(t), 1e-12);
                        assertClose(dt + " dv" + (t + 1), ref.dv[t], gr.dv().get(t), 1e-12);
                    }
                }
            }
        }
    }

    /** c q k1 overflows float32 while the scores are a few units: the balanced float32 backward. */
    @Test
    void float32FactorsScaledAgainstEachOther() {
        Random rnd = new Random(9);
        double[][] q = BruteForce.randomScaled(rnd, 7, 3, 66);
        double[][][] k = {BruteForce.randomScaled(rnd, 6, 3, 66), BruteForce.randomScaled(rnd, 5, 3, -130)};
        double[][][] v = {BruteForce.randomScaled(rnd, 6, 2, 0), BruteForce.randomScaled(rnd, 5, 2, 0)};
        double[][] dout = BruteForce.randomScaled(rnd, 7, 2, 0);
        // Causal placed top-left (query i at position i), the problem this case was built on.
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL.shifted(0, 0)}) {
            AttentionOptions opt = AttentionOptions.defaults().withScale(1).withMask(mask);
            double[][] qr = Float32Bound.round(q);
            double[][][] kr = Float32Bound.round(k);
            double[][][] vr = Float32Bound.round(v);
            double[][] dr = Float32Bound.round(dout);
            GradientResult gr = TensorAttention.backward(BruteForce.tensor(qr).to(DType.FLOAT32),
                    BruteForce.tensors(kr, DType.FLOAT32), BruteForce.tensors(vr, DType.FLOAT32),
                    BruteForce.tensor(dr).to(DType.FLOAT32), null, opt);
            GradientReference ref = new GradientReference(qr, kr, vr, dr, 1, mask);
            // The bound is written in products of the factors (scores, c q K, the weights), which rebalancing
            // the factors against each other leaves as they are.
            Float32Bound.Gradients bound = Float32Bound.Gradients.of(qr, kr, vr, dr, 1, mask);
            ExactBackwardTest.assertWithin(mask + " dq", ref.dq, gr.dq(), bound.dq());
            for (int t = 0; t < 2; t++) {
                ExactBackwardTest.assertWithin(mask + " dk" + (t + 1), ref.dk[t], gr.dk().get(t), bound.dk()[t]);
                ExactBackwardTest.assertWithin(mask + " dv" + (t + 1), ref.dv[t], gr.dv().get(t), bound.dv()[t]);
            }
        }
    }

    private static double[][] scalb(double[][] m, int e) {
        double[][] r = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            r[i] = new double[m[i].length];
            for (int c = 0; c < m[i].length; c++) {
                r[i][c] = Math.scalb(m[i][c], e);
            }
        }
        return r;
    }

    /**
     * Order 4: k1 k2 is 2^1200, infinite in float64, while every score is a few units. The reference is the
     * definition on the same problem with every factor near 1 (q times 2^a, key t times 2^b_t, a + sum b_t = 0
     * leaves every score as it is), its gradients scaled back: dq by 2^(sum b), dk_t by 2^(a + sum of the
     * other b).
     */
    @Test
    void float64OuterKeyProductsPastFloat64() {
        Random rnd = new Random(10);
        int[] e = {-598, 600, 600, -602};
        double[][] q = BruteForce.randomScaled(rnd, 5, 2, 0);
        double[][][] k = {BruteForce.randomScaled(rnd, 4, 2, 0), BruteForce.randomScaled(rnd, 3, 2, 0),
            BruteForce.randomScaled(rnd, 4, 2, 0)};
        double[][][] v = {BruteForce.randomScaled(rnd, 4, 3, 0), BruteForce.randomScaled(rnd, 3, 3, 0),
            BruteForce.randomScaled(rnd, 4, 3, 0)};
        double[][] dout = BruteForce.randomScaled(rnd, 5, 3, 0);
        double[][][] wild = new double[3][][];
        for (int t = 0; t < 3; t++) {
            wild[t] = scalb(k[t], e[t + 1]);
        }
        AttentionOptions opt = AttentionOptions.defaults().withScale(1);
        GradientResult gr = TensorAttention.backward(BruteForce.tensor(scalb(q, e[0])),
                BruteForce.tensors(wild, DType.FLOAT64), BruteForce.tensors(v, DType.FLOAT64),
                BruteForce.tensor(dout), null, opt);
        GradientReference ref = new GradientReference(q, k, v, dout, 1, Mask.FULL);
        assertClose("dq", scalb(ref.dq, e[1] + e[2] + e[3]), gr.dq(), 1e-11);
        for (int t = 0; t < 3; t++) {
            assertClose("dk" + (t + 1), scalb(ref.dk[t], e[0] + e[1] + e[2] + e[3] - e[t + 1]), gr.dk().get(t),
                    1e-11);
            assertClose("dv" + (t + 1), ref.dv[t], gr.dv().get(t), 1e-11);
        }
    }

    /**
     * float32 entries about 1e20: scores near 1e60. The forward computes them in float64; the backward, which
     * recomputes each weight as exp(s - lse), would need s to better than 1 in 1e60, and refuses in one line.
     */
    @Test
    void scoresTooLargeForTheBackwardAreRefused() {
        Random rnd = new Random(11);
        double[][] q = BruteForce.randomScaled(rnd, 6, 3, 66);
        double[][][] k = {BruteForce.randomScaled(rnd, 5, 3, 66), BruteForce.randomScaled(rnd, 4, 3, 66)};
        double[][][] v = {BruteForce.randomScaled(rnd, 5, 2, 0), BruteForce.randomScaled(rnd, 4, 2, 0)};
        double[][] dout = BruteForce.randomScaled(rnd, 6, 2, 0);
        for (DType dt : DType.values()) {
            IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> TensorAttention.backward(
                    BruteForce.tensor(q).to(dt), BruteForce.tensors(k, dt), BruteForce.tensors(v, dt),
                    BruteForce.tensor(dout).to(dt), null, AttentionOptions.defaults()));
            assertTrue(ex.getMessage().startsWith("the scores of q with k1, k2 can reach 2^199"), ex.getMessage());
        }
    }
}
