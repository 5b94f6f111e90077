package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * The poly forward's lse on local[2] (full mask): within PolyInfo.lseErrorBound of a brute-force lse, and
 * within twice that of the single machine's poly lse (each is within the bound of the true one).
 */
class SparkPolyLseTest {

    /** log sum_J exp(c sum_l q[i,l] prod_t k_t[j_t,l]) over every tuple, by nested loops in float64. */
    static double[] bruteLse(Tensor q, List<Tensor> keys, double c) {
        int[] qs = q.shape();
        int n = qs[qs.length - 2];
        int d = qs[qs.length - 1];
        int problems = (int) (q.size() / ((long) n * d));
        int nk = keys.get(0).dim(-2);
        int factors = keys.size();
        int tuples = (int) Math.pow(nk, factors);
        double[] lse = new double[problems * n];
        for (int p = 0; p < problems; p++) {
            for (int i = 0; i < n; i++) {
                double[] s = new double[tuples];
                double max = Double.NEGATIVE_INFINITY;
                for (int J = 0; J < tuples; J++) {
                    double dot = 0;
                    for (int l = 0; l < d; l++) {
                        double prod = q.get((p * n + i) * d + l);
                        int rest = J;
                        for (int t = factors - 1; t >= 0; t--) {
                            int j = rest % nk;
                            rest /= nk;
                            prod *= keys.get(t).get((p * nk + j) * d + l);
                        }
                        dot += prod;
                    }
                    s[J] = c * dot;
                    max = Math.max(max, s[J]);
                }
                double sum = 0;
                for (double x : s) {
                    sum += Math.exp(x - max);
                }
                lse[p * n + i] = max + Math.log(sum);
            }
        }
        return lse;
    }

    private static void check(String what, Problems.Case c, AttentionOptions o) {
        AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
        SparkAttention.Result r = SparkAttention.forward(LocalSpark.context(), c.q(), c.k(), c.v(), o,
                Settings.defaults().withQueryBlocks(3));
        AttentionResult s = r.result();
        assertEquals(Method.POLY, s.method(), what);
        assertNotNull(s.logSumExp(), what + ": no lse");
        assertArrayEquals(one.logSumExp().shape(), s.logSumExp().shape(), what + " lse shape");
        assertEquals(one.poly().delta(), s.poly().delta(), what + " delta");
        double bound = s.poly().lseErrorBound();
        assertTrue(bound > 0 && bound < 0.1, what + ": bound " + bound);
        double[] truth = bruteLse(c.q(), c.k(), o.scaleFor(c.q().dim(-1)));
        for (int i = 0; i < truth.length; i++) {
            double got = s.logSumExp().get(i);
            // The bound, plus the brute force's own rounding (a few units of |lse| in float64).
            double slack = 1e-12 * Math.max(1, Math.abs(truth[i]));
            assertTrue(Math.abs(got - truth[i]) <= bound + slack,
                    what + "[" + i + "]: " + got + " against " + truth[i] + ", bound " + bound);
            assertTrue(Math.abs(got - one.logSumExp().get(i)) <= 2 * bound + slack,
                    what + "[" + i + "]: " + got + " against one machine " + one.logSumExp().get(i));
        }
    }

    @Test
    void polyLseWithinItsBound() {
        AttentionOptions poly = AttentionOptions.defaults().withMethod(Method.POLY).withThreads(1);
        check("order 2 eps 1e-3", Problems.random(3, DType.FLOAT64, 2, 14, 3, 2, new int[] {2}, new int[] {2}),
                poly.withEpsilon(1e-3));
        check("order 3 eps 1e-3", Problems.random(4, DType.FLOAT64, 3, 9, 3, 2, new int[] {2}, new int[] {2}),
                poly.withEpsilon(1e-3));
        check("order 3 eps 1e-6 float32", Problems.random(5, DType.FLOAT32, 3, 8, 2, 3, new int[] {3}, new int[] {3}),
                poly.withEpsilon(1e-6));
        check("order 3 scale 2", Problems.random(6, DType.FLOAT64, 3, 7, 3, 2, new int[] {1}, new int[] {1}),
                poly.withEpsilon(1e-4).withScale(2));
    }
}
