package org.tensorattention.core;

/** Copies of row ranges along axis -2 (the sequence axis of bhsd arrays). */
final class Rows {
    private Rows() {
    }

    /** Rows from .. to - 1 of every leading problem. */
    static Tensor slice(Tensor t, int from, int to) {
        int[] s = t.shape();
        int n = s[s.length - 2];
        int w = s[s.length - 1];
        int outer = (int) (Tensor.sizeOf(s) / Math.max(1L, (long) n * w));
        int m = to - from;
        int[] shape = s.clone();
        shape[s.length - 2] = m;
        if (t.dtype() == DType.FLOAT32) {
            float[] src = t.floats();
            float[] dst = new float[outer * m * w];
            for (int o = 0; o < outer; o++) {
                System.arraycopy(src, (o * n + from) * w, dst, o * m * w, m * w);
            }
            return Tensor.of(dst, shape);
        }
        double[] src = t.doubles();
        double[] dst = new double[outer * m * w];
        for (int o = 0; o < outer; o++) {
            System.arraycopy(src, (o * n + from) * w, dst, o * m * w, m * w);
        }
        return Tensor.of(dst, shape);
    }

    /** Writes part's rows into whole starting at row from, problem by problem (same dtype). */
    static void place(Tensor whole, Tensor part, int from) {
        int[] s = whole.shape();
        int n = s[s.length - 2];
        int w = s[s.length - 1];
        int m = part.dim(-2);
        int outer = (int) (Tensor.sizeOf(s) / Math.max(1L, (long) n * w));
        Tensor src = part.to(whole.dtype());
        for (int o = 0; o < outer; o++) {
            if (whole.dtype() == DType.FLOAT32) {
                System.arraycopy(src.floats(), o * m * w, whole.floats(), (o * n + from) * w, m * w);
            } else {
                System.arraycopy(src.doubles(), o * m * w, whole.doubles(), (o * n + from) * w, m * w);
            }
        }
    }

    /** Writes a part's lse (..., m) into the whole's (..., n) at row from. */
    static void placeLse(double[] whole, int n, Tensor part, int from) {
        double[] src = part.to(DType.FLOAT64).doubles();
        int m = part.dim(-1);
        for (int o = 0; o < src.length / Math.max(1, m); o++) {
            System.arraycopy(src, o * m, whole, o * n + from, m);
        }
    }
}
