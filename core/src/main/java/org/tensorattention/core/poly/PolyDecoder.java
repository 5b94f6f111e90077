package org.tensorattention.core.poly;

import java.util.Arrays;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * Causal generation with the polynomial method, one token at a time: {@link #append} takes the new token's
 * query row and its key and value rows (one per factor) and returns its output row in O(r k dv) time from a
 * running state (S_t, z_t per factor), equal to row i of the batch causal result with the same polynomial.
 *
 * <p>The radius R is fixed up front: the polynomial is certified on [-R, R] for up to {@code maxTokens}
 * tokens. A token whose score bound |c| sum_l |q_l| prod_t max_{j &lt;= i} |K_t[j, l]| passes R is refused
 * (IllegalArgumentException) and leaves the state unchanged.
 */
public final class PolyDecoder {
    private final int factors;
    private final int d;
    private final int dv;
    private final int dvp;
    private final double scale;
    private final int maxTokens;
    private final PolyPlan plan;
    private final FeatureMap fm;
    private final double[][] s;
    private final double[][] z;
    private final double[][] keyMax;
    private final double[] phi;
    private final double[] vrow;
    private final double[] num;
    private int tokens;

    /**
     * @param order     k >= 2
     * @param scale     c (NaN for the default 1/d)
     * @param radius    R: every score of every token must stay within [-R, R]
     * @param epsilon   the bound max |O~ - O| &lt;= epsilon * Vinf for every token's output
     * @param maxTokens tokens the certificate covers (float64 rounding grows with the number of rows)
     */
    public PolyDecoder(int order, int d, int dv, double scale, double radius, double epsilon, int maxTokens) {
        if (order < 2 || d < 1 || dv < 1 || maxTokens < 1) {
            throw new IllegalArgumentException("decoder needs order >= 2, d, dv, maxTokens >= 1; got order " + order
                    + ", d " + d + ", dv " + dv + ", maxTokens " + maxTokens);
        }
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon must lie in (0, 1), got " + epsilon);
        }
        this.factors = order - 1;
        this.d = d;
        this.dv = dv;
        this.dvp = Moments.padded(dv);
        this.scale = Double.isNaN(scale) ? 1.0 / d : scale;
        this.maxTokens = maxTokens;
        int[] nk = new int[factors];
        Arrays.fill(nk, maxTokens);
        plan = PolyPlan.of(radius, Geometry.simple(1, maxTokens, nk, d, dv), Mask.CAUSAL, epsilon, DType.FLOAT64, 1,
                PolyAttention.memoryCap(), false);
        if (!plan.feasible()) {
            throw new IllegalArgumentException(plan.refusal());
        }
        fm = new FeatureMap(plan.polynomial(), d, this.scale);
        s = new double[factors][fm.rank * dvp];
        z = new double[factors][fm.rank];
        keyMax = new double[factors][d];
        phi = new double[fm.rank];
        vrow = new double[dvp];
        num = new double[dvp];
    }

    /** Degree, rank, radius and certified delta of the decoder's polynomial. */
    public PolyPlan plan() {
        return plan;
    }

    /** Tokens appended so far. */
    public int tokens() {
        return tokens;
    }

    /**
     * Appends token i = {@link #tokens()} and returns its output row (length dv).
     *
     * @param q    the query row (length d)
     * @param keys one key row per factor (each length d)
     * @param vals one value row per factor (each length dv)
     */
    public double[] append(double[] q, double[][] keys, double[][] vals) {
        if (tokens >= maxTokens) {
            throw new IllegalArgumentException("the decoder was certified for " + maxTokens + " tokens");
        }
        if (q.length != d || keys.length != factors || vals.length != factors) {
            throw new IllegalArgumentException("a token needs a query of width " + d + " and " + factors
                    + " key and value rows");
        }
        double[][] newMax = new double[factors][];
        for (int t = 0; t < factors; t++) {
            if (keys[t].length != d || vals[t].length != dv) {
                throw new IllegalArgumentException("key " + (t + 1) + " must have width " + d + " and value "
                        + (t + 1) + " width " + dv);
            }
            newMax[t] = keyMax[t].clone();
            for (int l = 0; l < d; l++) {
                newMax[t][l] = Math.max(newMax[t][l], Math.abs(keys[t][l]));
            }
        }
        double bound = 0;
        for (int l = 0; l < d; l++) {
            double prod = Math.abs(q[l]);
            for (int t = 0; t < factors; t++) {
                prod *= newMax[t][l];
            }
            bound += prod;
        }
        bound *= Math.abs(scale);
        if (!(bound <= plan.radius())) {
            throw new IllegalArgumentException("token " + tokens + " has score bound " + bound
                    + " past the decoder's radius " + plan.radius());
        }
        for (int t = 0; t < factors; t++) {
            keyMax[t] = newMax[t];
            fm.keyRow(keys[t], 0, phi);
            System.arraycopy(vals[t], 0, vrow, 0, dv);
            Moments.addRow(phi, vrow, 1, fm.rank, dvp, s[t], z[t]);
        }
        fm.queryRow(q, 0, phi);
        double den = Moments.outputRow(phi, s, z, fm.rank, dvp, num);
        tokens++;
        double[] out = new double[dv];
        for (int c = 0; c < dv; c++) {
            out[c] = num[c] / den;
        }
        return out;
    }
}
