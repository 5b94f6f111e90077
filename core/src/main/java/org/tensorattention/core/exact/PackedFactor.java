package org.tensorattention.core.exact;

import java.util.Arrays;
import org.tensorattention.core.DType;

/**
 * A key/value factor that grows between calls, kept in the blocked kernel's packed layout ({@link InnerPacking}):
 * a decoder's last factor. Appending packs only the new rows, so a call that hands it to
 * {@link ExactForward#forward(org.tensorattention.core.Geometry, double, org.tensorattention.core.Mask, float[],
 * float[][], float[][], PackedFactor, float[], double[], int)} skips the O(n (d + dv)) repacking of the whole
 * factor. Capacity doubles in whole blocks, so n rows appended one by one cost O(n (d + dv)) in all; rows past
 * {@link #rows} are zero. On the scalar path (no Vector API) nothing is packed: that kernel reads the rows.
 */
public final class PackedFactor {
    private final DType dtype;
    private final int d;
    private final int dv;
    /** Keys per block and padded value width of the vector kernel; 0 on the scalar path. */
    private final int bk;
    private final int dvp;
    private Object keys;
    private Object values;
    private int rows;

    public PackedFactor(DType dtype, int d, int dv) {
        this.dtype = dtype;
        this.d = d;
        this.dv = dv;
        boolean vector = ExactForward.defaultPath() == ExactForward.Path.VECTOR;
        bk = vector ? VectorForward.keyBlock(dtype) : 0;
        dvp = vector ? VectorForward.paddedWidth(dtype, dv) : 0;
        keys = dtype == DType.FLOAT32 ? new float[0] : new double[0];
        values = dtype == DType.FLOAT32 ? new float[0] : new double[0];
    }

    public DType dtype() {
        return dtype;
    }

    /** Rows appended so far. */
    public int rows() {
        return rows;
    }

    /** Whether the kernel in use reads this copy (false on the scalar path). */
    boolean packed() {
        return bk > 0;
    }

    Object keys() {
        return keys;
    }

    Object values() {
        return values;
    }

    /** Appends m rows: keys (m, d) from k at kOffset and values (m, dv) from v at vOffset, float32. */
    public void append(float[] k, int kOffset, float[] v, int vOffset, int m) {
        if (dtype != DType.FLOAT32) {
            throw new IllegalArgumentException("this factor holds " + dtype.numpyName() + ", not float32");
        }
        if (grow(m)) {
            InnerPacking.keysInto(k, kOffset, d, m, d, bk, (float[]) keys, rows);
            InnerPacking.valuesInto(v, vOffset, dv, m, dv, dvp, values, rows);
        }
        rows += m;
    }

    /** Appends m rows, float64. */
    public void append(double[] k, int kOffset, double[] v, int vOffset, int m) {
        if (dtype != DType.FLOAT64) {
            throw new IllegalArgumentException("this factor holds " + dtype.numpyName() + ", not float64");
        }
        if (grow(m)) {
            InnerPacking.keysInto(k, kOffset, d, m, d, bk, (double[]) keys, rows);
            InnerPacking.valuesInto(v, vOffset, dv, m, dv, dvp, values, rows);
        }
        rows += m;
    }

    /** Room for m more rows, doubling in whole blocks; false when nothing is packed. */
    private boolean grow(int m) {
        if (bk == 0) {
            return false;
        }
        int capacity = keys instanceof float[] f ? f.length / d : ((double[]) keys).length / d;
        long need = InnerPacking.blocks(rows + m, bk) * (long) bk;
        if (need > capacity) {
            long cap = Math.max(need, 2L * capacity);
            if (cap * Math.max(d, dvp) > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("the cache cannot hold " + (rows + m) + " rows of width "
                        + Math.max(d, dvp));
            }
            int c = (int) cap;
            keys = keys instanceof float[] f ? Arrays.copyOf(f, c * d) : Arrays.copyOf((double[]) keys, c * d);
            values = values instanceof float[] f ? Arrays.copyOf(f, c * dvp)
                    : Arrays.copyOf((double[]) values, c * dvp);
        }
        return true;
    }
}
