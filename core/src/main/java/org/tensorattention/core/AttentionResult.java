package org.tensorattention.core;

/**
 * The output of one attention call and an account of what was done.
 *
 * @param output     O, shape (..., n, dv), dtype of q
 * @param logSumExp  per query, log sum_J exp(s(i,J)) over the allowed J, shape (..., n), float64
 *                   in natural-log units; -inf where a row sees no tuple. Exact: rounding only. Poly: log of its
 *                   approximate denominator, within {@link PolyInfo#lseErrorBound} of the true lse
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
        /**
         * The poly lse's certified error: its denominator is the true one times 1 + theta with |theta| &lt;= delta,
         * so |lse~ - lse| &lt;= -log(1 - delta), plus one rounding of the logarithm (2^-53 |lse|).
         */
        public double lseErrorBound() {
            return -Math.log1p(-delta) * (1 + 1e-12);
        }
    }

    /**
     * Merges two exact results over disjoint sets of key tuples (for instance key blocks [0, m) and [m, n) of one
     * factor), as if computed over their union: lse = log(e^lse_a + e^lse_b) and
     * O = e^(lse_a - lse) O_a + e^(lse_b - lse) O_b, row by row. A row that sees nothing in one part
     * (lse -inf) takes the other part; a row that sees nothing in both keeps O = 0 and lse = -inf.
     */
    public static AttentionResult merge(AttentionResult a, AttentionResult b) {
        if (a.logSumExp() == null || b.logSumExp() == null) {
            throw new IllegalArgumentException("merging needs the lse of both parts (the exact method gives it)");
        }
        if (a.method() != Method.EXACT || b.method() != Method.EXACT) {
            // The merged result is labelled exact; a poly part's certificate covers its own call only.
            throw new IllegalArgumentException("merging takes two exact parts, not " + a.method().name().toLowerCase(
                    java.util.Locale.ROOT) + " and " + b.method().name().toLowerCase(java.util.Locale.ROOT));
        }
        int[] shape = a.output().shape();
        if (!java.util.Arrays.equals(shape, b.output().shape())) {
            throw new IllegalArgumentException("the parts have outputs of shapes " + Tensor.shapeString(shape)
                    + " and " + Tensor.shapeString(b.output().shape()));
        }
        double[] la = a.logSumExp().to(DType.FLOAT64).doubles();
        double[] lb = b.logSumExp().to(DType.FLOAT64).doubles();
        double[] oa = a.output().to(DType.FLOAT64).doubles();
        double[] ob = b.output().to(DType.FLOAT64).doubles();
        int dv = shape[shape.length - 1];
        double[] o = new double[oa.length];
        double[] lse = new double[la.length];
        for (int r = 0; r < la.length; r++) {
            double top = Math.max(la[r], lb[r]);
            if (top == Double.NEGATIVE_INFINITY) {
                lse[r] = top;
                continue;
            }
            // Relative to the larger part: no overflow, and a -inf part gets weight exactly 0.
            double wa = Math.exp(la[r] - top);
            double wb = Math.exp(lb[r] - top);
            double sum = wa + wb;
            lse[r] = top + Math.log(sum);
            for (int c = r * dv; c < (r + 1) * dv; c++) {
                o[c] = (wa * oa[c] + wb * ob[c]) / sum;
            }
        }
        return new AttentionResult(Tensor.of(o, shape).to(a.output().dtype()), Tensor.of(lse, a.logSumExp().shape()),
                Method.EXACT, a.seconds() + b.seconds(), a.flops() + b.flops(), null, "merged from two parts");
    }

    /** Flop rate in GFLOP/s. */
    public double gflops() {
        return seconds > 0 ? flops / seconds / 1e9 : 0;
    }
}
