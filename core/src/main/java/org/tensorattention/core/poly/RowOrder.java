package org.tensorattention.core.poly;

import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * The caller's row order against the bhsd order the poly kernels run in. The method makes one float64 copy of
 * each input anyway; for bshd arrays, blocks of (rows, heads, width), that copy gathers each head's rows
 * together, and each result is scattered back into bshd order before it is cast to the caller's dtype. With one
 * head per block (bhsd) both are the plain copy and cast.
 */
final class RowOrder {
    private RowOrder() {
    }

    /** t as a float64 copy in bhsd order: blocks of (heads, rows, width) from t's blocks of (rows, heads, width). */
    static double[] gather(Tensor t, int rows, int heads, int width) {
        if (heads == 1) {
            // A copy even for float64: balancing changes it.
            return t.toDoubleArray();
        }
        return permute(t.to(DType.FLOAT64).doubles(), rows, heads, width, true);
    }

    /** The inverse of {@link #gather}: bhsd-ordered values as a tensor of the given shape and dtype. */
    static Tensor scatter(double[] a, int rows, int heads, int width, int[] shape, DType dtype) {
        return Tensor.of(heads == 1 ? a : permute(a, rows, heads, width, false), shape).to(dtype);
    }

    /** src reordered from bshd blocks to bhsd blocks (toBhsd) or back, as a new array. */
    private static double[] permute(double[] src, int rows, int heads, int width, boolean toBhsd) {
        double[] r = new double[src.length];
        int block = rows * heads * width;
        for (int o = 0; o + block <= r.length && block > 0; o += block) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < rows; i++) {
                    int bshd = o + (i * heads + h) * width;
                    int bhsd = o + (h * rows + i) * width;
                    if (toBhsd) {
                        System.arraycopy(src, bshd, r, bhsd, width);
                    } else {
                        System.arraycopy(src, bhsd, r, bshd, width);
                    }
                }
            }
        }
        return r;
    }
}
