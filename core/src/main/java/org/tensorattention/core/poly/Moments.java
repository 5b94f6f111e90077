package org.tensorattention.core.poly;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM-shaped steps of the polynomial method, on blocks of rows whose features are stored transposed
 * ({@code ut[L * b + j]}) and whose value rows are padded to a whole number of vectors ({@code dvp}):
 * <ul>
 *   <li>{@link #accumulate}: S += U^T V and z += U^T 1 (key moments),</li>
 *   <li>{@link #contract}: num = U_Q M and den = U_Q z (query side),</li>
 *   <li>{@link #addRow} and {@link #outputRow}: the same one row at a time, for the masked scans.</li>
 * </ul>
 * Register blocking ({@link #tile}): eight feature columns (accumulate) or eight query rows (contract) share each vector load.
 */
final class Moments {
    static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    /** Rows per block: a multiple of 8 (contract works on eight rows at a time). */
    static final int BLOCK = 64;

    private Moments() {
    }

    /** One output row of {@link #tile}: out[o + c] += sum_{y < ny} a[a0 + y * sy] bm[y * dvp + c]. */
    private static void row(double[] a, int a0, int sy, double[] bm, int ny, int dvp, double[] out, int o) {
        for (int c = 0; c < dvp; c += LANES) {
            DoubleVector acc = DoubleVector.zero(SPECIES);
            for (int y = 0; y < ny; y++) {
                acc = fma(DoubleVector.fromArray(SPECIES, bm, y * dvp + c), a[a0 + y * sy], acc);
            }
            addInto(acc, out, o + c);
        }
    }

    /** v * x + acc, fused. */
    static DoubleVector fma(DoubleVector v, double x, DoubleVector acc) {
        return v.fma(DoubleVector.broadcast(SPECIES, x), acc);
    }

    private static void addInto(DoubleVector v, double[] a, int off) {
        v.add(DoubleVector.fromArray(SPECIES, a, off)).intoArray(a, off);
    }

    /** dv rounded up to a whole number of vectors. */
    static int padded(int dv) {
        return (dv + LANES - 1) / LANES * LANES;
    }

    /**
     * s[L * dvp + c] += sum_{j < b} ut[L * b + j] vb[j * dvp + c] and z[L] += sum_{j < rows} ut[L * b + j].
     * Value rows past {@code rows} must be zero.
     */
    static void accumulate(double[] ut, double[] vb, int b, int rows, int rank, int dvp, double[] s, double[] z) {
        // Output row L is feature column L (stride b in ut), summed over the block's rows j (stride 1).
        int L = 0;
        for (; L + 8 <= rank; L += 8) {
            tile(ut, L * b, b, 1, vb, b, dvp, s, L * dvp);
        }
        for (; L < rank; L++) {
            row(ut, L * b, 1, vb, b, dvp, s, L * dvp);
        }
        int whole = rows / LANES * LANES;
        for (L = 0; L < rank; L++) {
            int o = L * b;
            DoubleVector acc = DoubleVector.zero(SPECIES);
            int j = 0;
            for (; j < whole; j += LANES) {
                acc = acc.add(DoubleVector.fromArray(SPECIES, ut, o + j));
            }
            double sum = acc.reduceLanes(VectorOperators.ADD);
            for (; j < rows; j++) {
                sum += ut[o + j];
            }
            z[L] += sum;
        }
    }

    /**
     * num[i * dvp + c] = sum_L uqt[L * b + i] m[L * dvp + c] and den[i] = sum_L uqt[L * b + i] zz[L], for
     * i < b (b a multiple of 8).
     */
    static void contract(double[] uqt, int b, int rank, double[] m, double[] zz, int dvp, double[] num, double[] den) {
        // Output row i is query row i (stride 1 in uqt), summed over the feature columns L (stride b).
        java.util.Arrays.fill(num, 0, b * dvp, 0.0);
        for (int i0 = 0; i0 < b; i0 += 8) {
            tile(uqt, i0, 1, b, m, rank, dvp, num, i0 * dvp);
        }
        // den: vectors over the rows, b / LANES accumulators kept in den itself (b is a multiple of 8).
        java.util.Arrays.fill(den, 0, b, 0.0);
        for (int i0 = 0; i0 < b; i0 += LANES) {
            DoubleVector acc = DoubleVector.zero(SPECIES);
            for (int L = 0; L < rank; L++) {
                acc = fma(DoubleVector.fromArray(SPECIES, uqt, L * b + i0), zz[L], acc);
            }
            acc.intoArray(den, i0);
        }
    }

    /**
     * The register tile both GEMM shapes share: for x < 8 and every c < dvp,
     * out[o + x * dvp + c] += sum_{y < ny} a[a0 + x * sx + y * sy] bm[y * dvp + c]. Eight independent FMA
     * chains share each load of bm. Kept small so that the JIT inlines it and the strides become constants.
     */
    private static void tile(double[] a, int a0, int sx, int sy, double[] bm, int ny, int dvp, double[] out, int o) {
        for (int c = 0; c < dvp; c += LANES) {
            DoubleVector a0v = DoubleVector.zero(SPECIES);
            DoubleVector a1 = a0v;
            DoubleVector a2 = a0v;
            DoubleVector a3 = a0v;
            DoubleVector a4 = a0v;
            DoubleVector a5 = a0v;
            DoubleVector a6 = a0v;
            DoubleVector a7 = a0v;
            for (int y = 0; y < ny; y++) {
                DoubleVector v = DoubleVector.fromArray(SPECIES, bm, y * dvp + c);
                int u = a0 + y * sy;
                a0v = fma(v, a[u], a0v);
                a1 = fma(v, a[u + sx], a1);
                a2 = fma(v, a[u + 2 * sx], a2);
                a3 = fma(v, a[u + 3 * sx], a3);
                a4 = fma(v, a[u + 4 * sx], a4);
                a5 = fma(v, a[u + 5 * sx], a5);
                a6 = fma(v, a[u + 6 * sx], a6);
                a7 = fma(v, a[u + 7 * sx], a7);
            }
            int s0 = o + c;
            addInto(a0v, out, s0);
            addInto(a1, out, s0 + dvp);
            addInto(a2, out, s0 + 2 * dvp);
            addInto(a3, out, s0 + 3 * dvp);
            addInto(a4, out, s0 + 4 * dvp);
            addInto(a5, out, s0 + 5 * dvp);
            addInto(a6, out, s0 + 6 * dvp);
            addInto(a7, out, s0 + 7 * dvp);
        }
    }

    /** s[L] += sign * phi[L] * vrow and z[L] += sign * phi[L] (vrow padded to dvp). */
    static void addRow(double[] phi, double[] vrow, double sign, int rank, int dvp, double[] s, double[] z) {
        for (int c = 0; c < dvp; c += LANES) {
            DoubleVector v = DoubleVector.fromArray(SPECIES, vrow, c).mul(sign);
            for (int L = 0; L < rank; L++) {
                int o = L * dvp + c;
                fma(v, phi[L], DoubleVector.fromArray(SPECIES, s, o)).intoArray(s, o);
            }
        }
        for (int L = 0; L < rank; L++) {
            z[L] += sign * phi[L];
        }
    }

    /**
     * num[c] = sum_L phiq[L] prod_t s_t[L * dvp + c]; returns den = sum_L phiq[L] prod_t z_t[L].
     */
    static double outputRow(double[] phiq, double[][] s, double[][] z, int rank, int dvp, double[] num) {
        int factors = s.length;
        double[] s0 = s[0];
        for (int c = 0; c < dvp; c += LANES) {
            DoubleVector acc = DoubleVector.zero(SPECIES);
            for (int L = 0; L < rank; L++) {
                int o = L * dvp + c;
                DoubleVector prod = DoubleVector.fromArray(SPECIES, s0, o);
                for (int t = 1; t < factors; t++) {
                    prod = prod.mul(DoubleVector.fromArray(SPECIES, s[t], o));
                }
                acc = fma(prod, phiq[L], acc);
            }
            acc.intoArray(num, c);
        }
        double den = 0;
        for (int L = 0; L < rank; L++) {
            double prod = z[0][L];
            for (int t = 1; t < factors; t++) {
                prod *= z[t][L];
            }
            den += phiq[L] * prod;
        }
        return den;
    }
}
