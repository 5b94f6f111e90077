package org.tensorattention.core.poly;

import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * The caller's row order against the bhsd order the poly kernels run in. The method makes one float64 copy of
 * each input anyway; for bshd arrays, blocks of (rows, heads, width), that copy gathers each head's rows
 * together, and each result is scattered back into bshd order as it is cast to the caller's dtype. With one
 * head per block (bhsd) both are the plain copy and cast.
 */
final class RowOrder {
    private RowOrder() {
    }

    /** t as a float64 copy in bhsd order: blocks of (heads, rows, width) from t's blocks of (rows, heads, width). */
    static double[] gather(Tensor t, int rows, int heads, int width) {
        if (heads == 1) {
            // to() returns the tensor itself when it is float64: clone, since balancing changes the copy.
            return t.dtype() == DType.FLOAT64 ? t.doubles().clone() : t.to(DType.FLOAT64).doubles();
        }
        double[] r = new double[t.size()];
        int block = rows * heads * width;
        for (int o = 0; o + block <= r.length && block > 0; o += block) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < rows; i++) {
                    int from = o + (i * heads + h) * width;
                    int to = o + (h * rows + i) * width;
                    for (int l = 0; l < width; l++) {
                        r[to + l] = t.get(from + l);
                    }
                }
            }
        }
        return r;
    }

    /** The inverse of {@link #gather}: bhsd-ordered values as a tensor of the given shape and dtype. */
    static Tensor scatter(double[] a, int rows, int heads, int width, int[] shape, DType dtype) {
        if (heads == 1) {
            return Tensor.of(a, shape).to(dtype);
        }
        boolean f32 = dtype == DType.FLOAT32;
        float[] f = f32 ? new float[a.length] : null;
        double[] d = f32 ? null : new double[a.length];
        int block = rows * heads * width;
        for (int o = 0; o + block <= a.length && block > 0; o += block) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < rows; i++) {
                    int from = o + (h * rows + i) * width;
                    int to = o + (i * heads + h) * width;
                    for (int l = 0; l < width; l++) {
                        if (f32) {
                            f[to + l] = (float) a[from + l];
                        } else {
                            d[to + l] = a[from + l];
                        }
                    }
                }
            }
        }
        return f32 ? Tensor.of(f, shape) : Tensor.of(d, shape);
    }
}
