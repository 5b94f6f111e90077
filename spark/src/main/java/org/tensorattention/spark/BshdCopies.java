package org.tensorattention.spark;

import java.util.List;
import org.tensorattention.core.DType;
import org.tensorattention.core.Layouts;
import org.tensorattention.core.Tensor;

/**
 * bshd arrays as bhsd copies on the driver, and back. The kernels read bshd in place, but a Spark task ships
 * one head's block of query rows: in bhsd those rows are one contiguous slice, in bshd they are strided through
 * every head's. One O(size) copy per array on the driver buys contiguous task slices.
 */
final class BshdCopies {
    private BshdCopies() {
    }

    static Tensor toBhsd(String name, Tensor t) {
        Layouts.headsFirst(name, t); // the rank check and its message
        return swapAdjacent(t, t.rank() - 3);
    }

    static List<Tensor> toBhsd(String prefix, List<Tensor> ts) {
        Layouts.headsFirst(prefix, ts);
        return ts.stream().map(t -> swapAdjacent(t, t.rank() - 3)).toList();
    }

    static Tensor toBshd(Tensor t) {
        return swapAdjacent(t, t.rank() - 3);
    }

    static List<Tensor> toBshd(List<Tensor> ts) {
        return ts.stream().map(BshdCopies::toBshd).toList();
    }

    /** The lse (..., heads, seq) as (..., seq, heads). */
    static Tensor lseToBshd(Tensor t) {
        return swapAdjacent(t, t.rank() - 2);
    }

    /** Swaps axes a and a + 1 (a copy). */
    static Tensor swapAdjacent(Tensor t, int a) {
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
        Object from = f32 ? t.floats() : t.doubles();
        Object to = f32 ? new float[t.floats().length] : new double[t.doubles().length];
        for (int o = 0; o < outer; o++) {
            int base = o * na * nb * inner;
            for (int x = 0; x < na; x++) {
                for (int y = 0; y < nb; y++) {
                    System.arraycopy(from, base + (x * nb + y) * inner, to, base + (y * na + x) * inner, inner);
                }
            }
        }
        return f32 ? Tensor.of((float[]) to, shape) : Tensor.of((double[]) to, shape);
    }
}
