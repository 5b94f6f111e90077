package org.tensorattention.spark;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;

/**
 * One validated call as the driver holds it: geometry, options and the arrays as {@link Rows}, with the
 * slicing every task needs (problem p's query rows, kv problem kp's key rows).
 */
final class Call {
    final Geometry g;
    final Shape shape;
    final double scale;
    final Mask mask;
    final DType dtype;
    final int[] lead;
    final Rows q;
    final Rows[] k;
    final Rows[] v;

    Call(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        this.g = Validation.geometry(q, keys, values);
        requireSupported(g, options);
        this.scale = options.scaleFor(g.d());
        this.mask = options.mask();
        this.dtype = q.dtype();
        this.lead = Geometry.leading(q);
        this.q = Rows.of(q);
        this.shape = Shape.of(g, scale, mask, dtype == DType.FLOAT32);
        int factors = keys.size();
        this.k = new Rows[factors];
        this.v = new Rows[factors];
        for (int t = 0; t < factors; t++) {
            // As given: the exact kernel converts key slices to q's dtype, poly everything to float64.
            k[t] = Rows.of(keys.get(t));
            v[t] = Rows.of(values.get(t));
        }
    }

    /**
     * What the tasks cut: the BHSD layout, and full, causal and window masks with query i at key position i
     * (the tasks place their slices with shifted masks of their own). Bottom-right alignment (fewer queries than
     * keys), explicitly shifted masks and pair bands run on one machine.
     */
    static void requireSupported(Geometry g, AttentionOptions options) {
        if (options.layout() != AttentionOptions.Layout.BHSD) {
            throw new UnsupportedOperationException("--spark takes the bhsd layout only (q as (..., heads, n, d))");
        }
        Mask placed = Validation.align(g, options).mask();
        if (placed.band() != Mask.UNBOUNDED) {
            throw new UnsupportedOperationException("--spark does not run a pair band; run it without --spark");
        }
        if (placed.isShifted()) {
            throw new UnsupportedOperationException("--spark runs causal and window masks with as many queries as "
                    + "keys in every factor (no bottom-right alignment or shifted mask); run it without --spark");
        }
    }

    int factors() {
        return g.order() - 1;
    }

    /** Bytes of all keys and values. */
    long keyBytes() {
        long total = 0;
        for (int t = 0; t < factors(); t++) {
            total += (long) (k[t].length() + v[t].length()) * (k[t].isFloat() ? 4 : 8);
        }
        return total;
    }

    Rows queryRows(Rows a, int p, int from, int to, int width) {
        return a.slice((long) p * g.nq() * width, from, to, width);
    }

    Rows keyRows(int t, int kp, int from, int to) {
        return k[t].slice((long) kp * g.nk()[t] * g.d(), from, to, g.d());
    }

    Rows valueRows(int t, int kp, int from, int to) {
        return v[t].slice((long) kp * g.nk()[t] * g.dv(), from, to, g.dv());
    }

    int[] outputShape() {
        return Geometry.concat(lead, g.nq(), g.dv());
    }

    int[] lseShape() {
        return Geometry.concat(lead, g.nq());
    }
}
