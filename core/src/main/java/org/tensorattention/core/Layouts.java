package org.tensorattention.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The bshd layout, (batch, seq, heads, dim), read and written in place: {@link #headsFirst} relabels the shape
 * as bhsd over the same data, and the call's {@link Geometry#interleaved} geometry tells the kernels where each
 * head's rows lie (the exact forward and backward read them there; the polynomial method gathers them in the
 * float64 copy it makes anyway). Nothing here copies data.
 */
public final class Layouts {
    private Layouts() {
    }

    /** The same data with its seq and heads axes relabelled (no copy): bhsd's shape over bshd's order. */
    public static Tensor headsFirst(String name, Tensor t) {
        if (t.rank() < 3) {
            throw new IllegalArgumentException("layout bshd needs " + name + " with at least 3 dimensions (seq, heads,"
                    + " dim), got shape " + Tensor.shapeString(t.shape()));
        }
        return relabel(t, t.rank() - 3);
    }

    /** {@link #headsFirst(String, Tensor)} on each tensor, named prefix1, prefix2, .. in messages. */
    public static List<Tensor> headsFirst(String prefix, List<Tensor> ts) {
        List<Tensor> r = new ArrayList<>(ts.size());
        for (int i = 0; i < ts.size(); i++) {
            r.add(headsFirst(prefix + (i + 1), ts.get(i)));
        }
        return r;
    }

    /** Axes a and a + 1 of the shape exchanged over the same data. */
    public static Tensor relabel(Tensor t, int a) {
        int[] shape = t.shape();
        int x = shape[a];
        shape[a] = shape[a + 1];
        shape[a + 1] = x;
        return t.reshape(shape);
    }
}
