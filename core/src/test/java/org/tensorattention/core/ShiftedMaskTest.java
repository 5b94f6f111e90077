package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A query block with only the keys it can see, under a shifted mask, gives the whole problem's rows. */
class ShiftedMaskTest {
    private static final int N = 37;
    private static final int D = 5;

    private static Tensor random(Random rnd, int rows, int cols) {
        double[] x = new double[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = rnd.nextDouble() * 2 - 1;
        }
        return Tensor.of(x, rows, cols);
    }

    private static Tensor rows(Tensor t, int from, int to) {
        int w = t.dim(-1);
        return Tensor.of(Arrays.copyOfRange(t.doubles(), from * w, to * w), to - from, w);
    }

    @Test
    void blocksWithTheirKeysMatchTheWholeProblem() {
        Random rnd = new Random(7);
        for (Mask mask : List.of(Mask.CAUSAL, Mask.window(4, 9))) {
            Tensor q = random(rnd, N, D);
            List<Tensor> k = List.of(random(rnd, N, D), random(rnd, N, D));
            List<Tensor> v = List.of(random(rnd, N, 3), random(rnd, N, 3));
            Tensor dout = random(rnd, N, 3);
            AttentionOptions whole = AttentionOptions.defaults().withMask(mask).withThreads(1);
            AttentionResult full = TensorAttention.forward(q, k, v, whole);
            GradientResult grads = TensorAttention.backward(q, k, v, dout, full, whole);
            int i0 = 11;
            int i1 = 23;
            List<Tensor> kb = new ArrayList<>();
            List<Tensor> vb = new ArrayList<>();
            int[] offsets = new int[2];
            for (int t = 0; t < 2; t++) {
                // A window needs keys from i0 - w + 1 on; causal needs them all up to i1.
                int j0 = mask.kind() == Mask.Kind.WINDOW ? Math.max(0, i0 - mask.windows()[t] + 1) : 0;
                kb.add(rows(k.get(t), j0, i1));
                vb.add(rows(v.get(t), j0, i1));
                offsets[t] = i0 - j0;
            }
            AttentionOptions slice = whole.withMask(mask.shifted(offsets));
            AttentionResult part = TensorAttention.forward(rows(q, i0, i1), kb, vb, slice);
            for (int x = 0; x < (i1 - i0) * 3; x++) {
                assertEquals(full.output().get(i0 * 3 + x), part.output().get(x), 1e-14, mask + " o");
            }
            for (int i = 0; i < i1 - i0; i++) {
                assertEquals(full.logSumExp().get(i0 + i), part.logSumExp().get(i), 1e-13, mask + " lse");
            }
            GradientResult pg = TensorAttention.backward(rows(q, i0, i1), kb, vb, rows(dout, i0, i1), part, slice);
            for (int x = 0; x < (i1 - i0) * D; x++) {
                assertEquals(grads.dq().get(i0 * D + x), pg.dq().get(x), 1e-13, mask + " dq");
            }
        }
    }

    @Test
    void aRowThatSeesNoKeyHasLseMinusInfinity() {
        Random rnd = new Random(3);
        Tensor q = random(rnd, 4, D);
        // Rows 0..3 at positions -2..1 against keys 0..5: rows 0 and 1 see nothing.
        AttentionOptions o = AttentionOptions.defaults().withMask(Mask.CAUSAL.shifted(-2)).withThreads(1);
        AttentionResult r = TensorAttention.forward(q, List.of(random(rnd, 6, D)), List.of(random(rnd, 6, 2)), o);
        // Its output row is not defined (0/0); a merge of partial results gives such a row weight zero.
        for (int i = 0; i < 2; i++) {
            assertEquals(Double.NEGATIVE_INFINITY, r.logSumExp().get(i));
        }
        assertEquals(true, Double.isFinite(r.logSumExp().get(2)));
        assertEquals(Mask.FULL, Mask.FULL.shifted(3));
        // The polynomial method scans with the same offsets: within its certified bound of the exact rows.
        Tensor k = random(rnd, 6, D);
        Tensor v = random(rnd, 6, 2);
        AttentionResult exact = TensorAttention.forward(q, List.of(k), List.of(v), o);
        AttentionResult poly = TensorAttention.forward(q, List.of(k), List.of(v), o.withMethod(Method.POLY));
        double bound = poly.poly().errorBound();
        for (int e = 0; e < 8; e++) {
            assertEquals(exact.output().get(e), poly.output().get(e), bound, "entry " + e);
        }
    }
}
