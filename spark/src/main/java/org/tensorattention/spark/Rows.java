package org.tensorattention.spark;

import java.io.Serializable;
import java.util.Arrays;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/** A row-major float32 or float64 array that travels to executors, and the row slices tasks take of it. */
final class Rows implements Serializable {
    private static final long serialVersionUID = 1L;
    final float[] f;
    final double[] d;

    private Rows(float[] f, double[] d) {
        this.f = f;
        this.d = d;
    }

    static Rows of(Tensor t) {
        return t.dtype() == DType.FLOAT32 ? new Rows(t.floats(), null) : new Rows(null, t.doubles());
    }

    static Rows of(float[] f) {
        return new Rows(f, null);
    }

    static Rows of(double[] d) {
        return new Rows(null, d);
    }

    boolean isFloat() {
        return f != null;
    }

    /** Rows [from, to) of width w, starting at flat offset base. */
    Rows slice(long base, int from, int to, int w) {
        int a = Math.toIntExact(base + (long) from * w);
        int b = Math.toIntExact(base + (long) to * w);
        return f != null ? new Rows(Arrays.copyOfRange(f, a, b), null) : new Rows(null, Arrays.copyOfRange(d, a, b));
    }

    /** The values in float64 (the array itself when it is float64). */
    double[] f64() {
        if (d != null) {
            return d;
        }
        double[] r = new double[f.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = f[i];
        }
        return r;
    }

    /** These values as float32 (float32 = true) or float64: itself when they already are. */
    Rows as(boolean float32) {
        if (float32 == isFloat()) {
            return this;
        }
        return float32 ? of(ExactSpark.narrow(d)) : of(f64());
    }

    int length() {
        return f != null ? f.length : d.length;
    }
}
