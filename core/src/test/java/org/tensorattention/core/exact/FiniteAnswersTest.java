package org.tensorattention.core.exact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.Validation;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * Finite inputs whose products overflow an intermediate of the kernels, although the result is representable:
 * the exact forward gives it (checked against the float64 brute force of the same, float-rounded, inputs), or
 * refuses with a one-line message naming the arrays and the dtype.
 */
class FiniteAnswersTest {
    private static final double F32_EPS = 0x1p-24;

    static Tensor tensor(double[][] m, DType dt) {
        return BruteForce.tensor(m).to(dt);
    }

    static double[][] matrix(Random rnd, int rows, int cols, int exponent) {
        return BruteForce.randomScaled(rnd, rows, cols, exponent);
    }

    static List<Tensor> tensors(double[][][] ms, DType dt) {
        return BruteForce.tensors(ms, dt);
    }

    static double vinf(double[][][] v) {
        return BruteForce.vinf(v);
    }

    static void assertAllFinite(Tensor t) {
        assertEquals(-1, t.firstNonFinite(), "non-finite value in " + t);
    }

    @Test
    void float32EntriesWhoseTripleProductsOverflowFloat32() {
        // Entries about 1e20: q k1 k2 is about 1e60, past float32 (3.4e38) but well inside float64, which
        // computes it; each row is then one-hot on its largest score.
        Random rnd = new Random(1);
        double[][] q = matrix(rnd, 6, 3, 66);
        double[][][] k = {matrix(rnd, 5, 3, 66), matrix(rnd, 4, 3, 66)};
        double[][][] v = {matrix(rnd, 5, 2, 0), matrix(rnd, 4, 2, 0)};
        AttentionResult r = TensorAttention.forward(tensor(q, DType.FLOAT32), tensors(k, DType.FLOAT32),
                tensors(v, DType.FLOAT32), AttentionOptions.defaults());
        assertEquals(DType.FLOAT32, r.output().dtype());
        assertAllFinite(r.output());
        double[][] ref = BruteForce.forward(q, k, v, 1.0 / 3, Mask.FULL);
        // The float64 computation is exact up to a few roundings; the answer is then rounded to float32.
        assertTrue(BruteForce.maxDiff(r.output(), ref) <= 4 * F32_EPS * vinf(v));
    }

    @Test
    void float32FactorsScaledAgainstEachOther() {
        // c q k1 overflows float32 (2^132) while the scores c q k1 k2 are a few units: the balanced float32 path.
        Random rnd = new Random(2);
        double[][] q = matrix(rnd, 7, 3, 66);
        double[][][] k = {matrix(rnd, 6, 3, 66), matrix(rnd, 5, 3, -130)};
        double[][][] v = {matrix(rnd, 6, 2, 0), matrix(rnd, 5, 2, 0)};
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(3, 3)}) {
            AttentionOptions o = AttentionOptions.defaults().withScale(1).withMask(mask);
            AttentionResult r = TensorAttention.forward(tensor(q, DType.FLOAT32), tensors(k, DType.FLOAT32),
                    tensors(v, DType.FLOAT32), o);
            assertAllFinite(r.output());
            double[][] ref = BruteForce.forward(q, k, v, 1, mask);
            // |s| <= d 2^2 = 12: float32 scores carry an absolute error of about (k + d) |s| eps, each weight
            // moves by twice that relatively, plus the exp (5 eps) and the rounding of O.
            double tol = (2 * 6 * 12 * F32_EPS + 8 * F32_EPS) * vinf(v);
            assertTrue(BruteForce.maxDiff(r.output(), ref) <= tol, mask + ": " + BruteForce.maxDiff(r.output(), ref));
        }
    }

    @Test
    void float64OuterKeyProductsPastFloat64() {
        // Order 4: k1 k2 is 2^1200 (infinite in float64) while q k1 k2 k3 is a few units.
        Random rnd = new Random(3);
        double[][] q = matrix(rnd, 5, 2, -598);
        double[][][] k = {matrix(rnd, 4, 2, 600), matrix(rnd, 3, 2, 600), matrix(rnd, 4, 2, -600)};
        double[][][] v = {matrix(rnd, 4, 3, 0), matrix(rnd, 3, 3, 0), matrix(rnd, 4, 3, 0)};
        AttentionResult r = TensorAttention.forward(tensor(q, DType.FLOAT64), tensors(k, DType.FLOAT64),
                tensors(v, DType.FLOAT64), AttentionOptions.defaults().withScale(1));
        assertAllFinite(r.output());
        double[][] ref = BruteForce.forward(q, k, v, 1, Mask.FULL);
        assertTrue(BruteForce.maxDiff(r.output(), ref) <= 1e-13 * vinf(v));
    }

    @Test
    void float64OuterKeyProductsBelowFloat64() {
        // Order 4: k1 k2 is 2^-1200, 0 in float64, which would make every score 0 (uniform weights, silently
        // wrong) while q k1 k2 k3 is a few units.
        Random rnd = new Random(7);
        double[][] q = matrix(rnd, 5, 2, 600);
        double[][][] k = {matrix(rnd, 4, 2, -600), matrix(rnd, 3, 2, -600), matrix(rnd, 4, 2, 602)};
        double[][][] v = {matrix(rnd, 4, 3, 0), matrix(rnd, 3, 3, 0), matrix(rnd, 4, 3, 0)};
        AttentionResult r = TensorAttention.forward(tensor(q, DType.FLOAT64), tensors(k, DType.FLOAT64),
                tensors(v, DType.FLOAT64), AttentionOptions.defaults().withScale(1));
        double[][] ref = BruteForce.forward(q, k, v, 1, Mask.FULL);
        assertTrue(BruteForce.maxDiff(r.output(), ref) <= 1e-13 * vinf(v));
    }

    @Test
    void float64ScoresPastFloat64AreRefused() {
        // Entries 1e103: every score term is about 1e309 / 3, past float64; no rebalancing changes a score.
        double[][] q = {{1e103, 1e103, 1e103}, {-1e103, 1e103, 1e103}};
        double[][][] k = {q, q};
        double[][][] v = {{{1}, {2}}, {{3}, {4}}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorAttention.forward(
                tensor(q, DType.FLOAT64), tensors(k, DType.FLOAT64), tensors(v, DType.FLOAT64),
                AttentionOptions.defaults()));
        String m = e.getMessage();
        assertTrue(m.contains("q with k1, k2") && m.contains("float64"), m);
        assertFalse(m.contains("\n"), m);
    }

    @Test
    void float32QueriesWithAFloat64KeyPastFloat32() {
        // Rule: inputs are rounded to q's dtype after rebalancing, so the key entry 2^130 (1.4e39) still counts.
        // With q about 2^-10 the scores stay inside float32 (the balanced float32 path); with q about 1 those
        // of the large key pass it (about 2^128), and the call computes in float64.
        for (int qExponent : new int[] {-10, 0}) {
            Random rnd = new Random(4);
            double[][] q = matrix(rnd, 6, 3, qExponent);
            double[][][] k = {matrix(rnd, 5, 3, 0), matrix(rnd, 4, 3, 0)};
            k[0][2][1] = 0x1p130;
            double[][][] v = {matrix(rnd, 5, 2, 0), matrix(rnd, 4, 2, 0)};
            Tensor qt = tensor(q, DType.FLOAT32);
            List<Tensor> kt = tensors(k, DType.FLOAT64);
            List<Tensor> vt = tensors(v, DType.FLOAT64);
            ExactRange range = ExactRange.forward(qt, kt, vt, Validation.geometry(qt, kt, vt), 1.0 / 3);
            assertTrue(range.rebalanced());
            assertEquals(qExponent < 0 ? DType.FLOAT32 : DType.FLOAT64, range.compute());
            AttentionResult r = TensorAttention.forward(qt, kt, vt, AttentionOptions.defaults());
            assertEquals(DType.FLOAT32, r.output().dtype());
            assertAllFinite(r.output());
            double[][] ref = BruteForce.forward(q, k, v, 1.0 / 3, Mask.FULL);
            // The other entries of that key column drop to 2^-130 of their size, so float32 keeps them to
            // 2^-150 (subnormals): 2^-20 of a unit, scores move by less than d 2^-20 |q|; weights by twice that.
            double tol = (2 * 3 * 0x1p-20 + 8 * 3 * F32_EPS) * vinf(v);
            assertTrue(BruteForce.maxDiff(r.output(), ref) <= tol, "error " + BruteForce.maxDiff(r.output(), ref));
        }
    }

    @Test
    void float64ValuePastFloat32WithFloat32Queries() {
        // v1 holds 2^130 (1.4e39, past float32); with weights of about 1/4 on it and v2 at most 1/2, O stays
        // inside float32 (about 2^126).
        Random rnd = new Random(5);
        double[][] q = matrix(rnd, 6, 3, -2);
        double[][][] k = {matrix(rnd, 4, 3, 0), matrix(rnd, 3, 3, 0)};
        double[][][] v = {matrix(rnd, 4, 2, 0), matrix(rnd, 3, 2, 0)};
        v[0][1][0] = 0x1p130;
        v[1][0][0] = 0.5;
        v[1][1][0] = 0.25;
        v[1][2][0] = 0.125;
        AttentionResult r = TensorAttention.forward(tensor(q, DType.FLOAT32), tensors(k, DType.FLOAT32),
                tensors(v, DType.FLOAT64), AttentionOptions.defaults());
        assertAllFinite(r.output());
        double[][] ref = BruteForce.forward(q, k, v, 1.0 / 3, Mask.FULL);
        double biggest = 0;
        for (double[] row : ref) {
            biggest = Math.max(biggest, Math.abs(row[0]));
        }
        assertTrue(biggest > 1e36 && biggest < Float.MAX_VALUE, "the case needs O near 1e37: " + biggest);
        // Scores below 1 in float32: weights to about 8 d eps; the small entries of that value column drop to
        // subnormals (kept to 2^-150 of 2^130, far below eps Vinf).
        double tol = 8 * 3 * F32_EPS * vinf(v);
        assertTrue(BruteForce.maxDiff(r.output(), ref) <= tol, "error " + BruteForce.maxDiff(r.output(), ref));
    }

    @Test
    void anOutputPastFloat32IsRefusedByName() {
        double[][] q = {{0.5, 0.25}, {0.1, -0.3}};
        double[][][] k = {{{1, 2}, {0.5, 0.1}}};
        double[][][] v = {{{0x1p130}, {0x1p129}}};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorAttention.forward(
                tensor(q, DType.FLOAT32), tensors(k, DType.FLOAT32), tensors(v, DType.FLOAT64),
                AttentionOptions.defaults()));
        assertTrue(e.getMessage().startsWith("o would pass the range of float32"), e.getMessage());
    }

    @Test
    void ordinaryInputsTakeTheOrdinaryPath() {
        Random rnd = new Random(6);
        double[][] q = matrix(rnd, 6, 3, 3);
        double[][][] k = {matrix(rnd, 5, 3, 3), matrix(rnd, 4, 3, 3)};
        double[][][] v = {matrix(rnd, 5, 2, 10), matrix(rnd, 4, 2, 10)};
        for (DType dt : DType.values()) {
            ExactRange range = ExactRange.forward(tensor(q, dt), tensors(k, dt), tensors(v, dt),
                    Validation.geometry(tensor(q, dt), tensors(k, dt), tensors(v, dt)), 1.0 / 3);
            assertFalse(range.rebalanced(), dt.toString());
            assertEquals(1.0 / 3, range.kernelScale());
        }
    }
}
