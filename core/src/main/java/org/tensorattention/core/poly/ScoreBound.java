package org.tensorattention.core.poly;

import org.tensorattention.core.Geometry;

/**
 * Cheap, sound bounds from the data, O(n d) work: the score radius R >= max |s(i, J)| and the value scale
 * Vinf of SPEC.md section 2.
 *
 * <p>One radius for the whole call (the largest over its problems), hence one polynomial and one rank: the
 * simplest choice, and the one the cost model and the plan report. R = |c| max_i sum_l |Q[i,l]| prod_t
 * max_j |K_t[j,l]| bounds every score by the triangle inequality; it ignores the mask (still sound).
 */
final class ScoreBound {
    private ScoreBound() {
    }

    /** R over all problems of the call. */
    static double radius(Geometry g, double scale, double[] q, double[][] k) {
        int d = g.d();
        int factors = g.order() - 1;
        double[][] keyMax = new double[g.kvProblems()][];
        for (int kp = 0; kp < keyMax.length; kp++) {
            double[] prod = new double[d];
            java.util.Arrays.fill(prod, 1);
            for (int t = 0; t < factors; t++) {
                double[] m = columnMaxAbs(k[t], (long) kp * g.nk()[t] * d, g.nk()[t], d);
                for (int l = 0; l < d; l++) {
                    prod[l] *= m[l];
                }
            }
            keyMax[kp] = prod;
        }
        double radius = 0;
        for (int p = 0; p < g.problems(); p++) {
            double[] km = keyMax[g.kvProblem()[p]];
            int qo = (int) g.qOffset(p);
            for (int i = 0; i < g.nq(); i++) {
                double s = 0;
                for (int l = 0; l < d; l++) {
                    s += Math.abs(q[qo + i * d + l]) * km[l];
                }
                radius = Math.max(radius, s);
            }
        }
        // Round up a little so that float64 rounding in these sums cannot make R too small.
        return Math.abs(scale) * radius * (1 + 1e-12);
    }

    /** Vinf = max over kv problems of max_l prod_t max_j |V_t[j, l]|. */
    static double valueScale(Geometry g, double[][] v) {
        int dv = g.dv();
        double worst = 0;
        for (int kp = 0; kp < g.kvProblems(); kp++) {
            double[] prod = new double[dv];
            java.util.Arrays.fill(prod, 1);
            for (int t = 0; t < v.length; t++) {
                double[] m = columnMaxAbs(v[t], (long) kp * g.nk()[t] * dv, g.nk()[t], dv);
                for (int l = 0; l < dv; l++) {
                    prod[l] *= m[l];
                }
            }
            for (double x : prod) {
                worst = Math.max(worst, x);
            }
        }
        return worst;
    }

    static double[] columnMaxAbs(double[] a, long off, int rows, int cols) {
        double[] m = new double[cols];
        for (int j = 0; j < rows; j++) {
            int o = (int) (off + (long) j * cols);
            for (int l = 0; l < cols; l++) {
                m[l] = Math.max(m[l], Math.abs(a[o + l]));
            }
        }
        return m;
    }
}
