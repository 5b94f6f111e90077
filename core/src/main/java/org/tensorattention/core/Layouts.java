package org.tensorattention.core;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;

/**
 * The bshd layout, (batch, seq, heads, dim). The exact forward reads and writes it in place: {@link #headsFirst}
 * relabels the shape as bhsd over the same data, and the call's {@link Geometry#interleaved} geometry tells the
 * kernels where each head's rows lie. The backward and the polynomial method swap the seq and heads axes on the
 * way in and back on the way out instead (O(size) copies against O(n^k d) work).
 */
public final class Layouts {
    private Layouts() {
    }

    public static Tensor toBhsd(String name, Tensor t) {
        return swapAdjacent(seqHeadsDim(name, t), t.rank() - 3);
    }

    public static List<Tensor> toBhsd(String prefix, List<Tensor> ts) {
        return each(prefix, ts, Layouts::toBhsd);
    }

    /** The same data with its seq and heads axes relabelled (no copy): bhsd's shape over bshd's order. */
    public static Tensor headsFirst(String name, Tensor t) {
        return relabel(seqHeadsDim(name, t), t.rank() - 3);
    }

    public static List<Tensor> headsFirst(String prefix, List<Tensor> ts) {
        return each(prefix, ts, Layouts::headsFirst);
    }

    private static Tensor seqHeadsDim(String name, Tensor t) {
        if (t.rank() < 3) {
            throw new IllegalArgumentException("layout bshd needs " + name + " with at least 3 dimensions (seq, heads,"
                    + " dim), got shape " + Tensor.shapeString(t.shape()));
        }
        return t;
    }

    /** f on each tensor, named prefix1, prefix2, .. in messages. */
    private static List<Tensor> each(String prefix, List<Tensor> ts, BiFunction<String, Tensor, Tensor> f) {
        List<Tensor> r = new ArrayList<>(ts.size());
        for (int i = 0; i < ts.size(); i++) {
            r.add(f.apply(prefix + (i + 1), ts.get(i)));
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

    public static Tensor toBshd(Tensor t) {
        return swapAdjacent(t, t.rank() - 3);
    }

    public static List<Tensor> toBshd(List<Tensor> ts) {
        return ts.stream().map(Layouts::toBshd).toList();
    }

    /** The lse (..., heads, seq) as (..., seq, heads). */
    public static Tensor lseToBshd(Tensor t) {
        return swapAdjacent(t, t.rank() - 2);
    }

    /** Swaps axes a and a + 1 (a copy). */
    public static Tensor swapAdjacent(Tensor t, int a) {
        int[] s = t.shape();
        int outer = 1;
        for (int x = 0; x < a; x++) {
            outer *= s[x];
        }
        int inner = 1;
        for (int x = a + 2; x < s.length; x++) {
            inner *= s[x];
        }
        int na = s[a];
        int nb = s[a + 1];
        int[] shape = s.clone();
        shape[a] = nb;
        shape[a + 1] = na;
        boolean f32 = t.dtype() == DType.FLOAT32;
        float[] fi = f32 ? t.floats() : null;
        double[] di = f32 ? null : t.doubles();
        float[] fo = f32 ? new float[fi.length] : null;
        double[] dout = f32 ? null : new double[di.length];
        for (int o = 0; o < outer; o++) {
            int base = o * na * nb * inner;
            for (int x = 0; x < na; x++) {
                for (int y = 0; y < nb; y++) {
                    int from = base + (x * nb + y) * inner;
                    int to = base + (y * na + x) * inner;
                    if (f32) {
                        System.arraycopy(fi, from, fo, to, inner);
                    } else {
                        System.arraycopy(di, from, dout, to, inner);
                    }
                }
            }
        }
        return f32 ? Tensor.of(fo, shape) : Tensor.of(dout, shape);
    }
}
