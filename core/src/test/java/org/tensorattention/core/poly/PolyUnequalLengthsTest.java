package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.Validation;

/**
 * Causal and window masks with nq != nk_t, aligned bottom-right (SPEC.md section 7): query i at
 * nk_t - nq + i against factor t, each factor on its own offset.
 */
class PolyUnequalLengthsTest {
    private static final double EPS = 1e-6;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 300;
        for (int order = 2; order <= 4; order++) {
            Mask window = order == 2 ? Mask.window(3) : order == 3 ? Mask.window(2, 4) : Mask.window(3, 1, 2);
            // Fewer queries than keys (the first rows' prefixes already hold keys), and more (the first rows
            // see no tuple); the factors' lengths differ so each has its own offset.
            int[][] shapes = order == 2 ? new int[][] {{4, 9}, {9, 5}}
                    : order == 3 ? new int[][] {{4, 8, 6}, {9, 6, 4}} : new int[][] {{3, 6, 5, 4}, {8, 5, 3, 6}};
            for (Mask mask : new Mask[] {Mask.CAUSAL, window}) {
                for (int[] shape : shapes) {
                    cases.add(Arguments.of(order, mask, shape, seed++));
                }
            }
        }
        return cases.stream();
    }

    static PolyForwardTest.Problem problem(Random rnd, int[] shape, int d, int dv) {
        Tensor q = PolyForwardTest.fill(rnd, new int[] {shape[0], d}, 1);
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; t < shape.length; t++) {
            keys.add(PolyForwardTest.fill(rnd, new int[] {shape[t], d}, 1));
            values.add(PolyForwardTest.fill(rnd, new int[] {shape[t], dv}, 1));
        }
        return new PolyForwardTest.Problem(q, keys, values);
    }

    /** Vinf = max_l prod_t max_j |V_t[j, l]| (SPEC.md section 2), factors of any lengths. */
    static double vinf(PolyForwardTest.Problem pr) {
        int dv = pr.values().get(0).dim(-1);
        double worst = 0;
        for (int l = 0; l < dv; l++) {
            double prod = 1;
            for (Tensor v : pr.values()) {
                prod *= PolyBackwardTest.columnMax(v, l);
            }
            worst = Math.max(worst, prod);
        }
        return worst;
    }

    private static AttentionOptions poly(Mask mask) {
        return AttentionOptions.defaults().withMask(mask).withEpsilon(EPS).withMethod(Method.POLY);
    }

    @ParameterizedTest(name = "order {0} {1} {2}")
    @MethodSource("cases")
    void forwardIsWithinEpsVinfOfTheBruteForce(int order, Mask mask, int[] shape, long seed) {
        Random rnd = new Random(seed);
        int d = 3;
        PolyForwardTest.Problem pr = problem(rnd, shape, d, 2);
        AttentionResult r = pr.run(poly(mask));
        assertEquals(Method.POLY, r.method());
        double[][] expected = BruteForce.forward(PolyBackwardTest.ExactGradient.matrix(pr.q()), keys(pr, false),
                keys(pr, true), 1.0 / d, mask);
        double diff = PolyForwardTest.maxDiff(r.output(), BruteForce.tensor(expected));
        assertTrue(diff <= r.poly().errorBound(), "diff " + diff + " > reported bound " + r.poly().errorBound());
        assertTrue(diff <= EPS * vinf(pr), "diff " + diff + " > eps Vinf");
        // A query that sees no tuple gets exactly 0, as the exact method gives.
        int dv = 2;
        int[] nk = java.util.Arrays.copyOfRange(shape, 1, shape.length);
        int empty = 0;
        for (int i = 0; i < shape[0]; i++) {
            if (sees(mask, i, shape[0], nk)) {
                continue;
            }
            empty++;
            for (int c = 0; c < dv; c++) {
                assertEquals(0.0, r.output().get(i * dv + c), "row " + i);
            }
        }
        assertEquals(shape[0] > nk[0], empty > 0, "rows that see nothing exist exactly when nq > nk");
    }

    private static boolean sees(Mask mask, int i, int nq, int[] nk) {
        int[] j = new int[nk.length];
        do {
            if (BruteForce.allowed(mask, i, j, nq, nk)) {
                return true;
            }
        } while (BruteForce.next(j, nk));
        return false;
    }

    private static double[][][] keys(PolyForwardTest.Problem pr, boolean values) {
        List<Tensor> list = values ? pr.values() : pr.keys();
        double[][][] a = new double[list.size()][][];
        for (int t = 0; t < a.length; t++) {
            a[t] = PolyBackwardTest.ExactGradient.matrix(list.get(t));
        }
        return a;
    }

    @ParameterizedTest(name = "order {0} {1} {2}")
    @MethodSource("cases")
    void backwardIsTheGradientOfThePolyForwardAndWithinItsBoundOfTheExactGradient(int order, Mask mask,
                                                                                  int[] shape, long seed) {
        Random rnd = new Random(seed + 1000);
        int d = 3;
        int dv = 2;
        int nq = shape[0];
        PolyForwardTest.Problem pr = problem(rnd, shape, d, dv);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {nq, dv}, 1);
        AttentionOptions o = poly(mask);
        GradientResult r = TensorAttention.backward(pr.q(), pr.keys(), pr.values(), dout, null, o);
        assertEquals(Method.POLY, r.method());

        // The gradient of O~ itself: central differences of the poly forward with its polynomial held fixed.
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        AttentionOptions aligned = Validation.align(g, o);
        PolyPlan plan = PolyAttention.plan(pr.q(), pr.keys(), pr.values(), o);
        RowLevels p = PolyBackwardTest.levels(pr, aligned);
        double fdTol = 1e-7;
        assertTrue(PolyBackwardTest.checkAgainstDifferences(pr, dout, aligned, r.dq(), pr.q(), p) < fdTol, "dq");
        for (int t = 0; t < order - 1; t++) {
            assertTrue(PolyBackwardTest.checkAgainstDifferences(pr, dout, aligned, r.dk().get(t), pr.keys().get(t), p)
                    < fdTol, "dk" + (t + 1));
            assertTrue(PolyBackwardTest.checkAgainstDifferences(pr, dout, aligned, r.dv().get(t), pr.values().get(t), p)
                    < fdTol, "dv" + (t + 1));
        }

        // Against the exact attention gradient: the entrywise bounds of docs/POLY.md, as PolyBackwardTest.
        PolyBackwardTest.ExactGradient ex = PolyBackwardTest.ExactGradient.of(pr, dout, 1.0 / d, mask);
        double delta = plan.delta();
        double weight = 2 * delta / (1 - delta);
        double gamma = 2 * (delta + PolyBackwardTest.levels(pr, aligned).derivativeDelta()) / (1 - delta) + weight;
        double vinf = vinf(pr);
        double c = 1.0 / d;
        PolyBackwardTest.assertQueryGradientBound(pr, dout, r.dq(), ex.dq(), gamma * vinf * c);
        for (int t = 0; t < order - 1; t++) {
            for (int l = 0; l < dv; l++) {
                double others = 1;
                for (int u = 0; u < order - 1; u++) {
                    if (u != t) {
                        others *= PolyBackwardTest.columnMax(pr.values().get(u), l);
                    }
                }
                double sumDo = 0;
                for (int i = 0; i < nq; i++) {
                    sumDo += Math.abs(dout.get(i * dv + l));
                }
                double bound = weight * sumDo * others;
                for (int j = 0; j < shape[t + 1]; j++) {
                    assertTrue(Math.abs(r.dv().get(t).get(j * dv + l) - ex.dv()[t][j][l]) <= bound * (1 + 1e-6) + 1e-13,
                            "dv bound");
                }
            }
            // dK has no entrywise bound of its own here; relative to the largest gradient it stays a small
            // multiple of eps, as PolyBackwardTest measures for nq = nk.
            double scale = Math.max(1, ex.maxAbs());
            double dk = PolyForwardTest.maxDiff(r.dk().get(t), BruteForce.tensor(ex.dk()[t])) / scale;
            assertTrue(dk < 10 * EPS, "dk" + (t + 1) + " relative error " + dk);
        }
        // Rows that see no tuple get no gradient.
        int[] nk = java.util.Arrays.copyOfRange(shape, 1, shape.length);
        for (int i = 0; i < nq; i++) {
            if (!sees(mask, i, nq, nk)) {
                for (int l = 0; l < d; l++) {
                    assertEquals(0.0, r.dq().get(i * d + l), "dq row " + i);
                }
            }
        }
    }

    @Test
    void fewerQueriesCausalAreTheLastRowsOfTheSquareCallWithTheSamePolynomial() {
        Random rnd = new Random(404);
        int n = 12;
        int m = 5;
        int d = 3;
        int dv = 2;
        for (int order = 2; order <= 4; order++) {
            PolyForwardTest.Problem sq = PolyForwardTest.Problem.random(rnd, order, new int[0], new int[0], n, d, dv, 1);
            double[] qTail = new double[m * d];
            for (int i = 0; i < m * d; i++) {
                qTail[i] = sq.q().get((n - m) * d + i);
            }
            PolyForwardTest.Problem tall = new PolyForwardTest.Problem(Tensor.of(qTail, new int[] {m, d}), sq.keys(),
                    sq.values());
            AttentionOptions o = poly(Mask.CAUSAL);
            PolyPlan plan = PolyAttention.plan(sq.q(), sq.keys(), sq.values(), o);
            ExpPolynomial p = plan.polynomial();
            double[] full = compute(sq, o, p);
            double[] last = compute(tall, o, p);
            // Both sum the same terms in the same order up to the balancing's rescaling; float64 rounding of
            // n-term sums of weights at most e^R (relative to a denominator at least n e^-R) bounds the gap.
            double tol = 16 * (3.0 * n + plan.rank()) * Math.ulp(1.0) * Math.exp(2 * plan.radius()) * vinf(sq);
            for (int i = 0; i < m * dv; i++) {
                assertEquals(full[(n - m) * dv + i], last[i], tol, "order " + order + " entry " + i);
            }
        }
    }

    private static double[] compute(PolyForwardTest.Problem pr, AttentionOptions o, ExpPolynomial p) {
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        AttentionOptions aligned = Validation.align(g, o);
        return PolyAttention.compute(PolyAttention.Inputs.of(pr.q(), pr.keys(), pr.values(), g, aligned), g, aligned, p);
    }

    @Test
    void autoChoosesPolyForUnequalLengthsWhenCheaper() {
        Random rnd = new Random(505);
        int nq = 300;
        int nk = 400;
        PolyForwardTest.Problem pr = problem(rnd, new int[] {nq, nk, nk}, 2, 2);
        for (Mask mask : new Mask[] {Mask.CAUSAL, Mask.window(50, 70)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-3).withMethod(Method.AUTO);
            PolyPlan plan = PolyAttention.plan(pr.q(), pr.keys(), pr.values(), o);
            assertTrue(plan.feasible(), plan.refusal());
            assertTrue(plan.cheaperThanExact(), plan.verdict());
            AttentionResult r = pr.run(o);
            assertEquals(Method.POLY, r.method(), mask.toString());
        }
        // A band stays refused, with its reason.
        PolyPlan banded = PolyAttention.plan(pr.q(), pr.keys(), pr.values(),
                AttentionOptions.defaults().withMask(Mask.CAUSAL.withBand(4)));
        assertTrue(banded.refusal().contains("band"), banded.refusal());
    }
}
