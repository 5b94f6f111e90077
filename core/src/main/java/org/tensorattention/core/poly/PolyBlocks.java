package org.tensorattention.core.poly;

import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The polynomial method in pieces over ranges of rows, for callers that spread one call over several
 * machines and sum the pieces themselves: the score radius from column maxima, key moments of a row range,
 * query outputs from given moments, a causal scan from a given start state, and the full-mask backward's
 * query and key passes. Everything is float64 and runs on the calling thread; arrays are row-major slices.
 *
 * <p>Given the same polynomial, the pieces compute exactly what {@link PolyAttention} and
 * {@link PolyBackward} compute for the whole call; only the order of some sums differs.
 */
public final class PolyBlocks {
    private final FeatureMap fm;
    private final double scale;
    private final int d;
    private final int dv;
    private final int dvp;

    /** The feature maps of polynomial p for head width d, value width dv and scale c. */
    public PolyBlocks(ExpPolynomial p, int d, int dv, double scale) {
        this.fm = new FeatureMap(p, d, scale);
        this.scale = scale;
        this.d = d;
        this.dv = dv;
        this.dvp = Moments.padded(dv);
    }

    /** r, the number of feature columns. */
    public int rank() {
        return fm.rank;
    }

    /** Length of one factor's S_t (rank x padded dv, row-major). */
    public int momentLength() {
        return fm.rank * dvp;
    }

    /** Column maxima of |a| over rows [0, rows) at off: the pieces of R and of Vinf, combined by max. */
    public static double[] columnMaxAbs(double[] a, long off, int rows, int cols) {
        return ScoreBound.columnMaxAbs(a, off, rows, cols);
    }

    /**
     * max_i sum_l |q[i,l]| keyMax[l] over rows [0, rows) at off, in the order {@link ScoreBound} sums, so that
     * the largest over all ranges, passed to {@link #radius}, is the single-machine R bit for bit.
     */
    public static double queryReach(double[] q, long off, int rows, int d, double[] keyMax) {
        double reach = 0;
        for (int i = 0; i < rows; i++) {
            double s = 0;
            for (int l = 0; l < d; l++) {
                s += Math.abs(q[(int) (off + (long) i * d + l)]) * keyMax[l];
            }
            reach = Math.max(reach, s);
        }
        return reach;
    }

    /** R from the largest {@link #queryReach}, with ScoreBound's rounding margin. */
    public static double radius(double scale, double reach) {
        return Math.abs(scale) * reach * (1 + 1e-12);
    }

    /**
     * The plan for a call of geometry g whose radius (on the balanced data) and balanced magnitude were
     * aggregated elsewhere, as a single machine makes it.
     */
    public static PolyPlan plan(double radius, Geometry g, AttentionOptions options, DType dtype, Shifts shifts) {
        return PolyPlan.of(radius, g, options.mask(), options.epsilon(), dtype, options.threadCount(),
                PolyAttention.memoryCap(), true, shifts.magnitude());
    }

    /**
     * The powers of two by which {@link Balance} moves a call's data into range, per kv problem: q's columns,
     * each key factor's columns, each value factor; the scale left once its power of two is folded into q; and
     * the largest balanced entry. A Balance depends only on column maxima, so these come from maxima
     * aggregated elsewhere and are applied chunk by chunk ({@link #shiftColumns}, {@link #shiftAll}).
     */
    public record Shifts(int[][] q, int[][][] k, int[][] v, double scale, double magnitude)
            implements java.io.Serializable {

        /** The shift that takes problem p's balanced output back (its kv problem is kp). */
        public int outputShift(int kp) {
            int s = 0;
            for (int x : v[kp]) {
                s += x;
            }
            return s;
        }
    }

    /**
     * The balancing of a call from its maxima: qMax[kp][l] = max |Q[:,l]| over the query problems reading kv
     * problem kp, kMax[kp][t][l], and vMax[kp][t][c] (column maxima of the values).
     */
    public static Shifts balance(Geometry g, double scale, double[][] qMax, double[][][] kMax, double[][][] vMax) {
        int kvProblems = g.kvProblems();
        int factors = g.order() - 1;
        // One row per kv problem holding the maxima: Balance sees the same column maxima, hence the same shifts,
        // and the largest balanced maximum is the largest balanced entry (powers of two keep the order).
        int[] nk = new int[factors];
        java.util.Arrays.fill(nk, 1);
        int[] identity = new int[kvProblems];
        for (int kp = 0; kp < kvProblems; kp++) {
            identity[kp] = kp;
        }
        Geometry rows = new Geometry(kvProblems, 1, nk, g.d(), g.dv(), identity);
        double[] q = new double[kvProblems * g.d()];
        double[][] k = new double[factors][kvProblems * g.d()];
        double[][] v = new double[factors][kvProblems * g.dv()];
        for (int kp = 0; kp < kvProblems; kp++) {
            System.arraycopy(qMax[kp], 0, q, kp * g.d(), g.d());
            for (int t = 0; t < factors; t++) {
                System.arraycopy(kMax[kp][t], 0, k[t], kp * g.d(), g.d());
                System.arraycopy(vMax[kp][t], 0, v[t], kp * g.dv(), g.dv());
            }
        }
        Balance b = Balance.apply(rows, scale, q, k, v);
        return new Shifts(b.qShift, b.kShift, b.vShift, b.scale, b.magnitude);
    }

    /** Multiplies column l of rows [0, rows) (width cols) by 2^shift[l], as Balance does. */
    public static void shiftColumns(double[] a, int rows, int cols, int[] shift) {
        Balance.shiftColumns(a, 0, rows, cols, shift);
    }

    /** Multiplies every entry by 2^shift, as Balance does. */
    public static void shiftAll(double[] a, int shift) {
        Balance.shiftAll(a, 0, a.length, shift);
    }

    /**
     * The reach on the balanced data from the reach on the caller's: balancing moves every term of a score by
     * the same power of two, the exponent of the scale, so this is exact (unless the caller's reach itself
     * overflowed or underflowed).
     */
    public static double balancedReach(double reach, double scale) {
        return scale == 0 ? reach : Math.scalb(reach, Balance.exponent(Math.abs(scale)));
    }

    /** The seed shift of a kv problem whose largest |dout| is max: its largest entry moves into [1, 2). */
    public static int seedShift(double max) {
        return max == 0 ? 0 : -Balance.exponent(max);
    }

    /** The certified bound max |O~ - O| <= this, for a plan and the call's Vinf. */
    public static double errorBound(PolyPlan plan, DType dtype, double vinf) {
        double weightError = 2 * plan.delta() / (1 - plan.delta());
        double castError = dtype == DType.FLOAT32 ? 0x1p-23 : 0;
        return (weightError + castError) * vinf;
    }

    /** s += U^T V and z += U^T 1 over key rows [0, rows) of k at kOff and v at vOff. */
    public void keyMoments(double[] k, long kOff, double[] v, long vOff, int rows, double[] s, double[] z) {
        PolyForward.keyMomentsSerial(fm, k, kOff, v, vOff, dv, 0, rows, s, z);
    }

    /** out rows [0, rows) at oOff: (U_Q m) ./ (U_Q zz) for query rows at qOff (m, zz: products over factors). */
    public void queryOutputs(double[] q, long qOff, int rows, double[] m, double[] zz, double[] out, long oOff) {
        queryOutputs(q, qOff, rows, m, zz, out, oOff, null);
    }

    /** As above, with lse[i] = log(U_Q zz), the log of row i's denominator (null: no lse). */
    public void queryOutputs(double[] q, long qOff, int rows, double[] m, double[] zz, double[] out, long oOff,
                             double[] lse) {
        PolyForward.queryOutputs(fm, null, q, qOff, rows, m, zz, dv, out, oOff, lse, 0, 1);
    }

    /**
     * A causal scan over rows [0, rows) whose query row i and key rows i stand at the same position: each row
     * adds its key moments to (s[t], z[t]), which come in holding the sum over every earlier row, then reads
     * its output. On return s and z hold the sums through the last row.
     */
    public void causalScan(double[] q, double[][] k, double[][] v, int rows, double[][] s, double[][] z,
                           double[] out) {
        double[] phi = new double[fm.rank];
        double[] vrow = new double[dvp];
        double[] num = new double[dvp];
        for (int i = 0; i < rows; i++) {
            for (int t = 0; t < k.length; t++) {
                fm.keyRow(k[t], i * d, phi);
                System.arraycopy(v[t], i * dv, vrow, 0, dv);
                Moments.addRow(phi, vrow, 1, fm.rank, dvp, s[t], z[t]);
            }
            fm.queryRow(q, i * d, phi);
            double inv = 1 / Moments.outputRow(phi, s, z, fm.rank, dvp, num);
            for (int c = 0; c < dv; c++) {
                out[i * dv + c] = num[c] * inv;
            }
        }
    }

    /** The whole forward of a self-contained slice (geometry g, any mask), e.g. a window with its halo. */
    public void forward(Geometry g, Mask mask, double[] q, double[][] k, double[][] v, double[] out) {
        PolyForward.run(g, scale, mask, fm, q, k, v, out, null, 1);
    }

    /**
     * The full-mask backward's query pass over rows [0, rows): O~ into out, dQ into dq, and the partial sums
     * dM += U_Q^T gN, dz += U_Q^T gD that the key pass needs summed over every query row.
     */
    public void queryGradients(double[] q, int rows, double[] dO, double[] m, double[] zz, double[] out,
                               double[] dq, double[] dM, double[] dz) {
        Geometry g = Geometry.simple(1, rows, new int[] {1}, d, dv);
        PolyAttention.Inputs in = new PolyAttention.Inputs(q, null, null, scale, DType.FLOAT64, new int[0], null, 0);
        PolyBackward.queryPass(g, 0, fm, in, dO, null, m, zz, out, dq, dM, dz, 1);
    }

    /**
     * The full-mask backward's key pass over key rows [0, rows) of one factor: dv += U gs, dk += dU through the
     * feature map, with gs = dM ∘ prod_{u != t} S_u and gz = dz ∘ prod_{u != t} z_u ({@link #product}).
     */
    public void keyGradients(double[] k, double[] v, int rows, double[] gs, double[] gz, double[] dk, double[] dvOut) {
        PolyBackward.keyPass(fm, k, 0, v, 0, rows, dv, gs, gz, dk, dvOut, 1);
    }

    /** The backward of one self-contained problem (geometry g with one problem, causal or window mask). */
    public void maskedBackward(Geometry g, Mask mask, double[] q, double[][] k, double[][] v, double[] dO,
                               double[] out, double[] dq, double[][] dk, double[][] dvOut) {
        PolyAttention.Inputs in = new PolyAttention.Inputs(q, k, v, scale, DType.FLOAT64, new int[0], null, 0);
        MaskedBackward.problem(g, 0, mask, fm, in, dO, null, out, dq, dk, dvOut, 1);
    }

    /** prod_{u != skip} a_u elementwise; skip = -1 multiplies them all. */
    public static double[] product(double[][] a, int skip) {
        return PolyBackward.product(a, skip);
    }

    /** a += b elementwise. */
    public static void add(double[] a, double[] b) {
        PolyForward.add(a, b);
    }
}
