package org.tensorattention.core;

import org.tensorattention.core.decode.ExactDecoder;
import static org.junit.jupiter.api.Assertions.assertEquals;
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

/**
 * Bands, bottom-right alignment, layouts, packed batches, the lse and its merge, and exact decoding, each
 * against {@link BruteForce} (written from the definitions) or against the plain call it must equal.
 */
class MaskFeaturesTest {
    /** Float64 kernels against the float64 reference: a few hundred roundings of values below 10. */
    private static final double F64 = 1e-12;

    /** One problem: q (nq, d), keys (nk_t, d), values (nk_t, dv). */
    record Problem(double[][] q, double[][][] k, double[][][] v) {
        static Problem random(long seed, int nq, int[] nk, int d, int dv) {
            Random rnd = new Random(seed);
            double[][][] k = new double[nk.length][][];
            double[][][] v = new double[nk.length][][];
            double[][] q = BruteForce.random(rnd, nq, d, 1.5);
            for (int t = 0; t < nk.length; t++) {
                k[t] = BruteForce.random(rnd, nk[t], d, 1.5);
                v[t] = BruteForce.random(rnd, nk[t], dv, 1);
            }
            return new Problem(q, k, v);
        }

        Tensor qt() {
            return BruteForce.tensor(q);
        }

        List<Tensor> keys() {
            return BruteForce.tensors(k, DType.FLOAT64);
        }

        List<Tensor> values() {
            return BruteForce.tensors(v, DType.FLOAT64);
        }

        int[] nk() {
            int[] n = new int[k.length];
            for (int t = 0; t < n.length; t++) {
                n[t] = k[t].length;
            }
            return n;
        }
    }

    static int[] same(int order, int n) {
        int[] nk = new int[order - 1];
        java.util.Arrays.fill(nk, n);
        return nk;
    }

    static Mask window(int order) {
        return order == 2 ? Mask.window(5) : order == 3 ? Mask.window(9, 6) : Mask.window(5, 7, 4);
    }

    static Stream<Arguments> bands() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 100;
        for (int order = 2; order <= 4; order++) {
            int n = order == 2 ? 70 : order == 3 ? 70 : 19;
            for (Mask base : new Mask[] {Mask.FULL, Mask.CAUSAL, window(order)}) {
                for (int band : new int[] {1, 3, 17}) {
                    cases.add(Arguments.of(order, n, base.withBand(band), seed++));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "order {0} n={1} {2}")
    @MethodSource("bands")
    void bandEqualsBruteForceForwardAndLse(int order, int n, Mask mask, long seed) {
        Problem pr = Problem.random(seed, n, same(order, n), 5, 3);
        double c = 0.6;
        double[] lse = new double[n];
        double[][] expected = BruteForce.forward(pr.q(), pr.k(), pr.v(), c, mask, lse);
        for (DType dt : DType.values()) {
            AttentionResult r = TensorAttention.forward(pr.qt().to(dt), BruteForce.tensors(pr.k(), dt),
                    BruteForce.tensors(pr.v(), dt), AttentionOptions.defaults().withScale(c).withMask(mask));
            // float32: inputs, products and sums rounded at 2^-24 over a few hundred terms of size <= 10.
            double tol = dt == DType.FLOAT64 ? F64 : 2e-5;
            assertTrue(BruteForce.maxDiff(r.output(), expected) < tol, dt + " max |O - O_ref| = "
                    + BruteForce.maxDiff(r.output(), expected));
            assertLse(lse, r.logSumExp(), tol);
        }
    }

    @ParameterizedTest(name = "order {0} n={1} {2}")
    @MethodSource("bands")
    void bandBackwardEqualsReferenceAndFiniteDifferences(int order, int n, Mask mask, long seed) {
        int m = order == 4 ? 11 : 33;
        Problem pr = Problem.random(seed, m, same(order, m), 4, 3);
        Gradients.check(pr, mask, 0.6, seed);
    }

    static Stream<Arguments> alignments() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 300;
        for (int order = 2; order <= 4; order++) {
            for (Mask mask : new Mask[] {Mask.CAUSAL, window(order), Mask.CAUSAL.withBand(4)}) {
                cases.add(Arguments.of(order, mask, seed++));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "order {0} {1}")
    @MethodSource("alignments")
    void fewerQueriesThanKeysAreTheLastRowsOfTheSquareCall(int order, Mask mask, long seed) {
        int n = order == 4 ? 14 : 40;
        int nq = n / 3;
        Problem whole = Problem.random(seed, n, same(order, n), 4, 3);
        double[][] last = java.util.Arrays.copyOfRange(whole.q(), n - nq, n);
        Problem tail = new Problem(last, whole.k(), whole.v());
        AttentionOptions o = AttentionOptions.defaults().withMask(mask);
        AttentionResult all = TensorAttention.forward(whole.qt(), whole.keys(), whole.values(), o);
        AttentionResult part = TensorAttention.forward(tail.qt(), tail.keys(), tail.values(), o);
        int dv = 3;
        for (int i = 0; i < nq; i++) {
            for (int l = 0; l < dv; l++) {
                assertEquals(all.output().get((n - nq + i) * dv + l), part.output().get(i * dv + l), F64);
            }
            assertEquals(all.logSumExp().get(n - nq + i), part.logSumExp().get(i), F64);
        }
        // And by the definition, with each factor's own length (p_t = nk_t - nq + i), forward and backward.
        int[] nk = same(order, n);
        for (int t = 0; t < nk.length; t++) {
            nk[t] = n - 3 * t;
        }
        Problem ragged = Problem.random(seed + 7, nq, nk, 4, 3);
        double[][] expected = BruteForce.forward(ragged.q(), ragged.k(), ragged.v(), 0.25, mask);
        AttentionResult r = TensorAttention.forward(ragged.qt(), ragged.keys(), ragged.values(), o);
        assertTrue(BruteForce.maxDiff(r.output(), expected) < F64);
        Gradients.check(ragged, mask, 0.25, seed);
    }

    @Test
    void queriesThatSeeNothingGetZerosAndMinusInfinity() {
        // 6 queries against 4 keys: the first two sit at positions -2 and -1.
        Problem pr = Problem.random(5, 6, new int[] {4, 4}, 3, 2);
        AttentionResult r = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(),
                AttentionOptions.defaults().causal());
        for (int i = 0; i < 6; i++) {
            boolean empty = i < 2;
            assertEquals(empty, r.logSumExp().get(i) == Double.NEGATIVE_INFINITY, "row " + i);
            for (int l = 0; l < 2; l++) {
                assertTrue(empty ? r.output().get(i * 2 + l) == 0 : r.output().get(i * 2 + l) != 0);
            }
        }
        GradientResult g = TensorAttention.backward(pr.qt(), pr.keys(), pr.values(),
                Tensor.of(new double[12], 6, 2), null, AttentionOptions.defaults().causal());
        assertEquals(-1, g.dq().firstNonFinite());
    }

    static Stream<Integer> orders() {
        return Stream.of(2, 3, 4);
    }

    static Stream<Arguments> packings() {
        List<Arguments> cases = new ArrayList<>();
        for (int order = 2; order <= 4; order++) {
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, window(order).withBand(5)}) {
                for (Method m : new Method[] {Method.EXACT, Method.AUTO}) {
                    cases.add(Arguments.of(order, mask, m));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "order {0} {1} {2}")
    @MethodSource("packings")
    void packedBatchEqualsSequencesOneByOne(int order, Mask mask, Method method) {
        int[] cu = order == 4 ? new int[] {0, 5, 5, 12, 13} : new int[] {0, 17, 17, 40, 41, 70};
        int total = cu[cu.length - 1];
        Problem pr = Problem.random(order * 11, total, same(order, total), 4, 3);
        Random rnd = new Random(order);
        double[][] dout = BruteForce.random(rnd, total, 3, 1);
        AttentionOptions o = AttentionOptions.defaults().withMask(mask).withMethod(method).withEpsilon(1e-6);
        AttentionResult packed = Packed.forward(pr.qt(), pr.keys(), pr.values(), cu, cu, o);
        GradientResult grads = Packed.backward(pr.qt(), pr.keys(), pr.values(), BruteForce.tensor(dout), cu, cu, o);
        // poly's error is at most epsilon Vinf; exact rounding alone otherwise.
        double tol = method == Method.EXACT ? F64 : 1e-6 * BruteForce.vinf(pr.v()) * 2;
        for (int b = 0; b + 1 < cu.length; b++) {
            int a = cu[b];
            int z = cu[b + 1];
            if (a == z) {
                continue;
            }
            double[][][] k = slice(pr.k(), a, z);
            double[][][] v = slice(pr.v(), a, z);
            double[][] q = java.util.Arrays.copyOfRange(pr.q(), a, z);
            double[] lse = new double[z - a];
            double[][] expected = BruteForce.forward(q, k, v, 1.0 / 4, mask, lse);
            for (int i = a; i < z; i++) {
                for (int l = 0; l < 3; l++) {
                    assertEquals(expected[i - a][l], packed.output().get(i * 3 + l), tol, "sequence " + b + " row " + i);
                }
                if (packed.logSumExp() != null) {
                    assertEquals(lse[i - a], packed.logSumExp().get(i), F64 * 10);
                }
            }
            Problem one = new Problem(q, k, v);
            GradientResult alone = TensorAttention.backward(one.qt(), one.keys(), one.values(),
                    BruteForce.tensor(java.util.Arrays.copyOfRange(dout, a, z)), null, o);
            for (int x = 0; x < (z - a) * 4; x++) {
                assertEquals(alone.dq().get(x), grads.dq().get(a * 4 + x), tol);
            }
            for (int t = 0; t < order - 1; t++) {
                for (int x = 0; x < (z - a) * 4; x++) {
                    assertEquals(alone.dk().get(t).get(x), grads.dk().get(t).get(a * 4 + x), tol);
                }
                for (int x = 0; x < (z - a) * 3; x++) {
                    assertEquals(alone.dv().get(t).get(x), grads.dv().get(t).get(a * 3 + x), tol);
                }
            }
        }
    }

    @Test
    void packedOffsetsAreChecked() {
        Problem pr = Problem.random(1, 6, new int[] {6}, 2, 2);
        for (int[] cu : new int[][] {{1, 6}, {0, 4, 3, 6}, {0, 5}}) {
            assertThrows(IllegalArgumentException.class,
                    () -> Packed.forward(pr.qt(), pr.keys(), pr.values(), cu, cu, AttentionOptions.defaults()));
        }
    }

    /** Every sequence empty (total 0 rows), or queries whose keys are all empty: as flash_attn, no error. */
    @ParameterizedTest(name = "order {0}")
    @MethodSource("orders")
    void packedBatchWithoutKeyRowsGivesZerosAndMinusInfinity(int order) {
        for (AttentionOptions.Layout layout : AttentionOptions.Layout.values()) {
            boolean bshd = layout == AttentionOptions.Layout.BSHD;
            for (int nq : new int[] {0, 3}) {
                int[] cuQ = {0, 0, nq};
                int[] cuK = {0, 0, 0};
                Tensor q = Tensor.zeros(DType.FLOAT32, bshd ? new int[] {nq, 2, 4} : new int[] {2, nq, 4});
                for (int x = 0; x < q.size(); x++) {
                    q.floats()[x] = 1 + x % 3;
                }
                List<Tensor> keys = new ArrayList<>();
                List<Tensor> values = new ArrayList<>();
                for (int t = 1; t < order; t++) {
                    keys.add(Tensor.zeros(DType.FLOAT32, bshd ? new int[] {0, 2, 4} : new int[] {2, 0, 4}));
                    values.add(Tensor.zeros(DType.FLOAT32, bshd ? new int[] {0, 2, 3} : new int[] {2, 0, 3}));
                }
                AttentionOptions o = AttentionOptions.defaults().causal().withLayout(layout);
                AttentionResult r = Packed.forward(q, keys, values, cuQ, cuK, o);
                int[] oShape = bshd ? new int[] {nq, 2, 3} : new int[] {2, nq, 3};
                assertArrayEquals(oShape, r.output().shape());
                assertEquals(2 * nq, r.logSumExp().size());
                for (int x = 0; x < r.output().size(); x++) {
                    assertEquals(0.0, r.output().get(x));
                }
                for (int x = 0; x < r.logSumExp().size(); x++) {
                    assertEquals(Double.NEGATIVE_INFINITY, r.logSumExp().get(x));
                }
                Tensor dout = Tensor.zeros(DType.FLOAT32, oShape);
                GradientResult g = Packed.backward(q, keys, values, dout, cuQ, cuK, o);
                assertArrayEquals(q.shape(), g.dq().shape());
                for (int x = 0; x < g.dq().size(); x++) {
                    assertEquals(0.0, g.dq().get(x));
                }
                for (int t = 0; t < order - 1; t++) {
                    assertArrayEquals(keys.get(t).shape(), g.dk().get(t).shape());
                    assertArrayEquals(values.get(t).shape(), g.dv().get(t).shape());
                }
            }
        }
    }

    @Test
    void packedBackwardChecksDoutBeforeSlicingIt() {
        Problem pr = Problem.random(1, 6, new int[] {6}, 2, 2);
        int[] cu = {0, 2, 6};
        for (int[] shape : new int[][] {{5, 2}, {6, 3}, {2, 6, 2}}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Packed.backward(pr.qt(), pr.keys(), pr.values(), Tensor.zeros(DType.FLOAT64, shape), cu, cu,
                            AttentionOptions.defaults()));
            assertTrue(e.getMessage().startsWith("dout has shape "), e.getMessage());
        }
    }

    @Test
    void mergingTwoKeyBlocksGivesTheWholeCall() {
        for (int order = 2; order <= 3; order++) {
            int n = 30;
            int m = 11;
            Problem pr = Problem.random(order, 8, same(order, n), 4, 3);
            AttentionOptions o = AttentionOptions.defaults();
            AttentionResult whole = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(), o);
            // Key blocks of the first factor: the tuples split into two disjoint sets.
            List<Tensor> k1 = new ArrayList<>(pr.keys());
            List<Tensor> v1 = new ArrayList<>(pr.values());
            List<Tensor> k2 = new ArrayList<>(pr.keys());
            List<Tensor> v2 = new ArrayList<>(pr.values());
            k1.set(0, BruteForce.tensor(java.util.Arrays.copyOfRange(pr.k()[0], 0, m)));
            v1.set(0, BruteForce.tensor(java.util.Arrays.copyOfRange(pr.v()[0], 0, m)));
            k2.set(0, BruteForce.tensor(java.util.Arrays.copyOfRange(pr.k()[0], m, n)));
            v2.set(0, BruteForce.tensor(java.util.Arrays.copyOfRange(pr.v()[0], m, n)));
            AttentionResult merged = AttentionResult.merge(TensorAttention.forward(pr.qt(), k1, v1, o),
                    TensorAttention.forward(pr.qt(), k2, v2, o));
            assertSame(whole.output(), merged.output());
            assertSame(whole.logSumExp(), merged.logSumExp());
        }
    }

    @org.junit.jupiter.api.Test
    void mergeRefusesAPolyPart() {
        Problem pr = Problem.random(5, 8, same(3, 8), 4, 3);
        AttentionOptions exact = AttentionOptions.defaults();
        AttentionResult e = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(), exact);
        AttentionResult p = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(),
                exact.withMethod(Method.POLY).withEpsilon(1e-2));
        assertEquals(Method.POLY, p.method());
        IllegalArgumentException x = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> AttentionResult.merge(e, p));
        assertEquals("merging takes two exact parts, not exact and poly", x.getMessage());
    }

    @ParameterizedTest(name = "order {0}")
    @MethodSource("orders")
    void decodingEqualsTheCausalRows(int order) {
        int n = order == 4 ? 12 : 30;
        Problem pr = Problem.random(order * 3, n, same(order, n), 4, 3);
        for (Mask mask : new Mask[] {Mask.CAUSAL, window(order), Mask.CAUSAL.withBand(3)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask);
            AttentionResult batch = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(), o);
            ExactDecoder dec = new ExactDecoder(order, 4, 3, DType.FLOAT64, o);
            int prefill = n / 3;
            AttentionResult first = dec.prefill(BruteForce.tensor(java.util.Arrays.copyOf(pr.q(), prefill)),
                    rows(pr.k(), 0, prefill), rows(pr.v(), 0, prefill));
            for (int x = 0; x < prefill * 3; x++) {
                assertEquals(batch.output().get(x), first.output().get(x), F64);
            }
            for (int i = prefill; i < n; i++) {
                double[][] ki = new double[order - 1][];
                double[][] vi = new double[order - 1][];
                for (int t = 0; t < order - 1; t++) {
                    ki[t] = pr.k()[t][i];
                    vi[t] = pr.v()[t][i];
                }
                double[] row = dec.append(pr.q()[i], ki, vi);
                for (int l = 0; l < 3; l++) {
                    assertEquals(batch.output().get(i * 3 + l), row[l], F64, mask + " token " + i);
                }
            }
            assertEquals(n, dec.length());
        }
    }

    @Test
    void sqrtScaleIsOneOverSqrtD() {
        Problem pr = Problem.random(9, 7, new int[] {7, 7}, 9, 2);
        AttentionResult a = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(),
                AttentionOptions.defaults().withSqrtScale());
        double[][] expected = BruteForce.forward(pr.q(), pr.k(), pr.v(), 1.0 / 3, Mask.FULL);
        assertTrue(BruteForce.maxDiff(a.output(), expected) < F64);
    }

    @Test
    void polyRefusesWhatItCannotScanAndAutoFallsBack() {
        Problem square = Problem.random(3, 20, new int[] {20, 20}, 3, 2);
        for (var c : List.<Object[]>of(
                new Object[] {square, Mask.CAUSAL.withBand(4), "band"})) {
            Problem pr = (Problem) c[0];
            Mask mask = (Mask) c[1];
            AttentionOptions o = AttentionOptions.defaults().withMask(mask);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorAttention.forward(
                    pr.qt(), pr.keys(), pr.values(), o.withMethod(Method.POLY)));
            assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
            AttentionResult auto = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(), o.withMethod(Method.AUTO));
            assertEquals(Method.EXACT, auto.method());
            assertTrue(BruteForce.maxDiff(auto.output(), BruteForce.forward(pr.q(), pr.k(), pr.v(), 1.0 / 3, mask))
                    < F64);
        }
    }

    @Test
    void everyMaskKeepsTheMonotoneIntervalContract() {
        int[] nk = {40, 33, 25};
        for (Mask m : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(3, 9, 1), Mask.window(2, 2, 2).withBand(3)}) {
            for (int nq : new int[] {1, 25, 40, 60}) {
                m.aligned(nq, nk).checkMonotone(nq, nk);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> Mask.FULL.withBand(0));
        assertThrows(IllegalArgumentException.class, () -> Mask.window(3, 2).checkOrder(4));
    }

    @Test
    void bandCountsMatchTheDefinition() {
        int[] nk = {12, 12};
        Mask m = Mask.CAUSAL.withBand(4);
        for (int i = 0; i < 12; i++) {
            int count = 0;
            int[] j = new int[2];
            do {
                count += BruteForce.allowed(m, i, j, 12, nk) ? 1 : 0;
            } while (BruteForce.next(j, nk));
            assertEquals(count, m.allowed(i, nk), "row " + i);
        }
    }

    private static void assertLse(double[] expected, Tensor got, double tol) {
        for (int i = 0; i < expected.length; i++) {
            if (expected[i] == Double.NEGATIVE_INFINITY) {
                assertEquals(Double.NEGATIVE_INFINITY, got.get(i));
            } else {
                assertEquals(expected[i], got.get(i), tol * Math.max(1, Math.abs(expected[i])), "lse row " + i);
            }
        }
    }

    private static void assertSame(Tensor a, Tensor b) {
        assertArrayEquals(a.shape(), b.shape());
        for (int x = 0; x < a.size(); x++) {
            double ax = a.get(x);
            double bx = b.get(x);
            if (ax == Double.NEGATIVE_INFINITY) {
                assertEquals(ax, bx);
            } else {
                assertEquals(ax, bx, F64 * Math.max(1, Math.abs(ax)), "at " + x);
            }
        }
    }

    private static void assertArrayEquals(int[] a, int[] b) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(a, b);
    }

    private static double[][][] slice(double[][][] m, int a, int z) {
        double[][][] r = new double[m.length][][];
        for (int t = 0; t < m.length; t++) {
            r[t] = java.util.Arrays.copyOfRange(m[t], a, z);
        }
        return r;
    }

    private static List<Tensor> rows(double[][][] m, int a, int z) {
        return BruteForce.tensors(slice(m, a, z), DType.FLOAT64);
    }

    /** The backward against the definition, and one loss's finite differences. */
    static final class Gradients {
        static void check(Problem pr, Mask mask, double c, long seed) {
            int nq = pr.q().length;
            int dv = pr.v()[0][0].length;
            double[][] dout = BruteForce.random(new Random(seed), nq, dv, 1);
            AttentionOptions o = AttentionOptions.defaults().withScale(c).withMask(mask);
            GradientResult g = TensorAttention.backward(pr.qt(), pr.keys(), pr.values(), BruteForce.tensor(dout),
                    null, o);
            org.tensorattention.core.grad.GradientReference ref =
                    new org.tensorattention.core.grad.GradientReference(pr.q(), pr.k(), pr.v(), dout, c, mask);
            assertTrue(BruteForce.maxDiff(g.dq(), ref.dq) < F64, "dq " + BruteForce.maxDiff(g.dq(), ref.dq));
            for (int t = 0; t < pr.k().length; t++) {
                assertTrue(BruteForce.maxDiff(g.dk().get(t), ref.dk[t]) < F64, "dk" + (t + 1));
                assertTrue(BruteForce.maxDiff(g.dv().get(t), ref.dv[t]) < F64, "dv" + (t + 1));
            }
            // L = sum O ∘ dout; central differences with h = 1e-5 err by O(h^2) ~ 1e-10, rounding by ~1e-11.
            double h = 1e-5;
            Random rnd = new Random(seed + 1);
            for (int probe = 0; probe < 4; probe++) {
                int t = rnd.nextInt(pr.k().length);
                int row = rnd.nextInt(pr.k()[t].length);
                int col = rnd.nextInt(pr.k()[t][0].length);
                double keep = pr.k()[t][row][col];
                pr.k()[t][row][col] = keep + h;
                double up = loss(pr, dout, o);
                pr.k()[t][row][col] = keep - h;
                double down = loss(pr, dout, o);
                pr.k()[t][row][col] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, g.dk().get(t).get(row * pr.k()[t][0].length + col), 1e-7, "dk" + (t + 1));
                int i = rnd.nextInt(nq);
                int l = rnd.nextInt(pr.q()[0].length);
                keep = pr.q()[i][l];
                pr.q()[i][l] = keep + h;
                up = loss(pr, dout, o);
                pr.q()[i][l] = keep - h;
                down = loss(pr, dout, o);
                pr.q()[i][l] = keep;
                assertEquals((up - down) / (2 * h), g.dq().get(i * pr.q()[0].length + l), 1e-7, "dq");
            }
        }

        private static double loss(Problem pr, double[][] dout, AttentionOptions o) {
            Tensor out = TensorAttention.forward(pr.qt(), pr.keys(), pr.values(), o).output();
            double s = 0;
            for (int i = 0; i < dout.length; i++) {
                for (int l = 0; l < dout[0].length; l++) {
                    s += out.get(i * dout[0].length + l) * dout[i][l];
                }
            }
            return s;
        }
    }
}
