package org.tensorattention.core.exact;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;

/**
 * How an exact call keeps every intermediate finite: checked once per call from the column maxima of the inputs
 * (O(n d)), never inside the kernels.
 *
 * <p>The rule. The kernels compute in q's dtype; the other inputs are rounded to it. When a bound on the
 * intermediates (scores, products of factors, value sums, and for the backward the score gradients and the
 * gradient sums) says they all stay below a quarter of that dtype's largest value, the call runs as it always
 * did. Otherwise the inputs are rebalanced column by column with powers of two, which changes no score and no
 * result (only the rounding of values far below the largest):
 * <ul>
 * <li>each key column K_t[:, l] is divided by a power of two that brings its largest entry into [1, 2), and q's
 * column l, with the scale c folded in, is multiplied by the product of those powers: every product
 * c q_l prod_t K_t[j_t, l] is unchanged, and each intermediate is bounded by the score bound;</li>
 * <li>each value column V_t[:, l] is scaled likewise; O is linear in each V_t, so O's column l comes back
 * divided by the product of the powers (for the backward dO's column is multiplied by it, and the powers are
 * split so that dO and the value products meet in the middle).</li>
 * </ul>
 * When even the balanced intermediates pass the dtype's range, a float32 call computes in float64 (results
 * rounded back to float32), and a float64 call is refused with a message that names the arrays. Results keep
 * q's dtype; a result value past that dtype's range is refused with a message naming the array and the dtype.
 */
public final class ExactRange {
    /** Stands for log2 of 0 in the exponent sums: far below anything, and safe to add a few times. */
    private static final int ZERO = -1 << 20;

    private final Tensor q;
    private final List<Tensor> keys;
    private final List<Tensor> values;
    private final Tensor dout;
    private final double scale;
    private final DType compute;
    private final boolean balanced;
    private final int[] qShift;
    private final int[][] kShift;
    private final int[][] vShift;
    /** Per value column: the sum over factors of vShift, the power of two O carries inside the kernel. */
    private final int[] outShift;

    private ExactRange(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, double scale, DType compute,
                       boolean balanced, int[] qShift, int[][] kShift, int[][] vShift) {
        this.q = q;
        this.keys = keys;
        this.values = values;
        this.dout = dout;
        this.scale = scale;
        this.compute = compute;
        this.balanced = balanced;
        this.qShift = qShift;
        this.kShift = kShift;
        this.vShift = vShift;
        outShift = new int[values.get(0).dim(-1)];
        for (int[] s : vShift) {
            for (int l = 0; l < s.length; l++) {
                outShift[l] += s[l];
            }
        }
    }

    /** The plan for a forward call. */
    public static ExactRange forward(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g, double scale) {
        return plan(q, keys, values, null, g, scale);
    }

    /** The plan for a backward call: dout's range counts too. */
    public static ExactRange backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, Geometry g,
                                      double scale) {
        return plan(q, keys, values, dout, g, scale);
    }

    /** The dtype the kernels run in. */
    public DType compute() {
        return compute;
    }

    /** Whether the inputs are rebalanced (or widened): false on the ordinary path. */
    public boolean rebalanced() {
        return balanced || compute != q.dtype();
    }

    /** The scale the kernels use: c itself, or 1 when c is folded into the balanced q. */
    public double kernelScale() {
        return balanced ? 1.0 : scale;
    }

    private static ExactRange plan(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, Geometry g,
                                   double scale) {
        Bounds b = new Bounds(q, keys, values, dout, g, scale);
        DType dt = q.dtype();
        int[][] none = new int[keys.size()][];
        int[][] noneV = new int[keys.size()][];
        for (int t = 0; t < keys.size(); t++) {
            none[t] = new int[g.d()];
            noneV[t] = new int[g.dv()];
        }
        if (b.plainFits(limit(dt)) && (dout == null || b.precise(bits(dt)))) {
            return new ExactRange(q, keys, values, dout, scale, dt, false, new int[g.d()], none, noneV);
        }
        boolean inRange = false;
        for (DType c : dt == DType.FLOAT32 ? new DType[] {DType.FLOAT32, DType.FLOAT64} : new DType[] {dt}) {
            if (b.balancedFits(limit(c))) {
                inRange = true;
                if (dout == null || b.precise(bits(c))) {
                    return new ExactRange(q, keys, values, dout, scale, c, true, b.qShift(), b.kShift(),
                            b.vShift());
                }
            }
        }
        throw new IllegalArgumentException(inRange ? b.imprecise() : b.refusal(dout != null));
    }

    /** The dtype's significand bits. */
    private static int bits(DType dt) {
        return dt == DType.FLOAT32 ? 24 : 53;
    }

    /** Values below 2^limit are at most a quarter of the dtype's largest finite value. */
    private static int limit(DType dt) {
        return dt == DType.FLOAT32 ? 126 : 1022;
    }

    /** q as the kernels take it (float64 compute). */
    public double[] q64() {
        return balanced ? balancedQ() : q.to(DType.FLOAT64).doubles();
    }

    /** q as the kernels take it (float32 compute). */
    public float[] q32() {
        return balanced ? narrow(balancedQ()) : q.to(DType.FLOAT32).floats();
    }

    public double[][] keys64() {
        return wide(keys, kShift);
    }

    public float[][] keys32() {
        return narrow(keys, kShift);
    }

    public double[][] values64() {
        return wide(values, vShift);
    }

    public float[][] values32() {
        return narrow(values, vShift);
    }

    /** dout in the kernels' units: each column times the power of two O carries. */
    public double[] dout64() {
        return scaled(dout, negate(outShift));
    }

    public float[] dout32() {
        return balanced ? narrow(dout64()) : dout.to(DType.FLOAT32).floats();
    }

    /** A forward output (in q's units) in the kernels' units, float64. */
    public double[] outputIn(Tensor out) {
        return scaled(out, outShift);
    }

    /** The kernels' output back in q's units and dtype; refused when a value does not fit that dtype. */
    public Tensor output(double[] raw, int[] shape) {
        return back("o", raw, shape, negate(outShift), 1.0);
    }

    /** The same for a float32 kernel output. */
    public Tensor output(float[] raw, int[] shape) {
        if (!rebalanced()) {
            return checked("o", Tensor.of(raw, shape));
        }
        double[] wide = new double[raw.length];
        for (int x = 0; x < raw.length; x++) {
            wide[x] = raw[x];
        }
        return output(wide, shape);
    }

    /** dq from the kernels' float64 sums. */
    public Tensor dq(double[] raw, int[] shape) {
        return back("dq", raw, shape, qShift, balanced ? scale : 1.0);
    }

    public Tensor dk(int t, double[] raw, int[] shape) {
        return back("dk" + (t + 1), raw, shape, kShift[t], 1.0);
    }

    public Tensor dv(int t, double[] raw, int[] shape) {
        return back("dv" + (t + 1), raw, shape, vShift[t], 1.0);
    }

    /** raw[.., l] * factor * 2^shift[l], in q's dtype; refused (naming the array) when a value does not fit. */
    private Tensor back(String name, double[] raw, int[] shape, int[] shift, double factor) {
        int width = shift.length;
        double[] r = raw;
        if (rebalanced()) {
            r = new double[raw.length];
            int e = factor == 1.0 ? 0 : Math.getExponent(factor);
            double m = factor == 1.0 ? 1.0 : Math.scalb(factor, -e);
            for (int x = 0; x < raw.length; x++) {
                r[x] = Math.scalb(raw[x] * m, shift[x % width] + e);
            }
        }
        return checked(name, Tensor.of(r, shape).to(q.dtype()));
    }

    private Tensor checked(String name, Tensor t) {
        return Validation.requireInRange(name, t);
    }

    private double[] balancedQ() {
        int e = Math.getExponent(scale);
        double m = Math.scalb(scale, -e);
        double[] r = new double[q.size()];
        int d = qShift.length;
        for (int x = 0; x < r.length; x++) {
            // Scale first by the power of two (exact), then by c's mantissa in [1, 2): nothing overflows on the way.
            r[x] = m * Math.scalb(q.get(x), qShift[x % d] + e);
        }
        return r;
    }

    private double[][] wide(List<Tensor> ts, int[][] shifts) {
        double[][] r = new double[ts.size()][];
        for (int t = 0; t < r.length; t++) {
            r[t] = balanced ? scaled(ts.get(t), shifts[t]) : ts.get(t).to(DType.FLOAT64).doubles();
        }
        return r;
    }

    private float[][] narrow(List<Tensor> ts, int[][] shifts) {
        float[][] r = new float[ts.size()][];
        for (int t = 0; t < r.length; t++) {
            r[t] = balanced ? narrow(scaled(ts.get(t), shifts[t])) : ts.get(t).to(DType.FLOAT32).floats();
        }
        return r;
    }

    /** t[.., l] * 2^shift[l] in float64 (t itself, widened, when every shift is 0). */
    private static double[] scaled(Tensor t, int[] shift) {
        boolean any = false;
        for (int s : shift) {
            any |= s != 0;
        }
        if (!any) {
            return t.to(DType.FLOAT64).doubles();
        }
        double[] r = new double[t.size()];
        int width = shift.length;
        for (int x = 0; x < r.length; x++) {
            r[x] = Math.scalb(t.get(x), shift[x % width]);
        }
        return r;
    }

    private static float[] narrow(double[] a) {
        float[] r = new float[a.length];
        for (int x = 0; x < a.length; x++) {
            r[x] = (float) a[x];
        }
        return r;
    }

    private static int[] negate(int[] a) {
        int[] r = new int[a.length];
        for (int x = 0; x < a.length; x++) {
            r[x] = -a[x];
        }
        return r;
    }

    /**
     * Upper bounds, as powers of two, of every intermediate of the exact kernels: ub(x) is the smallest e with
     * |x| < 2^e (ZERO for 0), and ub(a b) <= ub(a) + ub(b), ub(sum of n terms) <= ub(term) + ceil(log2 n).
     */
    private static final class Bounds {
        final int factors, d, dv;
        /** ub of the scale. */
        final int uc;
        /** Per column: ub of q, of each key and value factor, and of dO (null for the forward). */
        final int[] uq, ud;
        final int[][] uk, uv;
        /** ceil(log2) of the sizes summed over: d, dv, nq, each nk, and the number of key tuples. */
        final int logD, logDv, logNq, logTuples;
        final int[] logNk;
        final List<String> names = new ArrayList<>();
        final String qDtype;

        Bounds(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, Geometry g, double scale) {
            factors = keys.size();
            d = g.d();
            dv = g.dv();
            uc = ub(Math.abs(scale));
            uq = columns(q, d);
            uk = new int[factors][];
            uv = new int[factors][];
            logNk = new int[factors];
            int tuples = 0;
            names.add("q");
            for (int t = 0; t < factors; t++) {
                uk[t] = columns(keys.get(t), d);
                uv[t] = columns(values.get(t), dv);
                logNk[t] = log2(g.nk()[t]);
                tuples += logNk[t];
                names.add("k" + (t + 1));
            }
            ud = dout == null ? null : columns(dout, dv);
            logD = log2(d);
            logDv = log2(dv);
            logNq = log2(Math.max(1, g.nq()));
            logTuples = tuples;
            qDtype = q.dtype().numpyName();
        }

        /** The largest score term bound over columns: ub(c q_l prod_t K_t[., l]). */
        int term(int l) {
            int s = uc + uq[l];
            for (int t = 0; t < factors; t++) {
                s += uk[t][l];
            }
            return s;
        }

        int maxTerm() {
            int m = ZERO;
            for (int l = 0; l < d; l++) {
                m = Math.max(m, term(l));
            }
            return m;
        }

        /**
         * Every intermediate of the kernels as they run on the inputs unchanged: below 2^lim, and, where not 0,
         * not so small (below 2^(30 - lim)) that rounding to the dtype or to its subnormals would lose it.
         */
        boolean plainFits(int lim) {
            int low = 30 - lim;
            for (int l = 0; l < d; l++) {
                int cq = uc + uq[l];
                int keyProduct = 0;
                if (outside(uq[l], lim, low) || outside(cq, lim, low)) {
                    return false;
                }
                for (int t = 0; t < factors; t++) {
                    cq += uk[t][l];
                    if (outside(uk[t][l], lim, low) || outside(cq, lim, low)) {
                        return false;
                    }
                    if (t < factors - 1) {
                        keyProduct += uk[t][l];
                        if (outside(keyProduct, lim, low)) {
                            return false;
                        }
                    }
                }
            }
            if (maxTerm() + logD > lim - 1) {
                return false;
            }
            int last = factors - 1;
            for (int l = 0; l < dv; l++) {
                int prefix = 0;
                for (int t = 0; t < factors; t++) {
                    prefix += uv[t][l];
                    if (outside(uv[t][l], lim, low) || uv[t][l] + logNk[t] > lim || outside(prefix, lim, low)
                            || prefix + logTuples > lim) {
                        return false;
                    }
                }
            }
            if (ud == null) {
                return true;
            }
            int dp = dpBound();
            int maxUk = ZERO;
            int maxUq = ZERO;
            for (int l = 0; l < d; l++) {
                maxUk = Math.max(maxUk, uk[last][l]);
                maxUq = Math.max(maxUq, uq[l]);
            }
            if (dp > lim || dp + maxUk + logNk[last] > lim || dp + uc + maxUq + logNq > lim) {
                return false;
            }
            for (int l = 0; l < d; l++) {
                int all = 0;
                for (int t = 0; t < factors; t++) {
                    all += uk[t][l];
                }
                if (dp + uc + all + logTuples > lim) {
                    return false;
                }
                for (int t = 0; t < factors; t++) {
                    if (dp + uc + uq[l] + all - uk[t][l] + logNq + logTuples > lim) {
                        return false;
                    }
                }
            }
            for (int l = 0; l < dv; l++) {
                int all = 0;
                for (int t = 0; t < factors; t++) {
                    all += uv[t][l];
                }
                if (ud[l] > lim || ud[l] + all - uv[last][l] > lim || ud[l] + logNq > lim) {
                    return false;
                }
                for (int t = 0; t < factors; t++) {
                    if (ud[l] + all - uv[t][l] + logNq + logTuples > lim) {
                        return false;
                    }
                }
            }
            return true;
        }

        /** Past the dtype's safe range at either end; a bound that sums a ZERO stands for exact zeros. */
        private static boolean outside(int e, int lim, int low) {
            return e > lim || (e < low && e > ZERO / 2);
        }

        /** ub of dS = P (dP - Delta): twice the largest |dP|, dP = sum_l dO_l prod_t V_t[., l]. */
        int dpBound() {
            int m = ZERO;
            for (int l = 0; l < dv; l++) {
                int s = ud[l];
                for (int t = 0; t < factors; t++) {
                    s += uv[t][l];
                }
                m = Math.max(m, s);
            }
            return m + logDv + 1;
        }

        /**
         * ub of the balanced q's column l, c q_l times the powers of two taken from the key columns: the score
         * term bound less what the keys keep (at most 2 each), or more where a key column is all zero.
         */
        int balancedQ(int l) {
            int s = uc + uq[l];
            for (int t = 0; t < factors; t++) {
                s += uk[t][l] == ZERO ? 0 : uk[t][l] - 1;
            }
            return s;
        }

        /** The intermediates once the columns are balanced: the scores (and score gradients) themselves. */
        boolean balancedFits(int lim) {
            int term = maxTerm();
            for (int l = 0; l < d; l++) {
                term = Math.max(term, balancedQ(l));
            }
            if (term + logD + factors > lim - 1) {
                return false;
            }
            if (ud == null) {
                return true;
            }
            // Balanced, dP carries the true bound; q'' the score terms; keys and values at most 2^factors.
            int dp = dpBound();
            int side = (dp + 1) / 2 + factors;
            return dp <= lim && side <= lim
                    && dp + Math.max(term, factors) + factors + logNq + logTuples <= lim;
        }

        /**
         * The backward recomputes each weight as exp(s - lse), with its own rounding of s: that needs the
         * rounding error of s, about (k + d) 2^-bits |s|, below 1. (The forward takes exp(s - max) of one
         * computed s, and needs no such margin.)
         */
        boolean precise(int bits) {
            return maxTerm() + logD + log2(factors + 1 + d) <= bits;
        }

        String imprecise() {
            int term = maxTerm() + logD;
            return String.format(Locale.ROOT, "the scores of %s can reach 2^%d (about 1e%d): too large for the "
                    + "backward, which recomputes exp(s - lse) and needs |s| below about 2^48; scale q or the keys "
                    + "down", arrays(), term, (int) Math.floor(term * Math.log10(2)));
        }

        String arrays() {
            return names.get(0) + " with " + String.join(", ", names.subList(1, names.size()));
        }

        int[] qShift() {
            int[] s = new int[d];
            for (int l = 0; l < d; l++) {
                s[l] = balancedQ(l) - uc - uq[l];
            }
            return s;
        }

        int[][] kShift() {
            int[][] s = new int[factors][d];
            for (int t = 0; t < factors; t++) {
                for (int l = 0; l < d; l++) {
                    s[t][l] = uk[t][l] == ZERO ? 0 : 1 - uk[t][l];
                }
            }
            return s;
        }

        /**
         * Each value column to [1, 2); for the backward, factor 1 also takes half of the gap between dO's
         * column and the value product, so that dO (times the inverse power) and the product meet in the middle.
         */
        int[][] vShift() {
            int[][] s = new int[factors][dv];
            for (int l = 0; l < dv; l++) {
                int total = 0;
                for (int t = 0; t < factors; t++) {
                    s[t][l] = uv[t][l] == ZERO ? 0 : 1 - uv[t][l];
                    total += s[t][l];
                }
                if (ud != null && ud[l] != ZERO) {
                    // dO'' = dO 2^-total has ub ud - total; the value product'' has ub about factors.
                    s[0][l] += Math.floorDiv(ud[l] - total - factors, 2);
                }
            }
            return s;
        }

        String refusal(boolean backward) {
            int term = maxTerm() + logD;
            String what = backward ? "the scores or their gradients" : "the scores";
            return String.format(Locale.ROOT, "%s of %s can reach 2^%d (about 1e%d), past float64 even with the "
                    + "factors rebalanced (q is %s); scale q or the keys down, or lower --scale", what, arrays(), term,
                    (int) Math.floor(term * Math.log10(2)), qDtype);
        }

        private static int ub(double x) {
            return x == 0 ? ZERO : Math.getExponent(x) + 1;
        }

        private static int log2(long n) {
            return n <= 1 ? 0 : 64 - Long.numberOfLeadingZeros(n - 1);
        }

        /** ub of each column's largest |entry|, over all rows and leading dimensions. */
        private static int[] columns(Tensor t, int width) {
            double[] max = new double[width];
            int size = t.size();
            if (t.dtype() == DType.FLOAT32) {
                float[] a = t.floats();
                for (int x = 0; x < size; x += width) {
                    for (int l = 0; l < width; l++) {
                        max[l] = Math.max(max[l], Math.abs(a[x + l]));
                    }
                }
            } else {
                double[] a = t.doubles();
                for (int x = 0; x < size; x += width) {
                    for (int l = 0; l < width; l++) {
                        max[l] = Math.max(max[l], Math.abs(a[x + l]));
                    }
                }
            }
            int[] u = new int[width];
            for (int l = 0; l < width; l++) {
                u[l] = ub(max[l]);
            }
            return u;
        }
    }
}
