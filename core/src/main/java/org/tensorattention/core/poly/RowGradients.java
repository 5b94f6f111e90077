package org.tensorattention.core.poly;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The per-row steps of the masked polynomial backward, on states S_t (rank x dvp) and z_t (rank) as in
 * {@link Moments}. With N = sum_L uq[L] prod_t S_t[L,:], D = sum_L uq[L] prod_t z_t[L] and upstream
 * gradients gN (of N) and gD (of D):
 * <ul>
 *   <li>{@link #queryGradient}: dN/d uq and dD/d uq contracted with gN, gD;</li>
 *   <li>{@link #stateGradient}: the gradient with respect to S_t and z_t (added into G_t, Gz_t);</li>
 *   <li>{@link #keyGradient}: from a key row's accumulated state gradient to its features and value row.</li>
 * </ul>
 */
final class RowGradients {
    private RowGradients() {
    }

    /** out[L] = sum_c gN[c] prod_t s_t[L, c] + gD prod_t z_t[L]. */
    static void queryGradient(double[] gN, double gD, double[][] s, double[][] z, int rank, int dvp, double[] out) {
        int factors = s.length;
        for (int L = 0; L < rank; L++) {
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int c = 0; c < dvp; c += Moments.LANES) {
                int o = L * dvp + c;
                DoubleVector prod = DoubleVector.fromArray(Moments.SPECIES, gN, c);
                for (int t = 0; t < factors; t++) {
                    prod = prod.mul(DoubleVector.fromArray(Moments.SPECIES, s[t], o));
                }
                acc = acc.add(prod);
            }
            double pz = gD;
            for (int t = 0; t < factors; t++) {
                pz *= z[t][L];
            }
            out[L] = acc.reduceLanes(VectorOperators.ADD) + pz;
        }
    }

    /**
     * g[L, :] += sign uq[L] gN ∘ prod_{u != t} s_u[L, :] and gz[L] += sign uq[L] gD prod_{u != t} z_u[L]:
     * the gradient with respect to state t of one query row's numerator and denominator.
     */
    static void stateGradient(double[] uq, double[] gN, double gD, double sign, double[][] s, double[][] z, int t,
                              int rank, int dvp, double[] g, double[] gz) {
        int factors = s.length;
        for (int c = 0; c < dvp; c += Moments.LANES) {
            DoubleVector gv = DoubleVector.fromArray(Moments.SPECIES, gN, c).mul(sign);
            for (int L = 0; L < rank; L++) {
                int o = L * dvp + c;
                DoubleVector prod = gv.mul(uq[L]);
                for (int u = 0; u < factors; u++) {
                    if (u != t) {
                        prod = prod.mul(DoubleVector.fromArray(Moments.SPECIES, s[u], o));
                    }
                }
                prod.add(DoubleVector.fromArray(Moments.SPECIES, g, o)).intoArray(g, o);
            }
        }
        double w = sign * gD;
        for (int L = 0; L < rank; L++) {
            double pz = w * uq[L];
            for (int u = 0; u < factors; u++) {
                if (u != t) {
                    pz *= z[u][L];
                }
            }
            gz[L] += pz;
        }
    }

    /**
     * For a key row with features phi and value row vrow (padded) whose moments enter a state with gradient
     * (g, gz): dphi[L] = sum_c g[L, c] vrow[c] + gz[L] and dv[c] = sum_L phi[L] g[L, c].
     */
    static void keyGradient(double[] phi, double[] vrow, double[] g, double[] gz, int rank, int dvp, double[] dphi,
                            double[] dv) {
        for (int c = 0; c < dvp; c += Moments.LANES) {
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int L = 0; L < rank; L++) {
                acc = Moments.fma(DoubleVector.fromArray(Moments.SPECIES, g, L * dvp + c), phi[L], acc);
            }
            acc.intoArray(dv, c);
        }
        for (int L = 0; L < rank; L++) {
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int c = 0; c < dvp; c += Moments.LANES) {
                acc = DoubleVector.fromArray(Moments.SPECIES, g, L * dvp + c)
                        .fma(DoubleVector.fromArray(Moments.SPECIES, vrow, c), acc);
            }
            dphi[L] = acc.reduceLanes(VectorOperators.ADD) + gz[L];
        }
    }
}
