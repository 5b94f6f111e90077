package org.tensorattention.core;

import java.util.Arrays;

/**
 * A dense, row-major (C order) array of float32 or float64 values with a shape.
 *
 * <p>The backing array is exposed on purpose ({@link #floats()}, {@link #doubles()}): kernels read and
 * write it directly. A tensor never copies unless asked ({@link #to(DType)}, {@link #copy()}).
 */
public final class Tensor {
    private final int[] shape;
    private final DType dtype;
    private final float[] f;
    private final double[] d;

    private Tensor(int[] shape, DType dtype, float[] f, double[] d) {
        this.shape = shape.clone();
        this.dtype = dtype;
        this.f = f;
        this.d = d;
        long size = sizeOf(shape);
        long length = dtype == DType.FLOAT32 ? f.length : d.length;
        if (size != length) {
            throw new IllegalArgumentException(
                    "shape " + Arrays.toString(shape) + " holds " + size + " values, data has " + length);
        }
    }

    /** Wraps (does not copy) float64 data. */
    public static Tensor of(double[] data, int... shape) {
        return new Tensor(shape, DType.FLOAT64, null, data);
    }

    /** Wraps (does not copy) float32 data. */
    public static Tensor of(float[] data, int... shape) {
        return new Tensor(shape, DType.FLOAT32, data, null);
    }

    /** A 0-d float64 tensor. */
    public static Tensor scalar(double value) {
        return of(new double[] {value});
    }

    /** The most elements a Java array may hold on common JVMs (a few below Integer.MAX_VALUE). */
    public static final int MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    public static Tensor zeros(DType dtype, int... shape) {
        int size = checkedSize(shape, "an array");
        return dtype == DType.FLOAT32 ? of(new float[size], shape) : of(new double[size], shape);
    }

    /**
     * The number of values a shape holds, as an int; an IllegalArgumentException naming the array and its size
     * when that passes what one Java array can hold.
     */
    public static int checkedSize(int[] shape, String name) {
        long size = sizeOf(shape);
        if (size > MAX_ELEMENTS) {
            throw new IllegalArgumentException(name + " of shape " + shapeString(shape) + " would hold " + size
                    + " values, more than one array can hold (" + MAX_ELEMENTS + ")");
        }
        return (int) size;
    }

    /** Number of values a shape holds (1 for a 0-d shape); rejects negative dimensions. */
    public static long sizeOf(int[] shape) {
        long size = 1;
        for (int s : shape) {
            if (s < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            // Saturate instead of wrapping: a size past 2^62 is refused either way.
            size = size > (1L << 62) / Math.max(1, s) ? 1L << 62 : size * s;
        }
        return size;
    }

    public int[] shape() {
        return shape.clone();
    }

    /** Size of dimension {@code axis}; negative axes count from the end, as in numpy. */
    public int dim(int axis) {
        return shape[axis < 0 ? shape.length + axis : axis];
    }

    public int rank() {
        return shape.length;
    }

    public int size() {
        return dtype == DType.FLOAT32 ? f.length : d.length;
    }

    public DType dtype() {
        return dtype;
    }

    /** The float32 backing array; fails for a float64 tensor. */
    public float[] floats() {
        if (f == null) {
            throw new IllegalStateException("tensor is float64");
        }
        return f;
    }

    /** The float64 backing array; fails for a float32 tensor. */
    public double[] doubles() {
        if (d == null) {
            throw new IllegalStateException("tensor is float32");
        }
        return d;
    }

    /** Value at a flat (row-major) index, widened to double. */
    public double get(int flatIndex) {
        return f != null ? f[flatIndex] : d[flatIndex];
    }

    /** Value at a multi-index. */
    public double at(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for tensor of rank " + shape.length);
        }
        int flat = 0;
        for (int a = 0; a < shape.length; a++) {
            if (index[a] < 0 || index[a] >= shape[a]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " out of " + Arrays.toString(shape));
            }
            flat = flat * shape[a] + index[a];
        }
        return get(flat);
    }

    /** This tensor in the given dtype: itself when it already is, else a converted copy. */
    public Tensor to(DType target) {
        if (target == dtype) {
            return this;
        }
        if (target == DType.FLOAT64) {
            double[] out = new double[f.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = f[i];
            }
            return of(out, shape);
        }
        float[] out = new float[d.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) d[i];
        }
        return of(out, shape);
    }

    /** All values as a new double array. */
    public double[] toDoubleArray() {
        return d != null ? d.clone() : to(DType.FLOAT64).d;
    }

    public Tensor copy() {
        return f != null ? of(f.clone(), shape) : of(d.clone(), shape);
    }

    /** The same data under another shape of equal size. */
    public Tensor reshape(int... newShape) {
        return f != null ? of(f, newShape) : of(d, newShape);
    }

    /** Index of the first NaN or infinite value, or -1 when all are finite. */
    public int firstNonFinite() {
        int n = size();
        for (int i = 0; i < n; i++) {
            if (!Double.isFinite(get(i))) {
                return i;
            }
        }
        return -1;
    }

    /** Largest absolute value (0 for an empty tensor). */
    public double maxAbs() {
        double m = 0;
        int n = size();
        for (int i = 0; i < n; i++) {
            m = Math.max(m, Math.abs(get(i)));
        }
        return m;
    }

    /** Shape and dtype in numpy's words, e.g. {@code float32 (2, 3)}. */
    public String describe() {
        return dtype.numpyName() + " " + shapeString(shape);
    }

    /** A shape as numpy prints it: {@code (2, 3)}, {@code (5,)}, {@code ()}. */
    public static String shapeString(int[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder sb = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return sb.append(')').toString();
    }

    @Override
    public String toString() {
        return "Tensor[" + describe() + "]";
    }
}
