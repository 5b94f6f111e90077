package org.tensorattention.core.poly;

import org.tensorattention.core.Geometry;

/**
 * Powers of two that move one call's q, keys and values (float64 copies, changed in place) into a range where
 * the feature maps neither overflow nor underflow, without changing a single score.
 *
 * <p>A score c sum_l Q[i,l] prod_t K_t[j_t,l] is unchanged when, per column l, Q[:,l] is multiplied by 2^a_l and
 * each K_t[:,l] by 2^b_tl with a_l + sum_t b_tl = e, where c = m 2^e and the feature maps keep only m
 * (|m| in [1, 2)): the scale is folded into the data, so no power c^j can underflow. The b_tl bring every key
 * column's largest entry to the same binade 2^f_l, f_l = floor(log2(|c| max|Q[:,l]| prod_t max|K_t[:,l]|) / k),
 * and Q[:,l] lands within 2^(k-1) of it: every balanced entry is at most about 2^k R^{1/k}. Each value factor
 * is scaled as a whole so that its largest entry lies in [1, 2); the output is scaled back at the end.
 * Shifts are per key/value problem (the query problems that read it share its shifts), so problems of very
 * different magnitudes in one batch are balanced each on its own. Powers of two keep every step exact (an
 * entry far below its column's largest may turn subnormal: the certificate's underflow term covers that).
 *
 * <p>A column in which q or some key is all zero contributes nothing to any score; its other factors are
 * brought near 1 (still with a_l + sum_t b_tl = e, so the gradients with respect to it stay exact).
 */
final class Balance {
    /** The scale left once its power of two is folded into q: 0, or |m| in [1, 2). */
    final double scale;
    /** The largest |entry| of q and the keys after balancing. */
    final double magnitude;
    private final Geometry g;
    /** [kv problem][l]: the shift of q's column l in every query problem that reads the kv problem. */
    final int[][] qShift;
    /** [kv problem][t][l]. */
    final int[][][] kShift;
    /** [kv problem][t]: the shift of the whole value factor. */
    final int[][] vShift;

    private Balance(Geometry g, double scale, double magnitude, int[][] qShift, int[][][] kShift, int[][] vShift) {
        this.g = g;
        this.scale = scale;
        this.magnitude = magnitude;
        this.qShift = qShift;
        this.kShift = kShift;
        this.vShift = vShift;
    }

    /** Balances q, k and v in place for scale c and returns the shifts. */
    static Balance apply(Geometry g, double c, double[] q, double[][] k, double[][] v) {
        int d = g.d();
        int factors = g.order() - 1;
        int kvProblems = g.kvProblems();
        int ec = c == 0 ? 0 : exponent(Math.abs(c));
        double m = Math.scalb(c, -ec);
        double[][] mq = new double[kvProblems][d];
        for (int p = 0; p < g.problems(); p++) {
            double[] col = ScoreBound.columnMaxAbs(q, g.qOffset(p), g.nq(), d);
            double[] acc = mq[g.kvProblem()[p]];
            for (int l = 0; l < d; l++) {
                acc[l] = Math.max(acc[l], col[l]);
            }
        }
        int[][] qShift = new int[kvProblems][d];
        int[][][] kShift = new int[kvProblems][factors][d];
        int[][] vShift = new int[kvProblems][factors];
        int[] ex = new int[factors];
        for (int kp = 0; kp < kvProblems; kp++) {
            double[][] mk = new double[factors][];
            for (int t = 0; t < factors; t++) {
                mk[t] = ScoreBound.columnMaxAbs(k[t], (long) kp * g.nk()[t] * d, g.nk()[t], d);
                double vmax = 0;
                for (double x : ScoreBound.columnMaxAbs(v[t], (long) kp * g.nk()[t] * g.dv(), g.nk()[t], g.dv())) {
                    vmax = Math.max(vmax, x);
                }
                vShift[kp][t] = vmax == 0 ? 0 : -exponent(vmax);
            }
            for (int l = 0; l < d; l++) {
                boolean qZero = mq[kp][l] == 0;
                int eq = qZero ? 0 : exponent(mq[kp][l]);
                int zeroKey = -1;
                int total = ec + eq;
                for (int t = 0; t < factors; t++) {
                    ex[t] = mk[t][l] == 0 ? 0 : exponent(mk[t][l]);
                    if (mk[t][l] == 0 && zeroKey < 0) {
                        zeroKey = t;
                    }
                    total += ex[t];
                }
                if (c != 0 && !qZero && zeroKey < 0) {
                    int f = Math.floorDiv(total, factors + 1);
                    int sum = 0;
                    for (int t = 0; t < factors; t++) {
                        kShift[kp][t][l] = f - ex[t];
                        sum += kShift[kp][t][l];
                    }
                    qShift[kp][l] = ec - sum;
                    continue;
                }
                // The column reaches no score: bring its nonzero factors near 1, and (c != 0) let an all-zero
                // factor absorb the rest of e, so that the shifts still add up to it for the gradients.
                int sum = -eq;
                qShift[kp][l] = -eq;
                for (int t = 0; t < factors; t++) {
                    kShift[kp][t][l] = -ex[t];
                    sum += kShift[kp][t][l];
                }
                if (c != 0) {
                    if (qZero) {
                        qShift[kp][l] += ec - sum;
                    } else {
                        kShift[kp][zeroKey][l] += ec - sum;
                    }
                }
            }
        }
        double magnitude = 0;
        for (int p = 0; p < g.problems(); p++) {
            int[] s = qShift[g.kvProblem()[p]];
            magnitude = Math.max(magnitude, shiftColumns(q, g.qOffset(p), g.nq(), d, s));
        }
        for (int kp = 0; kp < kvProblems; kp++) {
            for (int t = 0; t < factors; t++) {
                magnitude = Math.max(magnitude, shiftColumns(k[t], (long) kp * g.nk()[t] * d, g.nk()[t], d,
                        kShift[kp][t]));
                shiftAll(v[t], (long) kp * g.nk()[t] * g.dv(), (long) g.nk()[t] * g.dv(), vShift[kp][t]);
            }
        }
        return new Balance(g, m, magnitude, qShift, kShift, vShift);
    }

    /** floor(log2 x) for finite x > 0, subnormals included. */
    static int exponent(double x) {
        int e = Math.getExponent(x);
        return e >= Double.MIN_EXPONENT ? e : Math.getExponent(x * 0x1p64) - 64;
    }

    /** Multiplies column l of rows [0, rows) at off by 2^shift[l]; returns the largest |result|. */
    static double shiftColumns(double[] a, long off, int rows, int cols, int[] shift) {
        double[] factor = new double[cols];
        boolean representable = true;
        for (int l = 0; l < cols; l++) {
            factor[l] = Math.scalb(1.0, shift[l]);
            representable &= shift[l] >= Double.MIN_EXPONENT && shift[l] <= Double.MAX_EXPONENT;
        }
        double max = 0;
        for (int j = 0; j < rows; j++) {
            int o = (int) (off + (long) j * cols);
            for (int l = 0; l < cols; l++) {
                // A multiply by a normal power of two is exact (one rounding if the result is subnormal) and
                // much cheaper than scalb, which is kept for shifts past the normal range.
                a[o + l] = representable ? a[o + l] * factor[l] : Math.scalb(a[o + l], shift[l]);
                max = Math.max(max, Math.abs(a[o + l]));
            }
        }
        return max;
    }

    static void shiftAll(double[] a, long off, long count, int shift) {
        if (shift == 0) {
            return;
        }
        boolean representable = shift >= Double.MIN_EXPONENT && shift <= Double.MAX_EXPONENT;
        double factor = Math.scalb(1.0, shift);
        for (long i = off; i < off + count; i++) {
            a[(int) i] = representable ? a[(int) i] * factor : Math.scalb(a[(int) i], shift);
        }
    }

    /** The output shift of problem p: its values were scaled by 2^(sum_t vShift), so O was too. */
    private int outputShift(int p) {
        int s = 0;
        for (int shift : vShift[g.kvProblem()[p]]) {
            s += shift;
        }
        return s;
    }

    /** Scales an output in the caller's values (problems x nq x dv) to the balanced ones: restoreOutput undone. */
    void balanceOutput(double[] out) {
        long rows = (long) g.nq() * g.dv();
        for (int p = 0; p < g.problems(); p++) {
            shiftAll(out, g.outOffset(p), rows, outputShift(p));
        }
    }

    /** Scales a balanced output (problems x nq x dv) back to the caller's values. */
    void restoreOutput(double[] out) {
        long rows = (long) g.nq() * g.dv();
        for (int p = 0; p < g.problems(); p++) {
            shiftAll(out, g.outOffset(p), rows, -outputShift(p));
        }
    }

    /**
     * Scales dout (a copy, in place) so that each kv problem's largest entry lies in [1, 2): every gradient is
     * linear in dout, so this only moves the backward's working range. Returns, per kv problem, the shift that
     * {@link #restoreGradients} takes back off (with the values' shifts, since dL/dO~ of balanced values is
     * dout times 2^(-sum_t vShift)).
     */
    int[] normaliseSeed(double[] dout) {
        int kvProblems = g.kvProblems();
        double[] max = new double[kvProblems];
        long rows = (long) g.nq() * g.dv();
        for (int p = 0; p < g.problems(); p++) {
            int kp = g.kvProblem()[p];
            for (long i = g.outOffset(p); i < g.outOffset(p) + rows; i++) {
                max[kp] = Math.max(max[kp], Math.abs(dout[(int) i]));
            }
        }
        int[] seed = new int[kvProblems];
        for (int kp = 0; kp < kvProblems; kp++) {
            seed[kp] = max[kp] == 0 ? 0 : -exponent(max[kp]);
        }
        int[] gamma = new int[kvProblems];
        for (int p = 0; p < g.problems(); p++) {
            int kp = g.kvProblem()[p];
            shiftAll(dout, g.outOffset(p), rows, seed[kp]);
            gamma[kp] = seed[kp] + outputShift(p);
        }
        return gamma;
    }

    /** Takes the balancing back off gradients computed on the balanced data with a normalised seed. */
    void restoreGradients(int[] gamma, double[] dq, double[][] dk, double[][] dv) {
        int d = g.d();
        int[] s = new int[d];
        for (int p = 0; p < g.problems(); p++) {
            int kp = g.kvProblem()[p];
            for (int l = 0; l < d; l++) {
                s[l] = qShift[kp][l] - gamma[kp];
            }
            shiftColumns(dq, g.qOffset(p), g.nq(), d, s);
        }
        for (int kp = 0; kp < g.kvProblems(); kp++) {
            for (int t = 0; t < dk.length; t++) {
                for (int l = 0; l < d; l++) {
                    s[l] = kShift[kp][t][l] - gamma[kp];
                }
                shiftColumns(dk[t], (long) kp * g.nk()[t] * d, g.nk()[t], d, s);
                shiftAll(dv[t], (long) kp * g.nk()[t] * g.dv(), (long) g.nk()[t] * g.dv(), vShift[kp][t] - gamma[kp]);
            }
        }
    }
}
