package org.tensorattention.core.poly;

import java.util.Arrays;
import java.util.Locale;
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
 *
 * <p>The scale's power of two is folded into the data, split evenly over q and the k - 1 keys, so no power c^j
 * of a tiny or huge scale can underflow or overflow. Tokens arrive one at a time, so the decoder cannot balance
 * columns against each other as the batch method does ({@link Balance}); instead its certificate covers entries
 * (after the folding) up to 2^entryBits, as large as the float64 range allows at its degree, and values below
 * 2^64. A token past either is refused with the reason, never turned into inf or NaN.
 */
public final class PolyDecoder {
    private final int factors;
    private final int d;
    private final int dv;
    private final int dvp;
    private final double scale;
    /** The scale's power of two, split over the factors: q times 2^queryShift, each key times 2^keyShift. */
    private final int queryShift;
    private final int keyShift;
    /** Largest |entry| (after the shifts) the certificate covers: 2^entryBits. */
    private final int entryBits;
    /** The scale left once its power of two is folded into the data. */
    private final double folded;
    private final double[] qRow;
    private final double[][] kRows;
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
        int ec = this.scale == 0 ? 0 : Balance.exponent(Math.abs(this.scale));
        keyShift = Math.floorDiv(ec, order);
        queryShift = ec - factors * keyShift;
        int[] nk = new int[factors];
        Arrays.fill(nk, maxTokens);
        Geometry geo = Geometry.simple(1, maxTokens, nk, d, dv);
        double balanced = PolyPlan.balancedMagnitude(radius, order);
        PolyPlan first = PolyPlan.of(radius, geo, Mask.CAUSAL, epsilon, DType.FLOAT64, 1, PolyAttention.memoryCap(),
                false, balanced, VALUE_BITS);
        if (!first.feasible()) {
            throw new IllegalArgumentException(first.refusal());
        }
        // Certify again for the largest entries the float64 range allows at that degree. Its underflow term could
        // in principle move the degree; then keep the first plan and the entries it was certified for.
        int bits = entryBits(first.polynomial(), maxTokens, order);
        PolyPlan wide = PolyPlan.of(radius, geo, Mask.CAUSAL, epsilon, DType.FLOAT64, 1, PolyAttention.memoryCap(),
                false, Math.scalb(1.0, bits), VALUE_BITS);
        boolean same = wide.feasible() && wide.degree() == first.degree();
        plan = same ? wide : first;
        entryBits = same ? bits : Math.max(0, Balance.exponent(Math.max(balanced, Double.MIN_NORMAL)));
        folded = Math.scalb(this.scale, -ec);
        fm = new FeatureMap(plan.polynomial(), d, folded);
        qRow = new double[d];
        kRows = new double[factors][d];
        s = new double[factors][fm.rank * dvp];
        z = new double[factors][fm.rank];
        keyMax = new double[factors][d];
        phi = new double[fm.rank];
        vrow = new double[dvp];
        num = new double[dvp];
    }

    /** Values must stay below 2^VALUE_BITS in absolute value (their sums must not overflow). */
    private static final int VALUE_BITS = 64;

    /** The largest b such that entries up to 2^b keep the kernel's intermediates within the certified range. */
    private static int entryBits(ExpPolynomial p, int rows, int order) {
        if (p.degree() == 0) {
            return Double.MAX_EXPONENT; // every feature is 1: any finite entry will do
        }
        double spare = PolyPlan.MAX_LOG2_RANGE - PolyPlan.log2Range(p, 1, rows, order, VALUE_BITS);
        return (int) Math.floor(spare / ((double) order * p.degree()));
    }

    /** Degree, rank, radius and certified delta of the decoder's polynomial. */
    public PolyPlan plan() {
        return plan;
    }

    /** out = x * 2^shift (exact unless subnormal); returns max |out|. */
    private static double shifted(double[] x, int shift, double[] out) {
        double max = 0;
        for (int l = 0; l < x.length; l++) {
            out[l] = Math.scalb(x[l], shift);
            max = Math.max(max, Math.abs(out[l]));
        }
        return max;
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
        double largest = shifted(q, queryShift, qRow);
        double largestValue = 0;
        double[][] newMax = new double[factors][];
        for (int t = 0; t < factors; t++) {
            if (keys[t].length != d || vals[t].length != dv) {
                throw new IllegalArgumentException("key " + (t + 1) + " must have width " + d + " and value "
                        + (t + 1) + " width " + dv);
            }
            largest = Math.max(largest, shifted(keys[t], keyShift, kRows[t]));
            newMax[t] = keyMax[t].clone();
            for (int l = 0; l < d; l++) {
                newMax[t][l] = Math.max(newMax[t][l], Math.abs(kRows[t][l]));
            }
            for (double x : vals[t]) {
                largestValue = Math.max(largestValue, Math.abs(x));
            }
        }
        if (!(largest <= Math.scalb(1.0, entryBits)) || !(largestValue < Math.scalb(1.0, VALUE_BITS))) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "token %d has %s %.3g, past the %.3g "
                            + "the decoder's certificate covers in float64", tokens,
                    largest > Math.scalb(1.0, entryBits) ? "an entry (scale folded in) of" : "a value of",
                    largest > Math.scalb(1.0, entryBits) ? largest : largestValue,
                    Math.scalb(1.0, largest > Math.scalb(1.0, entryBits) ? entryBits : VALUE_BITS)));
        }
        // The bound on the shifted data: the same number, without overflow in its products.
        double bound = 0;
        for (int l = 0; l < d; l++) {
            double prod = Math.abs(qRow[l]);
            for (int t = 0; t < factors; t++) {
                prod *= newMax[t][l];
            }
            bound += prod;
        }
        bound *= Math.abs(folded);
        if (!(bound <= plan.radius())) {
            throw new IllegalArgumentException("token " + tokens + " has score bound " + bound
                    + " past the decoder's radius " + plan.radius());
        }
        for (int t = 0; t < factors; t++) {
            keyMax[t] = newMax[t];
            fm.keyRow(kRows[t], 0, phi);
            System.arraycopy(vals[t], 0, vrow, 0, dv);
            Moments.addRow(phi, vrow, 1, fm.rank, dvp, s[t], z[t]);
        }
        fm.queryRow(qRow, 0, phi);
        double den = Moments.outputRow(phi, s, z, fm.rank, dvp, num);
        tokens++;
        double[] out = new double[dv];
        for (int c = 0; c < dv; c++) {
            out[c] = num[c] / den;
        }
        return out;
    }
}
