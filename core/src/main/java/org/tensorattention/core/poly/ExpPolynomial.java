package org.tensorattention.core.poly;

import java.math.BigDecimal;
import java.math.MathContext;

/**
 * A polynomial p(x) = sum_j a_j x^j with a certified relative error against e^x on [-R, R]:
 * |p(x) - e^x| &lt;= delta e^x for every |x| &lt;= R.
 *
 * <p>Two candidates, and the one of lower degree wins (the smaller delta on a tie):
 * <ul>
 *   <li>Taylor about 0: Lagrange's remainder gives |e^x - p(x)| &lt;= e^{max(x,0)} R^{g+1} / (g+1)!, so the
 *       relative error is at most e^R R^{g+1} / (g+1)! (the e^R is paid on the negative half).</li>
 *   <li>The Chebyshev series of e^{R t} truncated at degree g: its coefficients are 2 I_j(R) (modified
 *       Bessel functions), so the absolute error is at most sum_{j>g} 2 I_j(R). Each term is bounded by the
 *       Bessel series, I_j(R) &lt;= (R/2)^j / j! * exp(R^2 / (4 (j+1))), and the tail is geometric.</li>
 * </ul>
 * Absolute errors become relative ones by the factor e^R (e^x >= e^{-R} on the interval). When neither
 * reaches the target at some degree, a near-minimax fit for the relative error, certified on a grid
 * ({@link RelativeMinimax}), is tried at that degree.
 *
 * <p>The Chebyshev coefficients are computed in float64 and the change to the monomial basis (which the
 * feature maps need) is done in 40-digit decimal arithmetic, then rounded to float64. Both roundings are in
 * the certificate: the Bessel sums have positive terms, so each computed coefficient is within 1e-14
 * relative of the true one; the final rounding moves each a_j by at most 2^-53 |a_j|, which on [-R, R] costs
 * at most 2^-53 sum_j |a_j| R^j.
 */
public record ExpPolynomial(int degree, double[] coefficients, double radius, double delta, String basis) {

    /** Degrees beyond this are never tried: the rank C(d+g, g) is hopeless long before. */
    public static final int MAX_DEGREE = 400;

    private static final double UNIT_ROUNDOFF = 0x1p-53;
    private static final double BESSEL_RELATIVE_ERROR = 1e-14;
    private static final MathContext MC = new MathContext(40);

    /**
     * The polynomial of smallest degree whose certified relative error on [-radius, radius] is at most
     * targetDelta, or null when no degree up to maxDegree reaches it.
     */
    public static ExpPolynomial certify(double radius, double targetDelta, int maxDegree) {
        return certify(radius, targetDelta, maxDegree, true);
    }

    /** As {@link #certify(double, double, int)}; without the (slower) minimax fits when fits is false. */
    static ExpPolynomial certify(double radius, double targetDelta, int maxDegree, boolean fits) {
        if (!(radius >= 0) || !Double.isFinite(radius)) {
            throw new IllegalArgumentException("radius must be finite and >= 0, got " + radius);
        }
        if (!(targetDelta > 0)) {
            throw new IllegalArgumentException("target relative error must be > 0, got " + targetDelta);
        }
        double rel = Math.exp(radius);
        // Every candidate's certificate includes the coefficients' rounding, at least about 2^-53 e^{2R}
        // (sum_j |a_j| R^j >= p(R) ~ e^R): past that no degree helps.
        if (!(UNIT_ROUNDOFF * rel * rel * (1 - targetDelta) <= targetDelta)) {
            return null;
        }
        for (int g = 0; g <= Math.min(maxDegree, MAX_DEGREE); g++) {
            double taylor = rel * taylorAbsoluteError(radius, g);
            double cheb = rel * chebyshevAbsoluteError(radius, g);
            // Rounding terms are added only to a candidate that could meet the target.
            if (Math.min(taylor, cheb) > targetDelta) {
                // A fit can beat the series by about e^{2R} at most (e^R from the weight, the series' own slack
                // within a small factor): skip degrees out of its reach.
                ExpPolynomial minimax = !fits || cheb > 4 * rel * rel * targetDelta ? null
                        : RelativeMinimax.certify(radius, g, targetDelta);
                if (minimax != null) {
                    return minimax;
                }
                continue;
            }
            ExpPolynomial best = null;
            if (cheb <= targetDelta && radius > 0 && g <= 62) {
                best = chebyshev(radius, g);
            }
            if (taylor <= targetDelta) {
                ExpPolynomial t = taylor(radius, g);
                if (best == null || t.delta < best.delta) {
                    best = t;
                }
            }
            if (best != null && best.delta <= targetDelta) {
                return best;
            }
        }
        return null;
    }

    /**
     * R^{g+1} / (g+1)!. Lagrange's remainder e^xi x^{g+1} / (g+1)! with xi between 0 and x gives a relative
     * error of at most e^{xi - x} R^{g+1} / (g+1)! &lt;= e^R R^{g+1} / (g+1)!: this times e^R.
     */
    public static double taylorAbsoluteError(double radius, int g) {
        double term = 1;
        for (int j = 1; j <= g + 1; j++) {
            term *= radius / j;
        }
        return term;
    }

    /** Upper bound on max_{|t|&lt;=1} |e^{Rt} - (Chebyshev series truncated at degree g)|. */
    public static double chebyshevAbsoluteError(double radius, int g) {
        if (radius == 0) {
            return 0;
        }
        int j = g + 1;
        double first = 2 * besselBound(radius, j);
        double ratio = radius / (2.0 * (j + 1));
        if (ratio >= 1) {
            return Double.POSITIVE_INFINITY;
        }
        // I_{j+1} bound / I_j bound <= R / (2 (j+1)) (the exponential factor only shrinks with j).
        return first / (1 - ratio);
    }

    /** I_j(R) <= (R/2)^j / j! * exp(R^2 / (4 (j+1))). */
    static double besselBound(double radius, int j) {
        double term = 1;
        for (int m = 1; m <= j; m++) {
            term *= radius / (2.0 * m);
        }
        return term * Math.exp(radius * radius / (4.0 * (j + 1)));
    }

    /** The modified Bessel function I_j(R) by its series (positive terms: accurate to a few ulps). */
    static double besselI(int j, double radius) {
        double term = 1;
        for (int m = 1; m <= j; m++) {
            term *= radius / (2.0 * m);
        }
        double sum = 0;
        double q = radius * radius / 4;
        for (int m = 0; m < 10_000; m++) {
            sum += term;
            term *= q / ((m + 1.0) * (m + 1.0 + j));
            if (term <= sum * 1e-18) {
                break;
            }
        }
        return sum;
    }

    /** The Taylor polynomial of degree g about 0, certified on [-radius, radius]. */
    public static ExpPolynomial taylor(double radius, int g) {
        double[] a = new double[g + 1];
        BigDecimal factorial = BigDecimal.ONE;
        for (int j = 0; j <= g; j++) {
            if (j > 0) {
                factorial = factorial.multiply(BigDecimal.valueOf(j));
            }
            a[j] = BigDecimal.ONE.divide(factorial, MC).doubleValue();
        }
        double delta = Math.exp(radius) * (taylorAbsoluteError(radius, g) + UNIT_ROUNDOFF * sumAbs(a, radius));
        return new ExpPolynomial(g, a, radius, delta, "taylor");
    }

    /** The Chebyshev series of e^x on [-radius, radius] truncated at degree g, in the monomial basis. */
    public static ExpPolynomial chebyshev(double radius, int g) {
        // p(x) = sum_j c_j T_j(x / R), c_0 = I_0(R), c_j = 2 I_j(R).
        double[] c = new double[g + 1];
        double cSum = 0;
        for (int j = 0; j <= g; j++) {
            c[j] = (j == 0 ? 1 : 2) * besselI(j, radius);
            cSum += c[j];
        }
        double[] a = chebyshevToMonomial(c, radius);
        double absolute = chebyshevAbsoluteError(radius, g) + BESSEL_RELATIVE_ERROR * cSum
                + UNIT_ROUNDOFF * sumAbs(a, radius);
        return new ExpPolynomial(g, a, radius, Math.exp(radius) * absolute, "chebyshev");
    }

    /**
     * Monomial coefficients a_m of sum_j c_j T_j(x / R): exact integer Chebyshev coefficients, 40-digit decimal
     * sums, one rounding to float64 at the end.
     */
    static double[] chebyshevToMonomial(double[] c, double radius) {
        int g = c.length - 1;
        BigDecimal[] mono = new BigDecimal[g + 1];
        java.util.Arrays.fill(mono, BigDecimal.ZERO);
        long[][] t = chebyshevMonomials(g);
        for (int j = 0; j <= g; j++) {
            BigDecimal cj = new BigDecimal(c[j]);
            for (int m = 0; m <= j; m++) {
                if (t[j][m] != 0) {
                    mono[m] = mono[m].add(cj.multiply(BigDecimal.valueOf(t[j][m])), MC);
                }
            }
        }
        double[] a = new double[g + 1];
        BigDecimal r = new BigDecimal(radius);
        BigDecimal rPow = BigDecimal.ONE;
        for (int m = 0; m <= g; m++) {
            a[m] = mono[m].divide(rPow, MC).doubleValue();
            rPow = rPow.multiply(r, MC);
        }
        return a;
    }

    /** Monomial coefficients of T_0..T_g (exact integers; |coefficient| < 2^g fits a long for g <= 62). */
    private static long[][] chebyshevMonomials(int g) {
        if (g > 62) {
            throw new IllegalArgumentException("Chebyshev degree " + g + " is past the exact integer range");
        }
        long[][] t = new long[g + 1][g + 1];
        t[0][0] = 1;
        if (g >= 1) {
            t[1][1] = 1;
        }
        for (int j = 2; j <= g; j++) {
            for (int m = 0; m <= j; m++) {
                long v = (m > 0 ? 2 * t[j - 1][m - 1] : 0) - t[j - 2][m];
                t[j][m] = v;
            }
        }
        return t;
    }

    /** sum_j |a_j| R^j: bounds |p(x)| and the sum of the absolute values of its terms on [-R, R]. */
    public static double sumAbs(double[] a, double radius) {
        double s = 0;
        double pow = 1;
        for (double aj : a) {
            s += Math.abs(aj) * pow;
            pow *= radius;
        }
        return s;
    }

    /**
     * A certified bound delta' on the relative error of the derivative: |p'(x) - e^x| &lt;= delta' e^x on
     * [-R, R]. Taylor: p' is the Taylor polynomial of degree g - 1, so delta' = e^R R^g / g!. Chebyshev:
     * |T_j'| &lt;= j^2 on [-1, 1] (Markov), so |p' - e^x| &lt;= sum_{j > g} 2 I_j(R) j^2 / R. Both add the rounding of
     * the coefficients, as {@link #delta} does. The polynomial backward's distance from the exact gradient is
     * bounded through it (docs/POLY.md).
     */
    public double derivativeDelta() {
        double eR = Math.exp(radius);
        double rounding = 0;
        double pow = 1;
        for (int j = 1; j <= degree; j++) {
            rounding += Math.abs(coefficients[j]) * j * pow;
            pow *= radius;
        }
        rounding *= UNIT_ROUNDOFF;
        if (degree == 0 || radius == 0) {
            // p' = 0 (or the interval is a point, where only e^0 matters): the error is e^x itself.
            return degree == 0 ? 1 : eR * rounding;
        }
        if (basis.equals("minimax")) {
            return minimaxDerivativeDelta();
        }
        if (basis.equals("taylor")) {
            double term = 1;
            for (int j = 1; j <= degree; j++) {
                term *= radius / j;
            }
            return eR * (term + rounding);
        }
        double tail = 0;
        double last = 0;
        for (int j = degree + 1; j <= degree + 100; j++) {
            last = 2 * besselBound(radius, j) * j * (double) j / radius;
            tail += last;
        }
        // Past j = g + 100 > R + 2 each term is under half the one before: the rest is at most the last term.
        tail += last;
        double coefficientError = 0;
        for (int j = 1; j <= degree; j++) {
            coefficientError += 2 * besselI(j, radius) * j * (double) j / radius;
        }
        return eR * (tail + BESSEL_RELATIVE_ERROR * coefficientError + rounding);
    }

    /**
     * For a fitted polynomial: u(x) = p'(x) e^{-x} - 1 has |u'| = |(p'' - p') e^{-x}| <= M, so its maximum
     * is at most the grid maximum plus M D / 2 (D the spacing), plus the evaluation's rounding.
     */
    private double minimaxDerivativeDelta() {
        double eR = Math.exp(radius);
        double m = 0;
        double abs = 0;
        for (int j = 1; j <= degree; j++) {
            double aj = Math.abs(coefficients[j]);
            m += aj * (j * (j - 1.0) * (j >= 2 ? Math.pow(radius, j - 2) : 0) + j * Math.pow(radius, j - 1));
            abs += aj * j * Math.pow(radius, j - 1);
        }
        m *= eR;
        int points = 100_001;
        double step = 2 * radius / (points - 1);
        double worst = 0;
        for (int s = 0; s < points; s++) {
            double x = s == points - 1 ? radius : -radius + s * step;
            worst = Math.max(worst, Math.abs(derivative(x) * Math.exp(-x) - 1));
        }
        return worst + m * step / 2 + (2.0 * degree + 4) * UNIT_ROUNDOFF * (eR * abs + 1);
    }

    /** p'(x) by Horner's rule. */
    public double derivative(double x) {
        double s = 0;
        for (int j = degree; j >= 1; j--) {
            s = s * x + j * coefficients[j];
        }
        return s;
    }

    /** sum_j |a_j| R^j for this polynomial. */
    public double absoluteSum() {
        return sumAbs(coefficients, radius);
    }

    /** p(x) by Horner's rule. */
    public double evaluate(double x) {
        double s = 0;
        for (int j = degree; j >= 0; j--) {
            s = s * x + coefficients[j];
        }
        return s;
    }
}
