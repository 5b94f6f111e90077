package org.tensorattention.core.poly;

/**
 * A third candidate for {@link ExpPolynomial}: a near-minimax polynomial for the relative error
 * |p(x) e^{-x} - 1| on [-R, R] (Lawson's iteratively reweighted least squares on Chebyshev points, fitted in
 * the Chebyshev basis), certified by a grid check, not by the fit:
 *
 * <p>with h(x) = p(x) e^{-x} - 1 and |h''| <= M2 = e^R sum_j (j(j-1) R^{j-2} + 2 j R^{j-1} + R^j) |a_j|,
 * |h| between two grid points at spacing D exceeds the larger of its end values by at most M2 D^2 / 8. The
 * grid is evaluated with the float64 coefficients that will be used, so the basis change is inside the check;
 * the evaluation's own rounding, (2 g + 4) 2^-53 (e^R sum_j |a_j| R^j + 1), is added.
 *
 * <p>Against the truncated Chebyshev series it saves the factor e^R on the negative half, often one degree.
 */
final class RelativeMinimax {
    /** Degrees above this are left to the other two candidates (fits and grids grow). */
    static final int MAX_DEGREE = 16;
    private static final int MAX_GRID = 4_000_000;
    private static final int POINTS = 1000;
    private static final int ITERATIONS = 120;

    /** Fits depend only on (R, g), and a plan asks for the same ones several times. */
    private static final java.util.Map<String, double[]> FITS = new java.util.concurrent.ConcurrentHashMap<>();

    private RelativeMinimax() {
    }

    /** The certified polynomial of degree g, or null when its certified error passes target. */
    static ExpPolynomial certify(double radius, int g, double target) {
        if (g < 1 || g > MAX_DEGREE || radius <= 0 || !Double.isFinite(Math.exp(2 * radius))) {
            return null;
        }
        double[] a = FITS.computeIfAbsent(radius + "/" + g, key -> {
            double[] f = fit(radius, g);
            return f == null ? new double[0] : f;
        });
        if (FITS.size() > 1024) {
            FITS.clear();
        }
        if (a.length == 0) {
            return null;
        }
        a = a.clone();
        double eR = Math.exp(radius);
        double m2 = 0;
        double abs = 0;
        for (int j = 0; j <= g; j++) {
            double aj = Math.abs(a[j]);
            m2 += aj * (j * (j - 1.0) * pow(radius, j - 2) + 2.0 * j * pow(radius, j - 1) + pow(radius, j));
            abs += aj * pow(radius, j);
        }
        m2 *= eR;
        double evaluation = (2.0 * g + 4) * 0x1p-53 * (eR * abs + 1);
        // Spacing so that the between-points term is a tenth of the target.
        double spacing = Math.sqrt(0.8 * target / m2);
        long points = (long) Math.ceil(2 * radius / spacing) + 1;
        if (points > MAX_GRID || !(spacing > 0)) {
            return null;
        }
        double step = 2 * radius / (points - 1);
        double worst = 0;
        for (long s = 0; s < points; s++) {
            double x = s == points - 1 ? radius : -radius + s * step;
            double p = 0;
            for (int j = g; j >= 0; j--) {
                p = p * x + a[j];
            }
            worst = Math.max(worst, Math.abs(p * Math.exp(-x) - 1));
            if (worst > target) {
                return null;
            }
        }
        double delta = worst + m2 * step * step / 8 + evaluation;
        return delta <= target ? new ExpPolynomial(g, a, radius, delta, "minimax") : null;
    }

    private static double pow(double r, int j) {
        return j < 0 ? 0 : Math.pow(r, j);
    }

    /** Monomial coefficients of the Lawson fit, or null when a normal system is singular. */
    static double[] fit(double radius, int g) {
        int m = POINTS;
        double[] t = new double[m];
        double[] f = new double[m];
        double[][] basis = new double[m][g + 1];
        for (int i = 0; i < m; i++) {
            t[i] = Math.cos(Math.PI * (i + 0.5) / m);
            f[i] = Math.exp(radius * t[i]);
            basis[i][0] = 1;
            if (g >= 1) {
                basis[i][1] = t[i];
            }
            for (int j = 2; j <= g; j++) {
                basis[i][j] = 2 * t[i] * basis[i][j - 1] - basis[i][j - 2];
            }
        }
        double[] w = new double[m];
        java.util.Arrays.fill(w, 1.0 / m);
        double[] c = null;
        for (int it = 0; it < ITERATIONS; it++) {
            double[][] normal = new double[g + 1][g + 2];
            for (int i = 0; i < m; i++) {
                double wi = w[i] / (f[i] * f[i]);
                for (int r = 0; r <= g; r++) {
                    double br = wi * basis[i][r];
                    for (int s = 0; s <= g; s++) {
                        normal[r][s] += br * basis[i][s];
                    }
                    normal[r][g + 1] += br * f[i];
                }
            }
            c = solve(normal, g + 1);
            if (c == null) {
                return null;
            }
            double sum = 0;
            for (int i = 0; i < m; i++) {
                double p = 0;
                for (int j = 0; j <= g; j++) {
                    p += c[j] * basis[i][j];
                }
                w[i] *= Math.abs(p - f[i]) / f[i] + 1e-300;
                sum += w[i];
            }
            for (int i = 0; i < m; i++) {
                w[i] /= sum;
            }
        }
        for (double cj : c) {
            if (!Double.isFinite(cj)) {
                return null; // the fit diverged (e^R near the float64 range): no candidate at this degree
            }
        }
        return ExpPolynomial.chebyshevToMonomial(c, radius);
    }

    /** Gaussian elimination with partial pivoting on an n x (n+1) augmented matrix. */
    private static double[] solve(double[][] a, int n) {
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) {
                    pivot = r;
                }
            }
            if (a[pivot][col] == 0) {
                return null;
            }
            double[] tmp = a[col];
            a[col] = a[pivot];
            a[pivot] = tmp;
            for (int r = col + 1; r < n; r++) {
                double factor = a[r][col] / a[col][col];
                for (int s = col; s <= n; s++) {
                    a[r][s] -= factor * a[col][s];
                }
            }
        }
        double[] x = new double[n];
        for (int r = n - 1; r >= 0; r--) {
            double s = a[r][n];
            for (int k = r + 1; k < n; k++) {
                s -= a[r][k] * x[k];
            }
            x[r] = s / a[r][r];
        }
        return x;
    }
}
