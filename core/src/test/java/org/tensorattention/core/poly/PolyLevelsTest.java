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
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Validation;

/** Query rows at their own degree: each level certified within the plan's delta, and the output bound kept. */
class PolyLevelsTest {

    @Test
    void everyLevelIsCertifiedWithinThePlansDeltaOnItsRadius() {
        int n = 4096;
        Geometry g = new Geometry(1, n, new int[] {n, n}, 8, 8, new int[] {0});
        for (double radius : new double[] {0.9, 3, 8}) {
            for (double eps : new double[] {1e-3, 1e-6}) {
                PolyPlan plan = PolyPlan.of(radius, g, Mask.FULL, eps, DType.FLOAT64, 2, 8e9, false);
                RowLevels levels = RowLevels.of(plan, g, PolyPlan.balancedMagnitude(radius, 3));
                int count = levels.radius().length;
                String at = "R = " + radius + ", eps = " + eps;
                assertTrue(count > 1, at + ": no lower degree");
                assertEquals(plan.radius(), levels.radius()[count - 1], at);
                assertEquals(plan.degree(), levels.polynomial()[count - 1].degree(), at);
                for (int m = 0; m < count; m++) {
                    ExpPolynomial p = levels.polynomial()[m];
                    if (m > 0) {
                        assertTrue(levels.radius()[m] > levels.radius()[m - 1], at);
                        assertTrue(p.degree() > levels.polynomial()[m - 1].degree(), at);
                    }
                    assertTrue(p.delta() <= plan.delta(), at + " level " + m);
                    // The certificate, sampled: |p(x) e^-x - 1| <= delta on [-rho, rho].
                    double rho = levels.radius()[m];
                    for (int s = 0; s <= 2000; s++) {
                        double x = rho * (s / 1000.0 - 1);
                        double rel = Math.abs(p.evaluate(x) * Math.exp(-x) - 1);
                        assertTrue(rel <= p.delta() + 1e-14, at + " level " + m + " at x = " + x + ": " + rel);
                    }
                }
                // Rows pick the first level that reaches their bound.
                assertEquals(0, levels.level(0));
                assertEquals(count - 1, levels.level(radius));
                assertEquals(1, levels.level(Math.nextUp(levels.radius()[0])));
            }
        }
    }

    static Stream<Arguments> mixed() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 11;
        for (int order = 2; order <= 4; order++) {
            int[] w = new int[order - 1];
            java.util.Arrays.fill(w, 3);
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(w)}) {
                cases.add(Arguments.of(order, mask, seed++));
            }
        }
        return cases.stream();
    }

    /**
     * Rows scaled by 1 .. 2^-5 spread over several levels; the output keeps the plan's certified bound and the
     * backward stays the gradient of that output.
     */
    @ParameterizedTest
    @MethodSource("mixed")
    void rowsOfMixedMagnitudesKeepTheCertifiedBound(int order, Mask mask, long seed) {
        Random rnd = new Random(seed);
        int n = order == 4 ? 9 : 24;
        int d = 3;
        double[][] q = BruteForce.random(rnd, n, d, 6);
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < d; l++) {
                q[i][l] = Math.scalb(q[i][l], -(i % 6));
            }
        }
        double[][][] k = new double[order - 1][][];
        double[][][] v = new double[order - 1][][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = BruteForce.random(rnd, n, d, 1.2);
            v[t] = BruteForce.random(rnd, n, 2, 1);
        }
        ScalingTest.Case c = new ScalingTest.Case(q, k, v);
        AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-5).withMethod(Method.POLY);
        PolyForwardTest.Problem pr = c.problem();
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        AttentionOptions aligned = Validation.align(g, o);
        PolyAttention.Prepared call = PolyAttention.prepare(pr.q(), pr.keys(), pr.values(), g, aligned);
        PolyPlan plan = call.plan();
        // Levels forced (a call this small runs at one degree: RowLevels.forCall).
        RowLevels levels = RowLevels.of(plan, g, call.in.balance().magnitude);
        double[] out = PolyAttention.compute(call.in, g, aligned, levels, null, false);
        double err = ScalingTest.forwardError(c, Tensor.of(out, n, 2), 1.0 / d, aligned.mask());
        double bound = 2 * plan.delta() / (1 - plan.delta()) * c.vinf();
        assertTrue(err <= bound + ScalingTest.referenceSlack(c), "error " + err + " > certified " + bound);

        // The backward at the same levels is the gradient of that O~: central differences.
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {n, 2}, 1);
        GradientResult r = PolyBackward.run(pr.q(), pr.keys(), pr.values(), dout, call, levels, g, aligned);
        assertTrue(PolyForwardTest.maxDiff(Tensor.of(out, n, 2), r.output()) < 1e-13, "backward's O~");
        double tol = 1e-7;
        assertTrue(PolyBackwardTest.checkAgainstDifferences(pr, dout, aligned, r.dq(), pr.q(), levels) < tol, "dq");
        for (int t = 0; t < order - 1; t++) {
            assertTrue(PolyBackwardTest.checkAgainstDifferences(pr, dout, aligned, r.dk().get(t), pr.keys().get(t),
                    levels) < tol, "dk" + t);
            assertTrue(PolyBackwardTest.checkAgainstDifferences(pr, dout, aligned, r.dv().get(t), pr.values().get(t),
                    levels) < tol, "dv" + t);
        }

        // The rows really do take different levels.
        FeatureMap fm = new FeatureMap(levels, d, call.in.scale());
        double[] keyMax = PolyForward.keyMax(g, 0, call.in.k());
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            used.add(fm.level(call.in.q(), i * d, keyMax));
        }
        assertTrue(used.size() >= 2, "levels used: " + used);
    }
}
