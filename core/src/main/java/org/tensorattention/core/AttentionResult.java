package org.tensorattention.core;

/**
 * The output of one attention call and an account of what was done.
 *
 * @param output     O, shape (..., n, dv), dtype of q
 * @param logSumExp  per query, log sum_J exp(s(i,J)) over the allowed J, shape (..., n), float64
 *                   (exact method only; null for poly, whose weights are not normalised exponentials)
 * @param method     the method that ran (never AUTO)
 * @param seconds    kernel wall time, I/O and validation excluded
 * @param flops      floating-point operations the kernel did (the model count, not a measurement)
 * @param poly       degree, rank and error bound when the polynomial method ran, else null
 * @param reason     why this method ran, in a few words (for auto: the cost model's verdict)
 */
public record AttentionResult(Tensor output, Tensor logSumExp, Method method, double seconds, double flops,
                              PolyInfo poly, String reason) {

    /**
     * What the polynomial method chose.
     *
     * @param degree     g, the degree of the polynomial p ~ e^x
     * @param rank       r = C(d + g, g), columns of the feature maps
     * @param radius     R >= max |s(i,J)|, the interval [-R, R] on which p is certified
     * @param delta      certified relative error of p on [-R, R]
     * @param errorBound the guarantee max |O~ - O| &lt;= errorBound (= eps * Vinf with eps >= 2 delta / (1 - delta))
     */
    public record PolyInfo(int degree, long rank, double radius, double delta, double errorBound) {
    }

    /** Flop rate in GFLOP/s. */
    public double gflops() {
        return seconds > 0 ? flops / seconds / 1e9 : 0;
    }
}
