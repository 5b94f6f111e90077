package org.tensorattention.core.poly;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM-shaped steps of the polynomial method, on blocks of rows whose features are stored transposed
 * ({@code ut[L * b + j]}) and whose value rows are padded to a whole number of vectors ({@code dvp}):
 * <ul>
 *   <li>{@link #accumulate}: S += U^T V and z += U^T 1 (key moments),</li>
 *   <li>{@link #contract}: num = U_Q M and den = U_Q z (query side),</li>
 *   <li>{@link #addRow} and {@link #outputRow}: the same one row at a time, for the masked scans.</li>
 * </ul>
 * Register blocking: four feature columns (accumulate) or eight query rows (contract) share each vector load.
 */
final class Moments {
    static final VectorSpecies<Double> SPECIES = DoubleVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    /** Rows per block: a multiple of 8 (contract works on eight rows at a time). */
    static final int BLOCK = 64;

    private Moments() {
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
        int L = 0;
        // Eight feature columns at a time: eight independent FMA chains share each value-row load.
        for (; L + 8 <= rank; L += 8) {
            int o0 = L * b;
            for (int c = 0; c < dvp; c += LANES) {
                DoubleVector a0 = DoubleVector.zero(SPECIES);
                DoubleVector a1 = a0;
                DoubleVector a2 = a0;
                DoubleVector a3 = a0;
                DoubleVector a4 = a0;
                DoubleVector a5 = a0;
                DoubleVector a6 = a0;
                DoubleVector a7 = a0;
                for (int j = 0; j < b; j++) {
                    DoubleVector v = DoubleVector.fromArray(SPECIES, vb, j * dvp + c);
                    int u = o0 + j;
                    a0 = fma(v, ut[u], a0);
                    a1 = fma(v, ut[u + b], a1);
                    a2 = fma(v, ut[u + 2 * b], a2);
                    a3 = fma(v, ut[u + 3 * b], a3);
                    a4 = fma(v, ut[u + 4 * b], a4);
                    a5 = fma(v, ut[u + 5 * b], a5);
                    a6 = fma(v, ut[u + 6 * b], a6);
                    a7 = fma(v, ut[u + 7 * b], a7);
                }
                int s0 = L * dvp + c;
                addInto(a0, s, s0);
                addInto(a1, s, s0 + dvp);
                addInto(a2, s, s0 + 2 * dvp);
                addInto(a3, s, s0 + 3 * dvp);
                addInto(a4, s, s0 + 4 * dvp);
                addInto(a5, s, s0 + 5 * dvp);
                addInto(a6, s, s0 + 6 * dvp);
                addInto(a7, s, s0 + 7 * dvp);
            }
        }
        for (; L < rank; L++) {
            int o0 = L * b;
            for (int c = 0; c < dvp; c += LANES) {
                DoubleVector a0 = DoubleVector.zero(SPECIES);
                for (int j = 0; j < b; j++) {
                    a0 = fma(DoubleVector.fromArray(SPECIES, vb, j * dvp + c), ut[o0 + j], a0);
                }
                addInto(a0, s, L * dvp + c);
            }
        }
        int whole = rows / LANES * LANES;
        for (L = 0; L < rank; L++) {
            int o = L * b;
            DoubleVector acc = DoubleVector.zero(SPECIES);
            int j = 0;
            for (; j < whole; j += LANES) {
                acc = acc.add(DoubleVector.fromArray(SPECIES, ut, o + j));
            }
            double sum = laneSum(acc);
            for (; j < rows; j++) {
                sum += ut[o + j];
            }
            z[L] += sum;
        }
    }

    /**
     * The lanes of v added in index order. reduceLanes leaves its order open, and the Vector API's Java fallback
     * (interpreter, C1) and C2's code add in different orders: the first calls of a JVM would differ in the last
     * bits from the later ones.
     */
    static double laneSum(DoubleVector v) {
        double sum = 0;
        for (double x : v.toArray()) {
            sum += x;
        }
        return sum;
    }

    /**
     * num[i * dvp + c] = sum_L uqt[L * b + i] m[L * dvp + c] and den[i] = sum_L uqt[L * b + i] zz[L], for
     * i < b (b a multiple of 8).
     */
    static void contract(double[] uqt, int b, int rank, double[] m, double[] zz, int dvp, double[] num, double[] den) {
        for (int i0 = 0; i0 < b; i0 += 8) {
            for (int c = 0; c < dvp; c += LANES) {
                DoubleVector a0 = DoubleVector.zero(SPECIES);
                DoubleVector a1 = a0;
                DoubleVector a2 = a0;
                DoubleVector a3 = a0;
                DoubleVector a4 = a0;
                DoubleVector a5 = a0;
                DoubleVector a6 = a0;
                DoubleVector a7 = a0;
                for (int L = 0; L < rank; L++) {
                    DoubleVector mv = DoubleVector.fromArray(SPECIES, m, L * dvp + c);
                    int u = L * b + i0;
                    a0 = fma(mv, uqt[u], a0);
                    a1 = fma(mv, uqt[u + 1], a1);
                    a2 = fma(mv, uqt[u + 2], a2);
                    a3 = fma(mv, uqt[u + 3], a3);
                    a4 = fma(mv, uqt[u + 4], a4);
                    a5 = fma(mv, uqt[u + 5], a5);
                    a6 = fma(mv, uqt[u + 6], a6);
                    a7 = fma(mv, uqt[u + 7], a7);
                }
                int o = i0 * dvp + c;
                a0.intoArray(num, o);
                a1.intoArray(num, o + dvp);
                a2.intoArray(num, o + 2 * dvp);
                a3.intoArray(num, o + 3 * dvp);
                a4.intoArray(num, o + 4 * dvp);
                a5.intoArray(num, o + 5 * dvp);
                a6.intoArray(num, o + 6 * dvp);
                a7.intoArray(num, o + 7 * dvp);
            }
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
