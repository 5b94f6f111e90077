package org.tensorattention.evidence;

import org.tensorattention.core.poly.ExpPolynomial;

/**
 * The degree g and rank r = C(d + g, g) the polynomial method needs to certify an accuracy at a score radius
 * R, from the method's own certificates ({@link ExpPolynomial}: Taylor and Chebyshev remainders, relative
 * error after the factor e^R), without its degree cap or its float64 rounding allowance: the mathematical
 * need, not what the float64 kernel will agree to run. Past the certificates' reach (R past about 700,
 * where e^R leaves float64) the degree is reported as -1 and the rank as NaN.
 */
public final class RankNeeded {
    /** Degrees are searched up to this. */
    public static final int MAX_DEGREE = 20_000;

    /**
     * @param degree g, or -1 when none up to {@link #MAX_DEGREE} is certified
     * @param rank   C(d + g, g) as a double (it passes the long range early)
     * @param basis  "taylor" or "chebyshev", whichever certified g first
     */
    public record Need(int degree, double rank, String basis) {
    }

    private RankNeeded() {
    }

    /**
     * The need for output accuracy epsilon (max |O~ - O| &lt;= epsilon Vinf): weights within relative error delta
     * with 2 delta / (1 - delta) &lt;= epsilon, i.e. delta = epsilon / (2 + epsilon).
     */
    public static Need forAccuracy(double radius, double epsilon, int d) {
        return forDelta(radius, epsilon / (2 + epsilon), d);
    }

    public static Need forDelta(double radius, double delta, int d) {
        double eR = Math.exp(radius);
        if (!Double.isFinite(eR)) {
            return new Need(-1, Double.NaN, "none");
        }
        for (int g = 0; g <= MAX_DEGREE; g++) {
            double taylor = eR * ExpPolynomial.taylorAbsoluteError(radius, g);
            double cheb = eR * ExpPolynomial.chebyshevAbsoluteError(radius, g);
            if (cheb <= delta || taylor <= delta) {
                return new Need(g, rank(d, g), cheb <= taylor ? "chebyshev" : "taylor");
            }
        }
        return new Need(-1, Double.NaN, "none");
    }

    /** C(d + g, g) as a double. */
    public static double rank(int d, int g) {
        double logR = 0;
        for (int j = 1; j <= g; j++) {
            logR += Math.log((d + (double) j) / j);
        }
        return Math.rint(Math.exp(logR));
    }
}
