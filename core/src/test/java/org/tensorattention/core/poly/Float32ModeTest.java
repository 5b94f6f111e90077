package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.tensorattention.core.Float32Bound;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

/**
 * The float32 mode of the polynomial method (float32 tiles, float64 sums): its tiles within their rounding
 * counts, its certified bound against a float64 brute force on float32 inputs, and where it falls back.
 */
class Float32ModeTest {
    private static final double U32 = 0x1p-24;
    private static final double U64 = 0x1p-53;

    /** The case with every entry rounded to float32: float32 inputs whose values the float64 reference sees exactly. */
    private static ScalingTest.Case float32(ScalingTest.Case c) {
        return new ScalingTest.Case(Float32Bound.round(c.q()), Float32Bound.round(c.k()), Float32Bound.round(c.v()));
    }

    private static double gamma(double n, double u) {
        return n * u / (1 - n * u);
    }

    /** Random float32 values in [-1, 1] with a few tiny and zero ones (cancellation and small terms). */
    private static float[] randomFloats(Random rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(10);
            a[i] = kind == 0 ? 0f : (float) ((2 * rnd.nextDouble() - 1) * (kind == 1 ? 1e-6 : 1));
        }
        return a;
    }

    @Test
    void keyTileIsWithinItsChainCountOfTheExactSum() {
        Random rnd = new Random(5);
        int b = Float32Tiles.KEY_BLOCK;
        for (int[] shape : new int[][] {{9, 9}, {4, 4}, {7, 3}, {1, 1}, {13, 6}}) {
            int rank = shape[0];
            int cols = shape[1];
            float[] ut = randomFloats(rnd, rank * b);
            float[] vt = randomFloats(rnd, cols * b);
            double[] part = new double[rank * cols * Float32Tiles.LANES];
            float[] chain = new float[part.length];
            Float32Tiles.accumulate(ut, vt, rank, cols, chain, part);
            Float32Tiles.accumulate(ut, vt, rank, cols, chain, part); // a second block of the same keys
            double[] s = new double[rank * cols];
            Float32Tiles.reduceLanes(part, rank * cols, s);
            for (int L = 0; L < rank; L++) {
                for (int c = 0; c < cols; c++) {
                    double exact = 0;
                    double abs = 0;
                    for (int j = 0; j < b; j++) {
                        double t = (double) ut[L * b + j] * vt[c * b + j]; // exact: 24-bit by 24-bit
                        exact += t;
                        abs += Math.abs(t);
                    }
                    // Each lane: KEY_CHAIN float32 FMAs per block; float64: two blocks, LANES lanes, and the reference's b.
                    double tol = 2 * (gamma(Float32Tiles.KEY_CHAIN, U32) + gamma(Float32Tiles.LANES + 2 + b, U64)) * abs;
                    assertEquals(2 * exact, s[L * cols + c], tol, "L " + L + " c " + c);
                }
            }
        }
    }

    @Test
    void contractionIsWithinItsChunkCountOfTheExactSum() {
        Random rnd = new Random(6);
        int b = Moments.BLOCK;
        for (int[] shape : new int[][] {{100, 9}, {31, 4}, {33, 2}, {1, 5}, {64, 1}}) {
            int rank = shape[0];
            int cols = shape[1];
            float[] uq = randomFloats(rnd, rank * b);
            float[] m = randomFloats(rnd, rank * cols);
            double[] num = new double[cols * b];
            Float32Tiles.contract(uq, b, rank, m, cols, new float[cols * b], num);
            for (int i = 0; i < b; i++) {
                for (int c = 0; c < cols; c++) {
                    double exact = 0;
                    double abs = 0;
                    for (int L = 0; L < rank; L++) {
                        double t = (double) uq[L * b + i] * m[L * cols + c];
                        exact += t;
                        abs += Math.abs(t);
                    }
                    double chunks = Math.ceil(rank / (double) Float32Tiles.CHUNK);
                    double tol = (gamma(Float32Tiles.CHUNK, U32) + gamma(chunks + rank, U64)) * abs;
                    assertEquals(exact, num[c * b + i], tol, "i " + i + " c " + c);
                }
            }
        }
    }

    @Test
    void monomialsMatchTheirProductsInFloat32() {
        Random rnd = new Random(7);
        int d = 3;
        int b = Moments.BLOCK;
        Multisets sets = new Multisets(d, 4);
        float[] xt = randomFloats(rnd, d * b);
        float[] out = new float[sets.rank * b];
        Float32Tiles.monomials(sets, xt, b, out, sets.rank);
        for (int L = 0; L < sets.rank; L++) {
            for (int j = 0; j < b; j++) {
                // Walk the multiset back to the root: the product of its elements, in float64.
                double want = 1;
                for (int at = L; at != 0; at = sets.parent[at]) {
                    want *= xt[sets.last[at] * b + j];
                }
                assertEquals(want, out[L * b + j], gamma(sets.size[L], U32) * Math.abs(want) + 0x1p-149 * 4);
            }
        }
    }

    /** Orders 2-4, full mask, float32 inputs, sizes from a few rows to past the row-level threshold. */
    static Stream<Arguments> cases() {
        return Stream.of(
                Arguments.of(2, 2048, 2048, 8, 8, 1.0, 1e-3, 1L),
                Arguments.of(2, 300, 700, 4, 3, 1.2, 1e-3, 2L),
                Arguments.of(3, 1200, 60, 8, 8, 1.0, 1e-3, 3L),
                Arguments.of(3, 200, 90, 3, 5, 1.2, 1e-2, 4L),
                Arguments.of(3, 64, 40, 2, 2, 0.6, 1e-4, 5L),
                Arguments.of(4, 100, 20, 3, 4, 1.0, 1e-3, 6L),
                Arguments.of(4, 7, 5, 2, 1, 1.3, 1e-2, 7L),
                Arguments.of(2, 5, 3, 1, 2, 0.8, 1e-3, 8L));
    }

    @ParameterizedTest
    @MethodSource("cases")
    void float32ModeKeepsItsCertifiedBound(int order, int nq, int nk, int d, int dv, double bound, double eps,
                                           long seed) {
        Random rnd = new Random(seed);
        int[] lengths = new int[order - 1];
        java.util.Arrays.fill(lengths, nk);
        ScalingTest.Case wide = ScalingTest.random(rnd, order, nq, lengths, d, dv, bound);
        ScalingTest.Case c = float32(wide);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(eps);
        AttentionResult r = c.problem(DType.FLOAT32).run(o);
        assertEquals(Method.POLY, r.method());
        assertEquals(DType.FLOAT32, r.output().dtype());
        assertTrue(r.reason().endsWith("; " + PolyPlan.FLOAT32), r.reason());
        double scale = o.scaleFor(d);
        double bound32 = r.poly().errorBound();
        assertTrue(bound32 <= eps * c.vinf() * (1 + 1e-12), "reported bound " + bound32 + " > eps Vinf");
        double err = ScalingTest.forwardError(c, r.output(), scale, Mask.FULL);
        assertTrue(err <= bound32 + ScalingTest.referenceSlack(c), "error " + err + " > certified " + bound32);
        // lse: log of the kernel's own denominator, within lseErrorBound plus the reference's and the log's rounding.
        double[] want = BruteForce.logSumExp(c.q(), c.k(), scale, Mask.FULL);
        double tuples = c.tuples();
        for (int i = 0; i < nq; i++) {
            double slack = 2 * U64 * ((d + order + 1) * r.poly().radius() + tuples + 8) + U64 * Math.abs(want[i]);
            assertEquals(want[i], r.logSumExp().get(i), r.poly().lseErrorBound() + slack, "lse row " + i);
        }
    }

    @Test
    void groupedHeadsBroadcastBatchAndSeveralKeyTasksStayWithinTheBound() {
        // 2 x 3 query heads over 3 key heads, a broadcast batch, 1100 keys: five key blocks over four tasks.
        Random rnd = new Random(12);
        PolyForwardTest.Problem wide = PolyForwardTest.Problem.random(rnd, 3, new int[] {2, 3}, new int[] {3}, 1100, 4,
                3, 1);
        List<Tensor> k32 = wide.keys().stream().map(t -> t.to(DType.FLOAT32)).toList();
        List<Tensor> v32 = wide.values().stream().map(t -> t.to(DType.FLOAT32)).toList();
        Tensor q32 = wide.q().to(DType.FLOAT32);
        AttentionOptions o = AttentionOptions.defaults().withEpsilon(1e-3).withThreads(4);
        AttentionResult poly = org.tensorattention.core.TensorAttention.forward(q32, k32, v32, o.withMethod(Method.POLY));
        assertTrue(poly.reason().endsWith("; " + PolyPlan.FLOAT32), poly.reason());
        // The exact kernel in float64 on the same float32 values: its own error is about 1e-12 Vinf here.
        List<Tensor> k64 = k32.stream().map(t -> t.to(DType.FLOAT64)).toList();
        List<Tensor> v64 = v32.stream().map(t -> t.to(DType.FLOAT64)).toList();
        Tensor exact = org.tensorattention.core.TensorAttention.forward(q32.to(DType.FLOAT64), k64, v64,
                o.withMethod(Method.EXACT)).output();
        double vinf = new PolyForwardTest.Problem(q32, k32, v32).vinf();
        double err = PolyForwardTest.maxDiff(poly.output(), exact);
        assertTrue(err <= poly.poly().errorBound() + 1e-9 * vinf, "error " + err + " > " + poly.poly().errorBound());
    }

    /** Order 3, q and keys in [-1, 1], values 2^valueExponent times [-1, 1]: o is about 2^(2 valueExponent). */
    private static List<Tensor> valuesScaled(int valueExponent, long seed) {
        Random rnd = new Random(seed);
        float[][] a = new float[5][];
        for (int x = 0; x < 5; x++) {
            a[x] = randomFloats(rnd, 60 * 3);
            for (int i = 0; x >= 3 && i < a[x].length; i++) {
                a[x][i] = Math.scalb(a[x][i], valueExponent);
            }
        }
        return List.of(Tensor.of(a[0], 60, 3), Tensor.of(a[1], 60, 3), Tensor.of(a[2], 60, 3), Tensor.of(a[3], 60, 3),
                Tensor.of(a[4], 60, 3));
    }

    @Test
    void anOutputPastFloat32IsRefusedAsTheExactMethodRefusesIt() {
        List<Tensor> t = valuesScaled(100, 21);
        for (Method m : new Method[] {Method.EXACT, Method.POLY, Method.AUTO}) {
            AttentionOptions o = AttentionOptions.defaults().withMethod(m).withEpsilon(1e-4);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> org.tensorattention.core.TensorAttention.forward(t.get(0), t.subList(1, 3), t.subList(3, 5), o));
            assertTrue(e.getMessage().startsWith("o would pass the range of float32"), m + ": " + e.getMessage());
        }
    }

    @Test
    void aGradientPastFloat32IsRefusedAsTheExactMethodRefusesIt() {
        // One key tuple with values 1: dv_t sums dout over the 50 queries, 50 x 3e38 in all.
        float[] dout = new float[50 * 3];
        java.util.Arrays.fill(dout, 3e38f);
        List<Tensor> t = valuesScaled(0, 23);
        Tensor q = t.get(0).reshape(60, 3);
        Tensor qs = Tensor.of(java.util.Arrays.copyOf(q.floats(), 50 * 3), 50, 3);
        List<Tensor> keys = List.of(Tensor.of(new float[] {0.5f, -1, 0.25f}, 1, 3), Tensor.of(new float[] {1, 1, 1}, 1, 3));
        List<Tensor> values = List.of(Tensor.of(new float[] {1, 1, 1}, 1, 3), Tensor.of(new float[] {1, 1, 1}, 1, 3));
        for (Method m : new Method[] {Method.EXACT, Method.POLY}) {
            AttentionOptions o = AttentionOptions.defaults().withMethod(m).withEpsilon(1e-4);
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> org.tensorattention.core.TensorAttention.backward(qs, keys, values, Tensor.of(dout, 50, 3),
                            null, o));
            assertTrue(e.getMessage().startsWith("dv1 would pass the range of float32"), m + ": " + e.getMessage());
        }
    }

    @Test
    void anOutputBelowFloat32sSubnormalsStaysWithinTheReportedBound() {
        List<Tensor> t = valuesScaled(-100, 22);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-4);
        AttentionResult r = org.tensorattention.core.TensorAttention.forward(t.get(0), t.subList(1, 3), t.subList(3, 5), o);
        assertTrue(r.reason().endsWith("; " + PolyPlan.FLOAT32), r.reason());
        List<Tensor> wide = t.stream().map(x -> x.to(DType.FLOAT64)).toList();
        Tensor exact = org.tensorattention.core.TensorAttention.forward(wide.get(0), wide.subList(1, 3),
                wide.subList(3, 5), o.withMethod(Method.EXACT)).output();
        // The exact float64 result is about 2^-200 Vinf-relative-accurate to 1e-13; float32 cannot hold it at all.
        double err = PolyForwardTest.maxDiff(r.output(), exact);
        assertTrue(err > 0 && err <= r.poly().errorBound(), "error " + err + " > " + r.poly().errorBound());
    }

    @Test
    void float32CertificateThatCannotReachEpsilonFallsBackToFloat64AndSaysSo() {
        // eps = 2e-6: float32 rounding of sums alone (about 1e-5 here) passes it; float64 still certifies.
        Random rnd = new Random(9);
        ScalingTest.Case wide = ScalingTest.random(rnd, 3, 80, new int[] {80, 80}, 3, 2, 1.0);
        ScalingTest.Case c = float32(wide);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(2e-6);
        PolyPlan plan = PolyAttention.plan(c.problem(DType.FLOAT32).q(), c.problem(DType.FLOAT32).keys(),
                c.problem(DType.FLOAT32).values(), o);
        assertTrue(plan.feasible(), plan.refusal());
        assertFalse(plan.float32());
        assertTrue(plan.arithmetic().startsWith("float64: ") && plan.arithmetic().contains("float32 rounding"),
                plan.arithmetic());
        AttentionResult r = c.problem(DType.FLOAT32).run(o);
        assertTrue(r.reason().endsWith("; " + plan.arithmetic()), r.reason());
        double err = ScalingTest.forwardError(c, r.output(), o.scaleFor(3), Mask.FULL);
        assertTrue(err <= r.poly().errorBound() + ScalingTest.referenceSlack(c), "error " + err);
    }

    @Test
    void maskedScansAndFloat64InputsRunFloat64() {
        Random rnd = new Random(10);
        ScalingTest.Case wide = ScalingTest.random(rnd, 3, 50, new int[] {50, 50}, 3, 2, 1.0);
        ScalingTest.Case c = float32(wide);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3);
        for (Mask mask : List.of(Mask.CAUSAL, Mask.window(new int[] {5, 7}))) {
            AttentionResult r = c.problem(DType.FLOAT32).run(o.withMask(mask));
            assertTrue(r.reason().endsWith("; float64: the float32 mode runs the full mask only"), r.reason());
            double err = ScalingTest.forwardError(c, r.output(), o.scaleFor(3), mask);
            assertTrue(err <= r.poly().errorBound() + ScalingTest.referenceSlack(c), mask + ": error " + err);
        }
        // Causal with nq < nk (bottom-right aligned): float64 too, within its bound.
        ScalingTest.Case tall = new ScalingTest.Case(Float32Bound.round(BruteForce.random(rnd, 20, 3, 1.0)), c.k(),
                c.v());
        AttentionResult rt = tall.problem(DType.FLOAT32).run(o.withMask(Mask.CAUSAL));
        assertTrue(rt.reason().endsWith("; float64: the float32 mode runs the full mask only"), rt.reason());
        double errTall = ScalingTest.forwardError(tall, rt.output(), o.scaleFor(3), Mask.CAUSAL);
        assertTrue(errTall <= rt.poly().errorBound() + ScalingTest.referenceSlack(tall), "nq < nk: error " + errTall);
        // Float64 inputs: the float64 path, and a reason without any arithmetic note.
        AttentionResult r = c.problem(DType.FLOAT64).run(o);
        assertFalse(r.reason().contains("float32") || r.reason().contains("; float64"), r.reason());
        PolyPlan plan = PolyAttention.plan(c.problem().q(), c.problem().keys(), c.problem().values(), o);
        assertEquals(PolyPlan.FLOAT64, plan.arithmetic());
    }

    @Test
    void float32PlanCountsItsRoundingInDelta() {
        // The same data in float32 and float64: the float32 plan's delta holds the larger float32 rounding term.
        Random rnd = new Random(11);
        ScalingTest.Case wide = ScalingTest.random(rnd, 3, 500, new int[] {500, 500}, 8, 8, 1.0);
        ScalingTest.Case c = float32(wide);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3);
        Tensor q32 = c.problem(DType.FLOAT32).q();
        PolyPlan p32 = PolyAttention.plan(q32, c.problem(DType.FLOAT32).keys(), c.problem(DType.FLOAT32).values(), o);
        assertTrue(p32.float32(), p32.arithmetic());
        double eta = p32.delta() - p32.polynomial().delta();
        double expectedAtLeast = 0x1p-24 * (Float32Tiles.KEY_CHAIN + Float32Tiles.CHUNK) * p32.polynomial().absoluteSum()
                * Math.exp(p32.radius());
        assertTrue(eta >= expectedAtLeast, "rounding term " + eta + " < " + expectedAtLeast);
        assertTrue(2 * p32.delta() / (1 - p32.delta()) + 0x1p-23 <= 1e-3, "delta " + p32.delta());
    }
}
