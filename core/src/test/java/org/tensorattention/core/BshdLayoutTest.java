package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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

/**
 * Every method on (batch, seq, heads, dim) arrays equals the same call on the arrays transposed to
 * (batch, heads, seq, dim), bit for bit: the bshd path reads and writes each row where it lies, and does the
 * same arithmetic on it, for the forward and the backward, exact, poly and auto, packed or not. The transposes
 * here are by index, apart from the library. One bshd backward also meets finite differences of its forward.
 */
class BshdLayoutTest {
    private static final int BATCH = 2;
    private static final int HEADS = 4;
    /** Two query heads share each key/value head. */
    private static final int KV_HEADS = 2;
    private static final int D = 4;
    private static final int DV = 3;

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int order = 2; order <= 4; order++) {
            for (DType dt : DType.values()) {
                for (Mask mask : masks(order)) {
                    for (Method m : Method.values()) {
                        // poly refuses a pair band in one line (auto falls back to exact).
                        if (!(m == Method.POLY && mask instanceof Mask.Banded)) {
                            cases.add(Arguments.of(order, dt, mask, m));
                        }
                    }
                }
            }
        }
        return cases.stream();
    }

    /** Full, causal, a window and a band (with fewer queries than keys, so causal aligns bottom-right). */
    private static Mask[] masks(int order) {
        Mask window = order == 2 ? Mask.window(4) : order == 3 ? Mask.window(5, 3) : Mask.window(3, 4, 2);
        return new Mask[] {Mask.FULL, Mask.CAUSAL, window, Mask.CAUSAL.withBand(3)};
    }

    @ParameterizedTest(name = "order {0} {1} {2} {3}")
    @MethodSource("cases")
    void bshdEqualsBhsdTransposed(int order, DType dt, Mask mask, Method method) {
        int nq = 7;
        int[] nk = lengths(order);
        Random rnd = new Random(31L * order + 7L * dt.ordinal() + method.ordinal());
        Tensor q = random(rnd, dt, BATCH, nq, HEADS, D);
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int n : nk) {
            keys.add(random(rnd, dt, BATCH, n, KV_HEADS, D));
            values.add(random(rnd, dt, BATCH, n, KV_HEADS, DV));
        }
        Tensor dout = random(rnd, dt, BATCH, nq, HEADS, DV);
        AttentionOptions bhsd = AttentionOptions.defaults().withMask(mask).withMethod(method).withEpsilon(1e-3)
                .withThreads(2);
        AttentionOptions bshd = bhsd.withLayout(AttentionOptions.Layout.BSHD);

        AttentionResult ref = TensorAttention.forward(swap(q), swap(keys), swap(values), bhsd);
        AttentionResult got = TensorAttention.forward(q, keys, values, bshd);
        assertEquals(ref.method(), got.method());
        assertBitwise("o", swap(ref.output()), got.output());
        if (ref.logSumExp() != null) {
            assertBitwise("lse", swapLse(ref.logSumExp()), got.logSumExp());
        }

        GradientResult gRef = TensorAttention.backward(swap(q), swap(keys), swap(values), swap(dout), ref, bhsd);
        GradientResult gGot = TensorAttention.backward(q, keys, values, dout, got, bshd);
        assertEquals(gRef.method(), gGot.method());
        assertBitwise("backward o", swap(gRef.output()), gGot.output());
        assertBitwise("dq", swap(gRef.dq()), gGot.dq());
        for (int t = 0; t < nk.length; t++) {
            assertBitwise("dk" + (t + 1), swap(gRef.dk().get(t)), gGot.dk().get(t));
            assertBitwise("dv" + (t + 1), swap(gRef.dv().get(t)), gGot.dv().get(t));
        }
        // Without the forward's result the backward recomputes (or plans) on its own, bshd in place too.
        GradientResult aloneRef = TensorAttention.backward(swap(q), swap(keys), swap(values), swap(dout), null, bhsd);
        GradientResult alone = TensorAttention.backward(q, keys, values, dout, null, bshd);
        assertBitwise("dq alone", swap(aloneRef.dq()), alone.dq());
        assertBitwise("dk1 alone", swap(aloneRef.dk().get(0)), alone.dk().get(0));
    }

    /** Key lengths of each factor: more keys than queries, and factors of different lengths. */
    private static int[] lengths(int order) {
        int[] nk = new int[order - 1];
        for (int t = 0; t < nk.length; t++) {
            nk[t] = (order == 4 ? 8 : 11) + 2 * t;
        }
        return nk;
    }

    static Stream<Arguments> packings() {
        List<Arguments> cases = new ArrayList<>();
        for (int order = 2; order <= 4; order++) {
            for (DType dt : DType.values()) {
                for (Method m : Method.values()) {
                    cases.add(Arguments.of(order, dt, m));
                }
            }
        }
        return cases.stream();
    }

    /** Packed sequences (one of them empty) in (total, heads, dim) against (heads, total, dim). */
    @ParameterizedTest(name = "order {0} {1} {2}")
    @MethodSource("packings")
    void packedBshdEqualsPackedBhsdTransposed(int order, DType dt, Method method) {
        int[] cuQ = {0, 4, 4, 9, 10};
        int[] cuK = order == 4 ? new int[] {0, 5, 5, 11, 13} : new int[] {0, 6, 8, 15, 19};
        Random rnd = new Random(order * 5L + dt.ordinal());
        int total = cuQ[cuQ.length - 1];
        int keyTotal = cuK[cuK.length - 1];
        Tensor q = random(rnd, dt, 1, total, HEADS, D);
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            keys.add(random(rnd, dt, 1, keyTotal, KV_HEADS, D));
            values.add(random(rnd, dt, 1, keyTotal, KV_HEADS, DV));
        }
        Tensor dout = random(rnd, dt, 1, total, HEADS, DV);
        AttentionOptions bhsd = AttentionOptions.defaults().causal().withMethod(method).withEpsilon(1e-3);
        AttentionOptions bshd = bhsd.withLayout(AttentionOptions.Layout.BSHD);
        AttentionResult ref = Packed.forward(drop(swap(q)), drop(swap(keys)), drop(swap(values)), cuQ, cuK, bhsd);
        AttentionResult got = Packed.forward(drop(q), drop(keys), drop(values), cuQ, cuK, bshd);
        assertBitwise("o", drop(swap(lift(ref.output()))), got.output());
        if (ref.logSumExp() != null) {
            assertBitwise("lse", drop(swapLse(lift(ref.logSumExp()))), got.logSumExp());
        }
        GradientResult gRef = Packed.backward(drop(swap(q)), drop(swap(keys)), drop(swap(values)), drop(swap(dout)),
                cuQ, cuK, bhsd);
        GradientResult gGot = Packed.backward(drop(q), drop(keys), drop(values), drop(dout), cuQ, cuK, bshd);
        assertBitwise("dq", drop(swap(lift(gRef.dq()))), gGot.dq());
        for (int t = 0; t < order - 1; t++) {
            assertBitwise("dk" + (t + 1), drop(swap(lift(gRef.dk().get(t)))), gGot.dk().get(t));
            assertBitwise("dv" + (t + 1), drop(swap(lift(gRef.dv().get(t)))), gGot.dv().get(t));
        }
    }

    /**
     * The bshd exact backward against central differences of its own forward's loss sum(dout ∘ o), order 3,
     * causal with fewer queries than keys, grouped heads, float64. The difference's error is about
     * h^2 |f'''| + eps |f| / h: with h = 1e-5 and entries below 1, well under 1e-7.
     */
    @Test
    void bshdBackwardMeetsFiniteDifferences() {
        Random rnd = new Random(17);
        int nq = 5;
        int nk = 8;
        Tensor q = random(rnd, DType.FLOAT64, 1, nq, HEADS, D);
        List<Tensor> keys = List.of(random(rnd, DType.FLOAT64, 1, nk, KV_HEADS, D),
                random(rnd, DType.FLOAT64, 1, nk + 1, KV_HEADS, D));
        List<Tensor> values = List.of(random(rnd, DType.FLOAT64, 1, nk, KV_HEADS, DV),
                random(rnd, DType.FLOAT64, 1, nk + 1, KV_HEADS, DV));
        Tensor dout = random(rnd, DType.FLOAT64, 1, nq, HEADS, DV);
        AttentionOptions o = AttentionOptions.defaults().causal().withLayout(AttentionOptions.Layout.BSHD);
        GradientResult g = TensorAttention.backward(q, keys, values, dout, null, o);
        double h = 1e-5;
        double tol = 1e-7;
        List<Tensor> all = new ArrayList<>();
        List<Tensor> grads = new ArrayList<>();
        all.add(q);
        grads.add(g.dq());
        all.addAll(keys);
        grads.addAll(g.dk());
        all.addAll(values);
        grads.addAll(g.dv());
        for (int a = 0; a < all.size(); a++) {
            double[] x = all.get(a).doubles();
            for (int at = 0; at < x.length; at += 5) {
                double keep = x[at];
                x[at] = keep + h;
                double up = loss(q, keys, values, dout, o);
                x[at] = keep - h;
                double down = loss(q, keys, values, dout, o);
                x[at] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, grads.get(a).get(at), tol, "array " + a + " at " + at);
            }
        }
        assertTrue(maxAbs(g.dq()) > 1e-3, "dq is not trivially zero");
    }

    private static double loss(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, AttentionOptions o) {
        Tensor out = TensorAttention.forward(q, keys, values, o).output();
        double s = 0;
        for (int x = 0; x < out.size(); x++) {
            s += out.get(x) * dout.get(x);
        }
        return s;
    }

    private static double maxAbs(Tensor t) {
        double m = 0;
        for (int x = 0; x < t.size(); x++) {
            m = Math.max(m, Math.abs(t.get(x)));
        }
        return m;
    }

    private static void assertBitwise(String name, Tensor expected, Tensor got) {
        assertArrayEquals(expected.shape(), got.shape(), name + " shape");
        assertEquals(expected.dtype(), got.dtype(), name + " dtype");
        for (int x = 0; x < expected.size(); x++) {
            assertEquals(expected.get(x), got.get(x), 0, name + " at flat index " + x);
        }
    }

    /** Entries in [-1, 1], float32 values in either dtype. */
    private static Tensor random(Random rnd, DType dt, int... shape) {
        double[] x = new double[(int) Tensor.sizeOf(shape)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * rnd.nextDouble() - 1);
        }
        return Tensor.of(x, shape).to(dt);
    }

    /** (b, s, h, w) to (b, h, s, w) and back, by indices, in the same dtype. */
    private static Tensor swap(Tensor t) {
        int[] s = t.shape();
        double[] out = new double[t.size()];
        for (int a = 0; a < s[0]; a++) {
            for (int b = 0; b < s[1]; b++) {
                for (int c = 0; c < s[2]; c++) {
                    for (int l = 0; l < s[3]; l++) {
                        out[((a * s[2] + c) * s[1] + b) * s[3] + l] = t.at(a, b, c, l);
                    }
                }
            }
        }
        return Tensor.of(out, s[0], s[2], s[1], s[3]).to(t.dtype());
    }

    private static List<Tensor> swap(List<Tensor> ts) {
        return ts.stream().map(BshdLayoutTest::swap).toList();
    }

    /** An lse (b, h, s) as (b, s, h), by indices. */
    private static Tensor swapLse(Tensor t) {
        int[] s = t.shape();
        double[] out = new double[t.size()];
        for (int a = 0; a < s[0]; a++) {
            for (int b = 0; b < s[1]; b++) {
                for (int c = 0; c < s[2]; c++) {
                    out[(a * s[2] + c) * s[1] + b] = t.at(a, b, c);
                }
            }
        }
        return Tensor.of(out, s[0], s[2], s[1]);
    }

    /** Without the leading batch axis of 1 (packed arrays have none), and back. */
    private static Tensor drop(Tensor t) {
        int[] s = t.shape();
        return t.reshape(java.util.Arrays.copyOfRange(s, 1, s.length));
    }

    private static List<Tensor> drop(List<Tensor> ts) {
        return ts.stream().map(BshdLayoutTest::drop).toList();
    }

    private static Tensor lift(Tensor t) {
        int[] s = t.shape();
        int[] shape = new int[s.length + 1];
        shape[0] = 1;
        System.arraycopy(s, 0, shape, 1, s.length);
        return t.reshape(shape);
    }
}
