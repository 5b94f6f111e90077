package org.tensorattention.core;

/**
 * A deliberately plain reference for tests, written from SPEC.md section 1 and sharing nothing with the
 * kernels: enumerate every tuple J in [n]^{k-1}, test the mask by its definition, take the softmax in two
 * passes (max, then sum) in float64. One problem; arrays are [row][column].
 */
public final class BruteForce {
    private BruteForce() {
    }

    /** True when query i may attend to tuple j under mask, as many queries as keys (by the definition). */
    public static boolean allowed(Mask mask, int i, int[] j) {
        int[] n = new int[j.length];
        java.util.Arrays.fill(n, i + 1);
        return allowed(mask, i, j, i + 1, n);
    }

    /**
     * True when query i of nq may attend to tuple j of factors with n[t] rows, by SPEC.md section 7's
     * definitions (not the kernels' intervals): query i at position p_t = n_t - nq + i (or i + offset_t for an
     * explicitly placed mask); causal j_t <= p_t; window p_t - w_t < j_t; band max_t j_t - min_t j_t < B.
     */
    public static boolean allowed(Mask mask, int i, int[] j, int nq, int[] n) {
        int lo = Integer.MAX_VALUE;
        int hi = Integer.MIN_VALUE;
        for (int jt : j) {
            lo = Math.min(lo, jt);
            hi = Math.max(hi, jt);
        }
        if (mask instanceof Mask.Banded b && !((long) hi - lo < b.band())) {
            return false;
        }
        if (mask instanceof Mask.Banded b) {
            mask = b.base();
        }
        if (mask instanceof Mask.Window w) {
            for (int t = 0; t < j.length; t++) {
                long p = w.offsets().length > 0 ? (long) i + w.offsets()[t] : (long) n[t] - nq + i;
                if (j[t] > p) {
                    return false;
                }
                if (w.widths().length > 0 && !(p - w.widths()[t] < j[t])) {
                    return false;
                }
            }
        }
        return true;
    }

    /** s(i, J) = c * sum_l Q[i,l] prod_t K_t[j_t, l]. */
    public static double score(double[][] q, double[][][] k, double c, int i, int[] j) {
        double s = 0;
        for (int l = 0; l < q[i].length; l++) {
            double prod = q[i][l];
            for (int t = 0; t < k.length; t++) {
                prod *= k[t][j[t]][l];
            }
            s += prod;
        }
        return c * s;
    }

    /** Advances an odometer over [0,n_0) x .. x [0,n_{m-1}); false when it wraps around. */
    public static boolean next(int[] j, int[] n) {
        for (int t = j.length - 1; t >= 0; t--) {
            if (++j[t] < n[t]) {
                return true;
            }
            j[t] = 0;
        }
        return false;
    }

    /** O (nq x dv) for one problem. */
    public static double[][] forward(double[][] q, double[][][] k, double[][][] v, double c, Mask mask) {
        return forward(q, k, v, c, mask, null);
    }

    /** O (nq x dv) for one problem, and lse[i] = log sum_J e^s(i,J) when lse is not null (-inf for none). */
    public static double[][] forward(double[][] q, double[][][] k, double[][][] v, double c, Mask mask,
                                     double[] lse) {
        int nq = q.length;
        int factors = k.length;
        int dv = v[0][0].length;
        int[] n = new int[factors];
        for (int t = 0; t < factors; t++) {
            n[t] = k[t].length;
        }
        double[][] o = new double[nq][dv];
        for (int i = 0; i < nq; i++) {
            double max = Double.NEGATIVE_INFINITY;
            int[] j = new int[factors];
            do {
                if (allowed(mask, i, j, nq, n)) {
                    max = Math.max(max, score(q, k, c, i, j));
                }
            } while (next(j, n));
            double sum = 0;
            j = new int[factors];
            do {
                if (allowed(mask, i, j, nq, n)) {
                    double w = Math.exp(score(q, k, c, i, j) - max);
                    sum += w;
                    for (int l = 0; l < dv; l++) {
                        double prod = w;
                        for (int t = 0; t < factors; t++) {
                            prod *= v[t][j[t]][l];
                        }
                        o[i][l] += prod;
                    }
                }
            } while (next(j, n));
            // A row that sees no tuple gets 0 (SPEC.md section 7), not 0/0.
            for (int l = 0; l < dv; l++) {
                o[i][l] = sum > 0 ? o[i][l] / sum : 0;
            }
            if (lse != null) {
                lse[i] = sum > 0 ? max + Math.log(sum) : Double.NEGATIVE_INFINITY;
            }
        }
        return o;
    }

    /** log sum_{J allowed} exp(s(i, J)) per query, -infinity for a row that sees no tuple; max first, then the sum. */
    public static double[] logSumExp(double[][] q, double[][][] k, double c, Mask mask) {
        int[] n = new int[k.length];
        for (int t = 0; t < k.length; t++) {
            n[t] = k[t].length;
        }
        double[] lse = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            int[] j = new int[k.length];
            do {
                if (allowed(mask, i, j, q.length, n)) {
                    max = Math.max(max, score(q, k, c, i, j));
                }
            } while (next(j, n));
            double sum = 0;
            j = new int[k.length];
            do {
                if (allowed(mask, i, j, q.length, n)) {
                    sum += Math.exp(score(q, k, c, i, j) - max);
                }
            } while (next(j, n));
            lse[i] = sum > 0 ? max + Math.log(sum) : Double.NEGATIVE_INFINITY;
        }
        return lse;
    }

    /** A seeded random matrix with entries uniform in [-bound, bound]. */
    public static double[][] random(java.util.Random rnd, int rows, int cols, double bound) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = (2 * rnd.nextDouble() - 1) * bound;
            }
        }
        return m;
    }

    /**
     * A seeded random matrix with entries uniform in [-1, 1], rounded to float32 (so both dtypes hold them
     * exactly), times 2^exponent.
     */
    public static double[][] randomScaled(java.util.Random rnd, int rows, int cols, int exponent) {
        double[][] m = random(rnd, rows, cols, 1);
        for (double[] row : m) {
            for (int c = 0; c < cols; c++) {
                row[c] = Math.scalb((double) (float) row[c], exponent);
            }
        }
        return m;
    }

    /** Vinf = max_l prod_t max_j |V_t[j, l]|: the largest |O| can be. */
    public static double vinf(double[][][] v) {
        double worst = 0;
        for (int l = 0; l < v[0][0].length; l++) {
            double prod = 1;
            for (double[][] vt : v) {
                double m = 0;
                for (double[] row : vt) {
                    m = Math.max(m, Math.abs(row[l]));
                }
                prod *= m;
            }
            worst = Math.max(worst, prod);
        }
        return worst;
    }

    /** Matrices as tensors of one dtype. */
    public static java.util.List<Tensor> tensors(double[][][] ms, DType dt) {
        java.util.List<Tensor> r = new java.util.ArrayList<>();
        for (double[][] m : ms) {
            r.add(tensor(m).to(dt));
        }
        return r;
    }

    /** Flattens a matrix into a (rows, cols) float64 tensor. */
    public static Tensor tensor(double[][] m) {
        int rows = m.length;
        int cols = rows == 0 ? 0 : m[0].length;
        double[] flat = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(m[r], 0, flat, r * cols, cols);
        }
        return Tensor.of(flat, rows, cols);
    }

    /** Largest absolute difference between a tensor (rows x cols) and a matrix. */
    public static double maxDiff(Tensor t, double[][] m) {
        double worst = 0;
        int cols = m[0].length;
        for (int r = 0; r < m.length; r++) {
            for (int c = 0; c < cols; c++) {
                worst = Math.max(worst, Math.abs(t.get(r * cols + c) - m[r][c]));
            }
        }
        return worst;
    }
}
