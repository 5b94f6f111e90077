package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
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
import org.tensorattention.core.Geometry;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

class PolyForwardTest {

    /** A random problem: q (lead..., n, d), keys and values (kvLead..., n, d|dv), entries in [-B, B]. */
    record Problem(Tensor q, List<Tensor> keys, List<Tensor> values) {
        static Problem random(Random rnd, int order, int[] lead, int[] kvLead, int n, int d, int dv, double bound) {
            Tensor q = fill(rnd, concat(lead, n, d), bound);
            List<Tensor> keys = new ArrayList<>();
            List<Tensor> values = new ArrayList<>();
            for (int t = 0; t < order - 1; t++) {
                keys.add(fill(rnd, concat(kvLead, n, d), bound));
                values.add(fill(rnd, concat(kvLead, n, dv), 1));
            }
            return new Problem(q, keys, values);
        }

        AttentionResult run(AttentionOptions o) {
            return TensorAttention.forward(q, keys, values, o);
        }

        /** Vinf of SPEC.md section 2 over the whole call. */
        double vinf() {
            int dv = values.get(0).dim(-1);
            int rows = values.get(0).size() / dv;
            int nk = values.get(0).dim(-2);
            double worst = 0;
            for (int kp = 0; kp < rows / nk; kp++) {
                for (int l = 0; l < dv; l++) {
                    double prod = 1;
                    for (Tensor v : values) {
                        double m = 0;
                        for (int j = 0; j < nk; j++) {
                            m = Math.max(m, Math.abs(v.get((kp * nk + j) * dv + l)));
                        }
                        prod *= m;
                    }
                    worst = Math.max(worst, prod);
                }
            }
            return worst;
        }
    }

    static Tensor fill(Random rnd, int[] shape, double bound) {
        double[] a = new double[(int) Tensor.sizeOf(shape)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (2 * rnd.nextDouble() - 1) * bound;
        }
        return Tensor.of(a, shape);
    }

    static int[] concat(int[] lead, int... tail) {
        return Geometry.concat(lead, tail);
    }

    static double maxDiff(Tensor a, Tensor b) {
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            worst = Math.max(worst, Math.abs(a.get(i) - b.get(i)));
        }
        return worst;
    }

    static Mask window(int order, Random rnd, int n) {
        int[] w = new int[order - 1];
        for (int t = 0; t < w.length; t++) {
            w[t] = 1 + rnd.nextInt(Math.max(1, n / 2 + 1));
        }
        return Mask.window(w);
    }

    static Stream<Arguments> problems() {
        List<Arguments> cases = new ArrayList<>();
        double[] bounds = {0.25, 0.5, 1, 1.5, 2};
        double[] eps = {1e-2, 1e-3, 1e-4, 1e-6, 1e-8};
        long seed = 11;
        for (int order = 2; order <= 4; order++) {
            for (String mask : new String[] {"full", "causal", "window"}) {
                for (int c = 0; c < 5; c++) {
                    cases.add(Arguments.of(order, mask, bounds[(c + order) % 5], eps[(c * 2 + order) % 5], seed++));
                }
            }
        }
        return cases.stream();
    }

    /** One generated case of {@link #problems}: the problem, its options and poly's plan for it. */
    record Case(Problem pr, AttentionOptions o, PolyPlan plan) {
        static Case of(int order, String maskName, double bound, double eps, long seed) {
            Random rnd = new Random(seed);
            int n = 3 + rnd.nextInt(order == 4 ? 10 : 30);
            int d = 2 + rnd.nextInt(3);
            int dv = 1 + rnd.nextInt(9);
            Mask mask = switch (maskName) {
                case "full" -> Mask.FULL;
                case "causal" -> Mask.CAUSAL;
                default -> window(order, rnd, n);
            };
            Problem pr = Problem.random(rnd, order, new int[] {2}, new int[] {2}, n, d, dv, bound);
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(eps);
            return new Case(pr, o, PolyAttention.plan(pr.q, pr.keys, pr.values, o.withMethod(Method.POLY)));
        }
    }

    /**
     * The bound test below returns early on a refusal; most of its cases must really run poly, or it would test
     * little. Refusals may only come from the largest entry bounds.
     */
    @org.junit.jupiter.api.Test
    void mostBoundCasesRunPoly() {
        List<Arguments> all = problems().toList();
        int ran = 0;
        for (Arguments a : all) {
            Object[] x = a.get();
            Case c = Case.of((int) x[0], (String) x[1], (double) x[2], (double) x[3], (long) x[4]);
            if (c.plan.feasible()) {
                ran++;
            } else {
                assertTrue((double) x[2] >= 1.5, "refused at entry bound " + x[2] + ": " + c.plan.refusal());
            }
        }
        assertTrue(ran >= all.size() * 3 / 4, ran + " of " + all.size() + " cases ran poly");
    }

    @ParameterizedTest(name = "order {0} {1} B={2} eps={3}")
    @MethodSource("problems")
    void certifiedBoundHoldsAgainstTheExactKernel(int order, String maskName, double bound, double eps, long seed) {
        Case c = Case.of(order, maskName, bound, eps, seed);
        Problem pr = c.pr;
        AttentionOptions o = c.o;
        PolyPlan plan = c.plan;
        if (!plan.feasible()) {
            // Only a large R may stop it at these sizes: float64 rounding of e^{2R}-sized sums, or a rank
            // whose cost passes the exact kernel's.
            assertTrue(plan.refusal().contains("cannot certify") || plan.refusal().contains("slower than the exact"),
                    plan.refusal());
            assertTrue(plan.radius() > 5, "refused at R = " + plan.radius());
            assertThrows(IllegalArgumentException.class, () -> pr.run(o.withMethod(Method.POLY)));
            return;
        }
        AttentionResult poly = pr.run(o.withMethod(Method.POLY));
        AttentionResult exact = pr.run(o.withMethod(Method.EXACT));
        double diff = maxDiff(poly.output(), exact.output());
        double vinf = pr.vinf();
        assertEquals(Method.POLY, poly.method());
        assertNotNull(poly.poly());
        assertTrue(diff <= poly.poly().errorBound(), "diff " + diff + " > reported bound " + poly.poly().errorBound());
        assertTrue(poly.poly().errorBound() <= eps * vinf * (1 + 1e-12), "bound above eps Vinf");
        assertTrue(diff <= eps * vinf, "diff " + diff + " > eps Vinf " + eps * vinf);
        assertEquals(plan.degree(), poly.poly().degree());
    }

    @ParameterizedTest(name = "order {0} n={1}")
    @MethodSource("tiny")
    void tinyProblemsWorkForEveryMask(int order, int n) {
        Random rnd = new Random(order * 10 + n);
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(order == 2 ? new int[] {1}
                : order == 3 ? new int[] {1, 2} : new int[] {2, 1, 1})}) {
            Problem pr = Problem.random(rnd, order, new int[0], new int[0], n, 8, 3, 1);
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-6);
            Tensor poly = pr.run(o.withMethod(Method.POLY)).output();
            Tensor exact = pr.run(o.withMethod(Method.EXACT)).output();
            assertTrue(maxDiff(poly, exact) <= 1e-6 * pr.vinf(), mask + ": " + maxDiff(poly, exact));
        }
    }

    static Stream<Arguments> tiny() {
        return Stream.of(Arguments.of(2, 1), Arguments.of(2, 2), Arguments.of(3, 1), Arguments.of(3, 2),
                Arguments.of(4, 1), Arguments.of(4, 2));
    }

    @Test
    void groupedQueryHeadsAndBroadcastKeysMatchExact() {
        Random rnd = new Random(5);
        // 2 x 4 query heads over 2 key heads (grouped), and a broadcast batch dimension.
        Problem pr = Problem.random(rnd, 3, new int[] {2, 4}, new int[] {2}, 20, 3, 4, 1);
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(4, 7)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-5);
            AttentionResult poly = pr.run(o.withMethod(Method.POLY));
            Tensor exact = pr.run(o.withMethod(Method.EXACT)).output();
            assertTrue(maxDiff(poly.output(), exact) <= 1e-5 * pr.vinf());
        }
    }

    @Test
    void manyRowsUseEveryBlockAndChunkPathAndAgreeAcrossThreadCounts() {
        Random rnd = new Random(9);
        Problem pr = Problem.random(rnd, 3, new int[0], new int[0], 700, 3, 5, 1);
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(100, 37)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-4).withMethod(Method.POLY);
            Tensor one = pr.run(o.withThreads(1)).output();
            Tensor four = pr.run(o.withThreads(4)).output();
            assertTrue(maxDiff(one, four) < 1e-13, mask + " threads differ by " + maxDiff(one, four));
        }
        // Against exact on the rows the exact kernel can afford (causal rows are cheap at the start).
        AttentionOptions o = AttentionOptions.defaults().causal().withEpsilon(1e-4);
        Problem small = Problem.random(rnd, 3, new int[0], new int[0], 300, 3, 5, 1);
        double diff = maxDiff(small.run(o.withMethod(Method.POLY)).output(), small.run(o.withMethod(Method.EXACT)).output());
        assertTrue(diff <= 1e-4 * small.vinf(), "causal n=300: " + diff);
    }

    @Test
    void float32InputsGiveFloat32OutputWithinTheBound() {
        Random rnd = new Random(3);
        Problem pr = Problem.random(rnd, 3, new int[0], new int[0], 30, 4, 4, 1);
        Tensor q = pr.q.to(DType.FLOAT32);
        List<Tensor> k = pr.keys.stream().map(t -> t.to(DType.FLOAT32)).toList();
        List<Tensor> v = pr.values.stream().map(t -> t.to(DType.FLOAT32)).toList();
        AttentionOptions o = AttentionOptions.defaults().withEpsilon(1e-4);
        AttentionResult poly = TensorAttention.forward(q, k, v, o.withMethod(Method.POLY));
        assertEquals(DType.FLOAT32, poly.output().dtype());
        Tensor exact = TensorAttention.forward(q.to(DType.FLOAT64), k.stream().map(t -> t.to(DType.FLOAT64)).toList(),
                v.stream().map(t -> t.to(DType.FLOAT64)).toList(), o).output();
        assertTrue(maxDiff(poly.output(), exact) <= 1e-4 * pr.vinf());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorAttention.forward(q, k, v, o.withEpsilon(1e-8).withMethod(Method.POLY)));
        assertTrue(e.getMessage().contains("float32"), e.getMessage());
    }
}
