package org.tensorattention.core.exact;

/**
 * Copies of the last (inner) key factor laid out for the blocked kernels, one per key/value problem.
 *
 * <p>Keys are transposed per block of {@code bk} rows, {@code packed[(block * d + l) * bk + jj] = K[block * bk + jj][l]},
 * so that one vector load reads one coordinate of many keys (the scores become broadcast-FMAs). Values keep
 * their rows, padded to {@code dvp} columns. Rows past nk are zero in both; the kernels mask them out.
 * The backward pass (package grad) reads its key and value tiles in the same layout.
 */
public final class InnerPacking {
    private InnerPacking() {
    }

    public static int blocks(int nk, int bk) {
        return (nk + bk - 1) / bk;
    }

    /** K (nk x d rows from offset) transposed per block; typed per dtype, since this loop moves single elements. */
    public static float[] keys(float[] k, int offset, int nk, int d, int bk) {
        return keys(k, offset, d, nk, d, bk);
    }

    /** Rows stride apart from offset (bshd interleaves the heads' rows). */
    public static float[] keys(float[] k, int offset, int stride, int nk, int d, int bk) {
        float[] packed = new float[blocks(nk, bk) * bk * d];
        keysInto(k, offset, stride, nk, d, bk, packed, 0);
        return packed;
    }

    /** Rows stride apart from offset, packed as rows first.. of packed (a cache that grows keeps its earlier rows). */
    static void keysInto(float[] k, int offset, int stride, int count, int d, int bk, float[] packed, int first) {
        for (int x = 0; x < count; x++) {
            int j = first + x;
            int base = (j / bk) * d * bk + j % bk;
            for (int l = 0; l < d; l++) {
                packed[base + l * bk] = k[offset + x * stride + l];
            }
        }
    }

    public static double[] keys(double[] k, int offset, int nk, int d, int bk) {
        return keys(k, offset, d, nk, d, bk);
    }

    /** Rows stride apart from offset (bshd interleaves the heads' rows). */
    public static double[] keys(double[] k, int offset, int stride, int nk, int d, int bk) {
        double[] packed = new double[blocks(nk, bk) * bk * d];
        keysInto(k, offset, stride, nk, d, bk, packed, 0);
        return packed;
    }

    /** Rows stride apart from offset, packed as rows first.. of packed (a cache that grows keeps its earlier rows). */
    static void keysInto(double[] k, int offset, int stride, int count, int d, int bk, double[] packed, int first) {
        for (int x = 0; x < count; x++) {
            int j = first + x;
            int base = (j / bk) * d * bk + j % bk;
            for (int l = 0; l < d; l++) {
                packed[base + l * bk] = k[offset + x * stride + l];
            }
        }
    }

    /** V (nk x dv rows, stride apart from offset) with each row padded to dvp columns, in V's dtype. */
    static <A> A values(A v, int offset, int stride, int nk, int dv, int dvp, int bk) {
        A packed = like(v, blocks(nk, bk) * bk * dvp);
        valuesInto(v, offset, stride, nk, dv, dvp, packed, 0);
        return packed;
    }

    /** V's rows stride apart from offset, as rows first.. of packed. */
    static void valuesInto(Object v, int offset, int stride, int count, int dv, int dvp, Object packed, int first) {
        for (int x = 0; x < count; x++) {
            System.arraycopy(v, offset + x * stride, packed, (first + x) * dvp, dv);
        }
    }

    /** A zero array of a's primitive type (float or double) and the given length. */
    @SuppressWarnings("unchecked")
    private static <A> A like(A a, int length) {
        if (a instanceof float[]) {
            return (A) new float[length];
        }
        if (a instanceof double[]) {
            return (A) new double[length];
        }
        throw new IllegalArgumentException("packing needs a float[] or double[], not " + a.getClass());
    }
}
