package org.tensorattention.core.poly;

import jdk.incubator.vector.DoubleVector;

/**
 * The per-row steps of the masked polynomial backward on states stored by value column: a factor's state is
 * (dv + 1) rows of {@code rp} entries, {@code cs[c * rp + L]} = S_t[L, c] for c &lt; dv and z_t[L] for c = dv
 * (the normaliser is the moment of a constant value column 1), with rp the rank rounded up to whole vectors
 * and zeros past the rank.
 *
 * <p>Why by column: every step that a row runs r times (the gradient with respect to the query features, the
 * state gradients, the key features' gradient) is then a vector loop over L with no horizontal sum; only the
 * steps that give dv numbers per row (the output row, dV) sum across lanes, dv + 1 times per row instead of
 * r times. Loops over query features run to {@code rq}, the row's level rank rounded up to whole vectors
 * (the features past a level's rank are zero).
 *
 * <p>With N = sum_L uq[L] prod_t S_t[L,:], D = sum_L uq[L] prod_t z_t[L] and upstream gradients g[c] = gN[c]
 * (of N) for c &lt; dv and g[dv] = gD (of D):
 * <ul>
 *   <li>{@link #queryGradient}: dN/d uq and dD/d uq contracted with g;</li>
 *   <li>{@link #stateGradient}: the gradient with respect to state t (added into G_t);</li>
 *   <li>{@link #keyGradient}: from a key row's accumulated state gradient to its features and value row.</li>
 * </ul>
 */
final class RowGradients {
    private RowGradients() {
    }

    /** cs[c * rp + L] += sign * vrow[c] * phi[L] for c &lt; dv, and the normaliser row += sign * phi[L]. */
    static void addRow(double[] phi, double[] vrow, double sign, int dv, int rp, double[] cs) {
        for (int c = 0; c <= dv; c++) {
            double w = c < dv ? sign * vrow[c] : sign;
            int o = c * rp;
            for (int L = 0; L < rp; L += Moments.LANES) {
                Moments.fma(DoubleVector.fromArray(Moments.SPECIES, phi, L), w,
                        DoubleVector.fromArray(Moments.SPECIES, cs, o + L)).intoArray(cs, o + L);
            }
        }
    }

    /** num[c] = sum_{L &lt; rq} phiq[L] prod_t cs_t[c, L] for c &lt; dv; returns the same sum for the normaliser row. */
    static double outputRow(double[] phiq, double[][] cs, int dv, int rp, int rq, double[] num) {
        double den = 0;
        for (int c = 0; c <= dv; c++) {
            int o = c * rp;
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int L = 0; L < rq; L += Moments.LANES) {
                DoubleVector prod = DoubleVector.fromArray(Moments.SPECIES, cs[0], o + L);
                for (int t = 1; t < cs.length; t++) {
                    prod = prod.mul(DoubleVector.fromArray(Moments.SPECIES, cs[t], o + L));
                }
                acc = prod.fma(DoubleVector.fromArray(Moments.SPECIES, phiq, L), acc);
            }
            double sum = Moments.laneSum(acc);
            if (c < dv) {
                num[c] = sum;
            } else {
                den = sum;
            }
        }
        return den;
    }

    /** out[L] = sum_{c &lt;= dv} g[c] prod_t cs_t[c, L], for L &lt; rq. */
    static void queryGradient(double[] g, double[][] cs, int dv, int rp, int rq, double[] out) {
        for (int L = 0; L < rq; L += Moments.LANES) {
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int c = 0; c <= dv; c++) {
                int o = c * rp + L;
                DoubleVector prod = DoubleVector.fromArray(Moments.SPECIES, cs[0], o);
                for (int t = 1; t < cs.length; t++) {
                    prod = prod.mul(DoubleVector.fromArray(Moments.SPECIES, cs[t], o));
                }
                acc = Moments.fma(prod, g[c], acc);
            }
            acc.intoArray(out, L);
        }
    }

    /**
     * G[c, L] += sign g[c] uq[L] prod_{u != t} cs_u[c, L] for c &lt;= dv and L &lt; rq: the gradient with respect
     * to state t of one query row's numerator and denominator.
     */
    static void stateGradient(double[] uq, double[] g, double sign, double[][] cs, int t, int dv, int rp, int rq,
                              double[] grad) {
        for (int c = 0; c <= dv; c++) {
            double w = sign * g[c];
            int o = c * rp;
            for (int L = 0; L < rq; L += Moments.LANES) {
                DoubleVector prod = DoubleVector.fromArray(Moments.SPECIES, uq, L).mul(w);
                for (int u = 0; u < cs.length; u++) {
                    if (u != t) {
                        prod = prod.mul(DoubleVector.fromArray(Moments.SPECIES, cs[u], o + L));
                    }
                }
                prod.add(DoubleVector.fromArray(Moments.SPECIES, grad, o + L)).intoArray(grad, o + L);
            }
        }
    }

    /**
     * For a key row with features phi and value row vrow whose moments enter a state with gradient grad:
     * dphi[L] = sum_{c &lt; dv} grad[c, L] vrow[c] + grad[dv, L] and dv[c] = sum_L phi[L] grad[c, L].
     */
    static void keyGradient(double[] phi, double[] vrow, double[] grad, int dv, int rp, double[] dphi,
                            double[] dvOut) {
        for (int c = 0; c < dv; c++) {
            int o = c * rp;
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int L = 0; L < rp; L += Moments.LANES) {
                acc = DoubleVector.fromArray(Moments.SPECIES, grad, o + L)
                        .fma(DoubleVector.fromArray(Moments.SPECIES, phi, L), acc);
            }
            dvOut[c] = Moments.laneSum(acc);
        }
        for (int L = 0; L < rp; L += Moments.LANES) {
            DoubleVector acc = DoubleVector.fromArray(Moments.SPECIES, grad, dv * rp + L);
            for (int c = 0; c < dv; c++) {
                acc = Moments.fma(DoubleVector.fromArray(Moments.SPECIES, grad, c * rp + L), vrow[c], acc);
            }
            acc.intoArray(dphi, L);
        }
    }

    /** The column layout of moments s (rank x dvp) and z (rank), into cs ((dv + 1) x rp). */
    static void toColumns(double[] s, double[] z, int rank, int dvp, int dv, int rp, double[] cs) {
        java.util.Arrays.fill(cs, 0);
        for (int L = 0; L < rank; L++) {
            for (int c = 0; c < dv; c++) {
                cs[c * rp + L] = s[L * dvp + c];
            }
            cs[dv * rp + L] = z[L];
        }
    }

    /** The moments layout of cs: s (rank x dvp, zero padding) and z (rank). */
    static void fromColumns(double[] cs, int rank, int dvp, int dv, int rp, double[] s, double[] z) {
        java.util.Arrays.fill(s, 0);
        for (int L = 0; L < rank; L++) {
            for (int c = 0; c < dv; c++) {
                s[L * dvp + c] = cs[c * rp + L];
            }
            z[L] = cs[dv * rp + L];
        }
    }
}
