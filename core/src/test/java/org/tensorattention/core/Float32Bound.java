package org.tensorattention.core;

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
 * The result is relative to Vinf. The inputs are taken as float32 values already (callers round them first),
 * so input rounding is not part of it.
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

    static double gamma(double m) {
        return m * U / (1 - m * U);
    }
}
