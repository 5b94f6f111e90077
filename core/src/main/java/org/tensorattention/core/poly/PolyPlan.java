package org.tensorattention.core.poly;

import java.util.Locale;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What the polynomial method would need for one call, worked out before anything runs: the degree and rank
 * of the certified polynomial, the predicted cost against the exact kernel's, and (when it cannot or should
 * not run) why.
 *
 * @param degree         g, or -1 when no degree up to {@link ExpPolynomial#MAX_DEGREE} is certified
 * @param rank           r = C(d + g, g) (Long.MAX_VALUE past the long range, -1 without a degree)
 * @param radius         R >= max |s(i, J)|
 * @param delta          certified relative error of the weights' numerator and denominator, rounding included
 * @param epsilon        the requested bound: max |O~ - O| &lt;= epsilon * Vinf
 * @param basis          "taylor" or "chebyshev" (which certificate gave the lower degree)
 * @param predictedFlops the poly kernel's flop count by the cost model
 * @param exactFlops     the exact kernel's flop count, 2 (d + dv) per allowed (query, tuple) pair
 * @param memoryBytes    working memory the poly kernel would allocate beyond inputs and output
 * @param refusal        null when poly can run; else a one-line reason it cannot (or would be slower)
 * @param polynomial     the certified polynomial (null without a degree)
 * @param arithmetic     how the forward computes: {@link #FLOAT64}, {@link #FLOAT32} (float32 features and tiles,
 *                       float64 sums across blocks; float32 inputs on the full mask only) or "float64: " and why
 *                       the float32 mode was not certified
 */
public record PolyPlan(int degree, long rank, double radius, double delta, double epsilon, String basis,
                       double predictedFlops, double exactFlops, double memoryBytes, String refusal,
                       ExpPolynomial polynomial, String arithmetic) {
    public static final String FLOAT64 = "float64";
    public static final String FLOAT32 = "float32 tiles, float64 sums";

    /** True when the forward runs the float32 mode ({@link Float32Forward}). */
    public boolean float32() {
        return FLOAT32.equals(arithmetic);
    }

    /** Below this many flops poly runs when asked, even where exact would be cheaper: the gap is noise. */
    public static final double SMALL_FLOPS = 1e8;
    /** Smallest epsilon a float32 result can carry: its rounding alone is about 6e-8 * |O|. */
    public static final double FLOAT32_MIN_EPSILON = 1e-6;

    static final double UNIT_ROUNDOFF = 0x1p-53;
    private static final double FLOAT32_ROUNDING = 0x1p-23;

    /** True when poly can run (it may still be slower than exact: see {@link #cheaperThanExact}). */
    public boolean feasible() {
        return refusal == null;
    }

    public boolean cheaperThanExact() {
        return feasible() && predictedFlops < exactFlops;
    }

    /** e.g. "poly: rank 165 costs 2.1e7 flops vs exact 4.4e9". */
    public String verdict() {
        if (!feasible()) {
            return refusal;
        }
        return String.format(Locale.ROOT, "rank %d (degree %d, R = %.3g) costs %.2g flops vs exact %.2g",
                rank, degree, radius, predictedFlops, exactFlops);
    }

    /**
     * The plan for a call of geometry g whose scores are bounded by radius.
     *
     * @param memoryCap largest working memory (bytes) poly may allocate
     */
    public static PolyPlan of(double radius, Geometry g, Mask mask, double epsilon, DType dtype, int threads,
                              double memoryCap) {
        return of(radius, g, mask, epsilon, dtype, threads, memoryCap, true, balancedMagnitude(radius, g.order()));
    }

    /** As {@link #of}; without the comparison to the exact kernel's cost when compareCost is false. */
    static PolyPlan of(double radius, Geometry g, Mask mask, double epsilon, DType dtype, int threads,
                       double memoryCap, boolean compareCost) {
        return of(radius, g, mask, epsilon, dtype, threads, memoryCap, compareCost, balancedMagnitude(radius, g.order()));
    }

    /**
     * Largest |entry| of q and the keys that {@link Balance} leaves for scores bounded by radius: each column's
     * factors share one binade within 2^(k-1), at most R^{1/k} apart from the binade rounding.
     */
    static double balancedMagnitude(double radius, int k) {
        return Math.scalb(Math.pow(radius, 1.0 / k), k);
    }

    /**
     * As {@link #of}, for data whose balanced entries (q and keys) are at most magnitude in absolute value and
     * whose balanced values are below 2: the certificate then covers the range the kernel actually uses.
     */
    static PolyPlan of(double radius, Geometry g, Mask mask, double epsilon, DType dtype, int threads,
                       double memoryCap, boolean compareCost, double magnitude) {
        return of(radius, g, mask, epsilon, dtype, threads, memoryCap, compareCost, magnitude, 1);
    }

    /**
     * As {@link #of}, with values below 2^valueBits in absolute value. For float32 inputs on the full mask the
     * float32 mode's certificate ({@link #rounding32}) is tried as well; it runs when it certifies epsilon at a
     * degree no higher than the float64 one, else the plan says why not in {@link #arithmetic}.
     */
    static PolyPlan of(double radius, Geometry g, Mask mask, double epsilon, DType dtype, int threads,
                       double memoryCap, boolean compareCost, double magnitude, int valueBits) {
        PolyPlan wide = certified(radius, g, mask, epsilon, dtype, threads, memoryCap, compareCost, magnitude,
                valueBits, false);
        if (dtype != DType.FLOAT32 || !wide.feasible()) {
            return wide;
        }
        if (!(mask instanceof Mask.Full)) {
            return wide.withArithmetic("float64: the float32 mode runs the full mask only");
        }
        if (java.util.Arrays.stream(g.nk()).anyMatch(n -> n == 0)) {
            return wide.withArithmetic("float64: a factor has no keys");
        }
        PolyPlan narrow = certified(radius, g, mask, epsilon, dtype, threads, memoryCap, compareCost, magnitude,
                valueBits, true);
        if (!narrow.feasible()) {
            // e.g. "float64: float32 cannot certify epsilon 1e-06 at R = 0.9: float32 rounding of sums ... passes it"
            return wide.withArithmetic("float64: " + narrow.refusal().replace("poly cannot certify", "float32 cannot certify")
                    .replace("; use the exact method", ""));
        }
        if (narrow.degree() > wide.degree()) {
            return wide.withArithmetic(String.format(Locale.ROOT,
                    "float64: float32 rounding would need degree %d, float64 needs %d", narrow.degree(), wide.degree()));
        }
        return narrow;
    }

    private PolyPlan withArithmetic(String how) {
        return new PolyPlan(degree, rank, radius, delta, epsilon, basis, predictedFlops, exactFlops, memoryBytes,
                refusal, polynomial, how);
    }

    /** The plan with float64 arithmetic, or (f32) the float32 mode's, whose refusal then says why it cannot run. */
    private static PolyPlan certified(double radius, Geometry g, Mask mask, double epsilon, DType dtype, int threads,
                                      double memoryCap, boolean compareCost, double magnitude, int valueBits,
                                      boolean f32) {
        int k = g.order();
        int d = g.d();
        double exact = g.exactFlops(mask);
        String scan = PolyScans.unsupported(mask);
        if (scan != null) {
            return refused(radius, epsilon, exact, scan + "; use the exact method");
        }
        if (!Double.isFinite(radius)) {
            return refused(radius, epsilon, exact, "poly cannot bound the scores: their radius overflows float64; "
                    + "use the exact method");
        }
        if (dtype == DType.FLOAT32 && epsilon < FLOAT32_MIN_EPSILON) {
            return refused(radius, epsilon, exact, String.format(Locale.ROOT,
                    "epsilon %.3g cannot be met in float32 (rounding the output alone costs about 6e-8; use "
                            + "epsilon >= %.0e or float64 inputs)", epsilon, FLOAT32_MIN_EPSILON));
        }
        // The weights' relative error e must satisfy 2 e / (1 - e) <= epsilon (less float32 output rounding).
        double weightEps = dtype == DType.FLOAT32 ? epsilon - FLOAT32_ROUNDING : epsilon;
        double target = weightEps / (2 + weightEps);
        // First the degree that rounding aside would need: if even that rank is too slow or too large, say so.
        ExpPolynomial ideal = ExpPolynomial.certify(radius, target, ExpPolynomial.MAX_DEGREE);
        if (ideal != null) {
            String tooCostly = costRefusal(ideal, g, mask, epsilon, radius, compareCost ? exact : Double.POSITIVE_INFINITY,
                    threads, memoryCap, f32);
            if (tooCostly != null) {
                long rank = Multisets.rank(d, ideal.degree());
                return new PolyPlan(ideal.degree(), rank, radius, ideal.delta(), epsilon, ideal.basis(),
                        flops(g, mask, Multisets.rankAsDouble(d, ideal.degree())), exact,
                        memory(g, Multisets.rankAsDouble(d, ideal.degree()), threads, f32), tooCostly, ideal,
                        arithmetic(f32));
            }
        }
        int rows = Math.max(g.nq(), max(g.nk()));
        double eR = Math.exp(radius);
        double roundingGuess = rounding(f32, rows, 1, 0, d, k, eR * 1.01, eR);
        ExpPolynomial p = null;
        double eta = 0;
        // Without a degree, rounding is still the cause when the coefficients' own rounding (about
        // 2^-53 e^{2R}, relative) passes the target.
        boolean roundingBound = ideal != null || UNIT_ROUNDOFF * eR * eR > target;
        for (int attempt = 0; attempt < 6 && ideal != null; attempt++) {
            double polyTarget = target - roundingGuess;
            if (polyTarget <= 0) {
                break;
            }
            p = ExpPolynomial.certify(radius, polyTarget, ExpPolynomial.MAX_DEGREE);
            if (p == null) {
                break;
            }
            double r = Multisets.rankAsDouble(d, p.degree());
            double range = log2Range(p, magnitude, rows, k, valueBits);
            if (range > MAX_LOG2_RANGE || f32 && !fitsFloat32(p, range)) {
                return refused(radius, epsilon, exact, String.format(Locale.ROOT,
                        "poly cannot certify epsilon %.3g at R = %.3g: its degree-%d features would pass 2^%d, "
                                + "out of %s range; use the exact method", epsilon, radius, p.degree(),
                        f32 ? MAX_LOG2_RANGE_32 : MAX_LOG2_RANGE, f32 ? "float32" : "float64"));
            }
            eta = eta(f32, p, range, rows, r, d, k, eR);
            if (p.delta() + eta <= target) {
                break;
            }
            roundingGuess = eta * 1.5;
            p = null;
        }
        if (p == null) {
            String why = roundingBound
                    ? (f32 ? "float32" : "float64") + " rounding of sums as large as e^R relative to e^{-R} alone passes it"
                    : "no degree up to " + ExpPolynomial.MAX_DEGREE + " reaches it";
            return refused(radius, epsilon, exact, String.format(Locale.ROOT,
                    "poly cannot certify epsilon %.3g at R = %.3g: %s; use the exact method", epsilon, radius, why));
        }
        long rank = Multisets.rank(d, p.degree());
        double rankD = Multisets.rankAsDouble(d, p.degree());
        double flops = flops(g, mask, rankD);
        double memory = memory(g, rankD, threads, f32);
        double delta = p.delta() + eta;
        String refusal = costRefusal(p, g, mask, epsilon, radius, compareCost ? exact : Double.POSITIVE_INFINITY,
                threads, memoryCap, f32);
        return new PolyPlan(p.degree(), rank, radius, delta, epsilon, p.basis(), flops, exact, memory, refusal, p,
                arithmetic(f32));
    }

    private static String arithmetic(boolean f32) {
        return f32 ? FLOAT32 : FLOAT64;
    }

    /** Why a polynomial of this degree should not run (too slow or too large), or null. */
    private static String costRefusal(ExpPolynomial p, Geometry g, Mask mask, double epsilon, double radius,
                                      double exact, int threads, double memoryCap, boolean f32) {
        long rank = Multisets.rank(g.d(), p.degree());
        double rankD = Multisets.rankAsDouble(g.d(), p.degree());
        double flops = flops(g, mask, rankD);
        double memory = memory(g, rankD, threads, f32);
        if (memory > memoryCap || rank > Integer.MAX_VALUE - 8) {
            return String.format(Locale.ROOT,
                    "poly needs degree %d and rank %s for epsilon %.3g at R = %.3g: its working memory %.3g GB "
                            + "passes the cap %.3g GB",
                    p.degree(), rankString(rank, rankD), epsilon, radius, memory / 1e9, memoryCap / 1e9);
        }
        if (flops > exact && flops > SMALL_FLOPS) {
            return String.format(Locale.ROOT,
                    "poly needs degree %d and rank %d for epsilon %.3g at R = %.3g: %.2g flops vs exact %.2g, "
                            + "slower than the exact method",
                    p.degree(), rank, epsilon, radius, flops, exact);
        }
        return null;
    }

    /** Working memory of the poly kernel: per-thread states and feature blocks, and the multiset tables. */
    static double memory(Geometry g, double rank, int threads) {
        int dvp = Moments.padded(g.dv());
        int k = g.order();
        return 8.0 * rank * ((k - 1) * (dvp + 1.0) * (2 * threads + 2) + 2.0 * Moments.BLOCK * threads) + 20.0 * rank;
    }

    /** The same for the float32 mode when f32: float32 blocks, float64 lane sums per thread ({@link Float32Tiles}). */
    static double memory(Geometry g, double rank, int threads, boolean f32) {
        if (!f32) {
            return memory(g, rank, threads);
        }
        double dv1 = g.dv() + 1.0;
        // States and M; per thread the float64 lane sums and their float32 chains, and the float32 blocks.
        return 8.0 * rank * dv1 * 3 + 12.0 * rank * dv1 * Float32Tiles.LANES * threads
                + 4.0 * rank * (Float32Tiles.KEY_BLOCK + Moments.BLOCK + dv1) * threads + 20.0 * rank;
    }

    private static PolyPlan refused(double radius, double epsilon, double exact, String why) {
        return new PolyPlan(-1, -1, radius, Double.NaN, epsilon, "none", Double.POSITIVE_INFINITY, exact, 0, why, null,
                FLOAT64);
    }

    private static String rankString(long rank, double rankD) {
        return rank == Long.MAX_VALUE ? String.format(Locale.ROOT, "%.3g", rankD) : Long.toString(rank);
    }

    /**
     * Relative perturbation of numerators and denominators by float64 rounding. Every sum the kernel forms
     * (features, key moments, the Hadamard product, the contraction) is a sum of at most N terms whose absolute
     * values add up to at most A = sum_j |a_j| R^j per allowed tuple, while the true denominator is at least
     * e^{-R} per allowed tuple: so the error relative to it is at most u N A e^R. The factor 2^{k-1} covers the
     * window scan, whose states span at most twice the window.
     */
    static double rounding(int rows, double rank, int degree, int d, int k, double absSum, double eR) {
        double n = 3.0 * rows + rank + 2.0 * degree + 2.0 * d + 4.0 * k + 2.0 * Moments.BLOCK;
        return UNIT_ROUNDOFF * n * Math.pow(2, k - 1) * absSum * eR;
    }

    /**
     * The float32 mode's relative perturbation of numerators and denominators ({@link Float32Forward}), on the
     * same footing as {@link #rounding}: every term of a numerator or denominator is a product whose float32
     * roundings number at most m32 and whose float64 roundings number at most m64, so each computed sum is off
     * by at most ((1 + gamma32(m32)) (1 + gamma64(m64)) - 1) times the sum of its terms' absolute values, at most
     * A = sum_j |a_j| R^j per tuple against a true denominator of at least e^{-R} per tuple.
     * <ul>
     *   <li>float32 (u = 2^-24): the query feature (g - 1 multiplies of the monomial, its coefficient's
     *       rounding, one multiply), each of the k - 1 key features (g - 1), each factor's key block chain
     *       (KEY_BLOCK / LANES FMAs per lane), M rounded to float32 (1), the contraction chain (CHUNK FMAs);</li>
     *   <li>float64 (u = 2^-53): per factor the lane sums across blocks and tasks, the lane reduction and the
     *       Hadamard product (at most rows + 66), then the contraction's chunks (at most rank) and the division.</li>
     * </ul>
     * The float64 model of the same polynomial is a floor (the backward and the masked scans evaluate it in
     * float64); inputs are float32 values, so converting them is exact (underflow aside: {@link #underflow32}).
     */
    static double rounding32(int rows, double rank, int degree, int d, int k, double absSum, double eR) {
        double m32 = (degree + 1.0) + (k - 1.0) * (Math.max(0, degree - 1) + Float32Tiles.KEY_CHAIN) + 1
                + Float32Tiles.CHUNK;
        double m64 = (k - 1.0) * (rows + 66.0) + rank + 8;
        double narrow = (1 + gamma(m32, FLOAT32_UNIT)) * (1 + gamma(m64, UNIT_ROUNDOFF)) - 1;
        return Math.max(narrow * absSum * eR, rounding(rows, rank, degree, d, k, absSum, eR));
    }

    /** {@link #rounding32} when f32, else {@link #rounding}. */
    static double rounding(boolean f32, int rows, double rank, int degree, int d, int k, double absSum, double eR) {
        return f32 ? rounding32(rows, rank, degree, d, k, absSum, eR) : rounding(rows, rank, degree, d, k, absSum, eR);
    }

    /** Rounding plus underflow of polynomial p on [-R, R] (eR = e^R) whose intermediates reach 2^range. */
    static double eta(boolean f32, ExpPolynomial p, double range, int rows, double rank, int d, int k, double eR) {
        return rounding(f32, rows, rank, p.degree(), d, k, p.absoluteSum(), eR)
                + (f32 ? underflow32(range, rank, p.degree(), k, eR) : underflow(range, rank, p.degree(), k, eR));
    }

    private static final double FLOAT32_UNIT = 0x1p-24;

    /** gamma_n = n u / (1 - n u) for unit roundoff u (infinite once n u reaches 1). */
    static double gamma(double count, double unit) {
        double nu = count * unit;
        return nu < 1 ? nu / (1 - nu) : Double.POSITIVE_INFINITY;
    }

    /**
     * {@link #underflow} for the float32 mode: an input, multiply or FMA whose float32 result is subnormal loses up
     * to 2^-150 absolutely; per term at most 2 k g + 2 k + 8 of them plus the two chains; plus the float64 term.
     */
    static double underflow32(double log2Range, double rank, int degree, int k, double eR) {
        double count = 2.0 * k * degree + 2.0 * k + 8 + (k - 1.0) * Float32Tiles.KEY_CHAIN + Float32Tiles.CHUNK;
        return Math.scalb(rank * count, -149 + 2 + (int) Math.ceil(log2Range)) * eR
                + underflow(log2Range, rank, degree, k, eR);
    }

    /** Largest binary exponent the float32 mode's intermediates (features, M, the contraction) may reach. */
    static final int MAX_LOG2_RANGE_32 = 120;

    /** True when the polynomial's float32 intermediates stay in range: log2Range and every nonzero coefficient. */
    static boolean fitsFloat32(ExpPolynomial p, double log2Range) {
        if (log2Range > MAX_LOG2_RANGE_32) {
            return false;
        }
        for (double a : p.coefficients()) {
            if (a != 0 && Math.abs(a) < 0x1p-100) {
                return false;
            }
        }
        return true;
    }

    /** Largest binary exponent the kernel's intermediate values may reach and still be certified. */
    static final int MAX_LOG2_RANGE = 960;

    /**
     * log2 of the largest magnitude the kernel forms on balanced data (entries at most magnitude, values below
     * 2^valueBits): a query coefficient |a_j m^j mult(L)| <= |a_j| 2^j j!, times the query monomial, times
     * k - 1 states, each a sum of at most rows key monomials times values.
     */
    static double log2Range(ExpPolynomial p, double magnitude, int rows, int k, int valueBits) {
        double[] a = p.coefficients();
        double coefficient = 0;
        double logFactorial = 0;
        for (int j = 0; j < a.length; j++) {
            logFactorial += j == 0 ? 0 : Math.log(j) / Math.log(2);
            if (a[j] != 0) {
                coefficient = Math.max(coefficient, Math.log(Math.abs(a[j])) / Math.log(2) + j + logFactorial);
            }
        }
        double monomial = p.degree() * Math.max(0, Math.log(magnitude) / Math.log(2));
        double state = valueBits + Math.log(Math.max(1, rows)) / Math.log(2) + monomial;
        return coefficient + monomial + (k - 1) * state;
    }

    /**
     * Where balanced entries far below their column's largest turn subnormal, a multiply loses up to 2^-1075
     * absolutely instead of a relative 2^-53. Each product of a numerator or denominator term has at most
     * k g + 2 k + 4 multiplies and is then scaled by at most 2^log2Range; r terms per state, against a true
     * denominator of at least e^{-R} per tuple.
     */
    static double underflow(double log2Range, double rank, int degree, int k, double eR) {
        return Math.scalb(rank * (k * degree + 2.0 * k + 4), -1074 + 2 + (int) Math.ceil(log2Range)) * eR;
    }

    /** The cost model: flops of the poly kernel for a call of geometry g with rank r. */
    static double flops(Geometry g, Mask mask, double r) {
        int k = g.order();
        int dv = g.dv();
        double keyRows = 0;
        for (int nk : g.nk()) {
            keyRows += nk;
        }
        // Features ~ r multiplies a row; key moments 2 r (dv + 1) a key row; the query side 2 r (dv + 2) a row.
        double keySide = keyRows * r * (2.0 * dv + 3);
        double querySide = g.nq() * r * (2.0 * dv + 5);
        if (mask instanceof Mask.Full) {
            return g.kvProblems() * (keySide + (k - 2) * r * (dv + 1.0)) + g.problems() * querySide;
        }
        // Masked scans: chunk totals, one rank-1 update per key row (two for a window, plus restarts), and
        // per query the product of k - 1 states.
        double updates = PolyScans.windowed(mask) ? 3 : 1;
        double scan = keySide * (1 + updates) + g.nq() * r * ((k - 1.0) * (dv + 1) + 2.0 * (dv + 1) + 2);
        return g.problems() * scan;
    }

    static int max(int[] a) {
        int m = 0;
        for (int x : a) {
            m = Math.max(m, x);
        }
        return m;
    }
}
