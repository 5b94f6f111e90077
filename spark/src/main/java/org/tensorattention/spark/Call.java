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

    /** A call in the bhsd layout (SparkAttention relabels bshd before it gets here). */
    Call(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        this.g = Validation.geometry(q, keys, values);
        this.scale = options.scaleFor(g.d());
        // Bottom-right as on one machine: query i at nk_t - nq + i; the tasks shift it again for their slices.
        this.mask = Validation.align(g, options).mask();
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
