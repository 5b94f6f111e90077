package org.tensorattention.core.grad;

import org.tensorattention.core.BruteForce;
import org.tensorattention.core.Mask;

/**
 * The gradients of SPEC.md section 3 by their definitions, for tests: every tuple J enumerated, the
 * softmax taken in two passes, nothing shared with the kernels. One problem; arrays are [row][column].
 */
public final class GradientReference {
    public final double[][] dq;
    public final double[][][] dk;
    public final double[][][] dv;

    public GradientReference(double[][] q, double[][][] k, double[][][] v, double[][] dout, double c, Mask mask) {
        this(q, k, v, dout, c, mask, false);
    }

    /**
     * The sums of |term| instead of the sums: each gradient entry's terms with dS = P (dP - Delta) replaced by
     * P (sum_l |dO_l prod V_l| + sum_l |dO_l| prod max|V_t|) and every factor by its magnitude. A rounding error
     * bound relative to each term is relative to these (Float32Bound.Gradients).
     */
    public static GradientReference magnitudes(double[][] q, double[][][] k, double[][][] v, double[][] dout,
                                               double c, Mask mask) {
        return new GradientReference(q, k, v, dout, c, mask, true);
    }

    private GradientReference(double[][] q, double[][][] k, double[][][] v, double[][] dout, double c, Mask mask,
                              boolean magnitudes) {
        int nq = q.length;
        int d = q[0].length;
        int factors = k.length;
        int dvw = v[0][0].length;
        int[] n = new int[factors];
        for (int t = 0; t < factors; t++) {
            n[t] = k[t].length;
        }
        dq = new double[nq][d];
        dk = new double[factors][][];
        dv = new double[factors][][];
        for (int t = 0; t < factors; t++) {
            dk[t] = new double[n[t]][d];
            dv[t] = new double[n[t]][dvw];
        }
        double[][] o = BruteForce.forward(q, k, v, c, mask);
        double vinf = 1;
        for (double[][] vt : v) {
            double m = 0;
            for (double[] row : vt) {
                for (double x : row) {
                    m = Math.max(m, Math.abs(x));
                }
            }
            vinf *= m;
        }
        for (int i = 0; i < nq; i++) {
            double delta = 0;
            for (int l = 0; l < dvw; l++) {
                delta += magnitudes ? Math.abs(dout[i][l]) * vinf : dout[i][l] * o[i][l];
            }
            double max = Double.NEGATIVE_INFINITY;
            int[] j = new int[factors];
            do {
                if (BruteForce.allowed(mask, i, j, nq, n)) {
                    max = Math.max(max, BruteForce.score(q, k, c, i, j));
                }
            } while (BruteForce.next(j, n));
            double sum = 0;
            j = new int[factors];
            do {
                if (BruteForce.allowed(mask, i, j, nq, n)) {
                    sum += Math.exp(BruteForce.score(q, k, c, i, j) - max);
                }
            } while (BruteForce.next(j, n));
            j = new int[factors];
            do {
                if (!BruteForce.allowed(mask, i, j, nq, n)) {
                    continue;
                }
                double p = Math.exp(BruteForce.score(q, k, c, i, j) - max) / sum;
                double dp = 0;
                for (int l = 0; l < dvw; l++) {
                    double prod = dout[i][l];
                    for (int t = 0; t < factors; t++) {
                        prod *= v[t][j[t]][l];
                    }
                    dp += magnitudes ? Math.abs(prod) : prod;
                }
                double ds = magnitudes ? p * (dp + delta) : p * (dp - delta);
                for (int l = 0; l < d; l++) {
                    double prod = c * ds;
                    for (int t = 0; t < factors; t++) {
                        prod *= k[t][j[t]][l];
                    }
                    dq[i][l] += magnitudes ? Math.abs(prod) : prod;
                }
                for (int t = 0; t < factors; t++) {
                    for (int l = 0; l < d; l++) {
                        double prod = c * ds * q[i][l];
                        for (int u = 0; u < factors; u++) {
                            prod *= u == t ? 1 : k[u][j[u]][l];
                        }
                        dk[t][j[t]][l] += magnitudes ? Math.abs(prod) : prod;
                    }
                    for (int l = 0; l < dvw; l++) {
                        double prod = p * dout[i][l];
                        for (int u = 0; u < factors; u++) {
                            prod *= u == t ? 1 : v[u][j[u]][l];
                        }
                        dv[t][j[t]][l] += magnitudes ? Math.abs(prod) : prod;
                    }
                }
            } while (BruteForce.next(j, n));
        }
    }
}
