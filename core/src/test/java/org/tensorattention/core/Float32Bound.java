package org.tensorattention.core;

import org.tensorattention.core.grad.GradientReference;

/**
 * The float32 tolerances of the tests, in one place, derived from how the float32 exact forward accumulates
 * (ExactForward: scores, weights and sums within one span of the last key factor in float; sums across spans
 * and outer tuples in double). With u = 2^-24 and gamma_m = m u / (1 - m u):
 * <ul>
 *   <li>a score, d products of k factors summed, is off by at most gamma_{d+k} R (R >= max |s|, from the data);
 *       subtracting the running maximum (|s - max| <= 2R) adds 2 u R, exp a few ulps (4 u): every weight moves by
 *       a relative w = gamma_{d+k} R + 2 u R + 4 u;</li>
 *   <li>the span's float sums of weights and weighted value products add gamma_span each;</li>
 *   <li>normalised weights of relative error w are off by 2 w / (1 - w); the output's final rounding adds u.</li>
 * </ul>
 * The result is relative to Vinf. The inputs are taken as float32 values already (callers round them first,
 * {@link #round}), so input rounding is not part of it.
 *
 * <p>The float32 backward (grad/FloatRows) computes P = exp(s - lse) from float scores as above and the
 * float64 log-sum-exp of a float32 forward, dP = dO . prod V in float, Delta = dO . O with O from the float32
 * forward, and dS = P (dP - Delta). Every term of a gradient sum is then off by a relative
 * e = w_P + gamma_{dv+k} + forward + u against its magnitude P (|dP| + |Delta|) |x| (x the other factors),
 * with w_P = gamma_{d+k} R + 2 u R + 4 u + (the lse bound). The float sums (a tile of keys for dQ, the query
 * rows of one outer tuple for dK and dV) add gamma_m, m their length; the sums across tiles and tuples run in
 * float64; rounding the result adds u. {@link #backward} bounds each gradient entry by e' times its sum of
 * |term|, which {@link Gradients#of} computes from the data.
 */
public final class Float32Bound {
    public static final double U = 0x1p-24;

    private Float32Bound() {
    }

    /** max |O32 - O| / Vinf for head width d, order k, score radius R and the float span length. */
    public static double forward(int d, int order, double radius, int span) {
        double w = gamma(d + order) * radius + 2 * U * radius + 4 * U + 2 * gamma(span);
        return 2 * w / (1 - w) + U;
    }

    /** |lse32 - lse|: the weights' relative error w moves log(sum) by at most w / (1 - w). */
    public static double logSumExp(int d, int order, double radius, int span) {
        double w = gamma(d + order) * radius + 2 * U * radius + 4 * U + gamma(span);
        return w / (1 - w) + gamma(d + order) * radius;
    }

    /** The relative bound e' of one float32 gradient entry against the sum of its |terms| (class comment). */
    public static double backward(int d, int dv, int order, double radius, int span, int floatSum) {
        double wP = gamma(d + order) * radius + 2 * U * radius + 4 * U + logSumExp(d, order, radius, span);
        double e = wP + gamma(dv + order) + forward(d, order, radius, span) + U;
        return e + gamma(floatSum) + U;
    }

    /** A float64 matrix rounded to float32 values, so that the float32 kernels and a float64 reference see the same inputs. */
    public static double[][] round(double[][] m) {
        double[][] r = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            r[i] = new double[m[i].length];
            for (int l = 0; l < m[i].length; l++) {
                r[i][l] = (float) m[i][l];
            }
        }
        return r;
    }

    public static double[][][] round(double[][][] m) {
        double[][][] r = new double[m.length][][];
        for (int t = 0; t < m.length; t++) {
            r[t] = round(m[t]);
        }
        return r;
    }

    /** max_i |m[i][l]|. */
    public static double columnMax(double[][] m, int l) {
        double r = 0;
        for (double[] row : m) {
            r = Math.max(r, Math.abs(row[l]));
        }
        return r;
    }

    /** R = |c| max_i sum_l |q[i,l]| prod_t max_j |K_t[j,l]|: no score exceeds it. */
    public static double radius(double[][] q, double[][][] k, double c) {
        double radius = 0;
        for (double[] row : q) {
            double sum = 0;
            for (int l = 0; l < row.length; l++) {
                double prod = Math.abs(row[l]);
                for (double[][] kt : k) {
                    prod *= columnMax(kt, l);
                }
                sum += prod;
            }
            radius = Math.max(radius, Math.abs(c) * sum);
        }
        return radius;
    }

    /**
     * Absolute float32 tolerances, entry by entry, of dQ, each dK_t and each dV_t for one problem (inputs already
     * float32 values), and of O as a whole: {@link #backward} times each entry's sum of |term|
     * ({@link GradientReference#magnitudes}), and {@link #forward} times Vinf.
     */
    public record Gradients(double o, double[][] dq, double[][][] dk, double[][][] dv) {
        public static Gradients of(double[][] q, double[][][] k, double[][][] v, double[][] dout, double c,
                                   Mask mask) {
            int factors = k.length;
            double radius = radius(q, k, c);
            double vinf = 1;
            int longest = q.length;
            for (int t = 0; t < factors; t++) {
                vinf *= maxAbs(v[t]);
                longest = Math.max(longest, k[t].length);
            }
            double e = backward(q[0].length, v[0][0].length, factors + 1, radius, longest, longest);
            GradientReference m = GradientReference.magnitudes(q, k, v, dout, c, mask);
            double[][][] dk = new double[factors][][];
            double[][][] dv = new double[factors][][];
            for (int t = 0; t < factors; t++) {
                dk[t] = times(e, m.dk[t]);
                dv[t] = times(e, m.dv[t]);
            }
            return new Gradients(forward(q[0].length, factors + 1, radius, longest) * vinf, times(e, m.dq), dk, dv);
        }

        private static double[][] times(double e, double[][] m) {
            double[][] r = new double[m.length][];
            for (int i = 0; i < m.length; i++) {
                r[i] = new double[m[i].length];
                for (int l = 0; l < m[i].length; l++) {
                    r[i][l] = e * m[i][l];
                }
            }
            return r;
        }
    }

    /** max |m[i][l]| over the whole matrix. */
    public static double maxAbs(double[][] m) {
        double r = 0;
        for (double[] row : m) {
            for (double x : row) {
                r = Math.max(r, Math.abs(x));
            }
        }
        return r;
    }

    static double gamma(double m) {
        return m * U / (1 - m * U);
    }
}
