package org.tensorattention.core.poly;

import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Parallel;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;

/**
 * The gradient of the polynomial approximation (SPEC.md sections 2 and 3), in O(n r ..) time: reverse mode
 * through O~_i = N_i / D_i with N_i = U_Q[i] M and D_i = U_Q[i] z.
 *
 * <p>Full mask, streamed in blocks like the forward: gN_i = dO_i / D_i and gD_i = -dO_i . O~_i / D_i give
 * dU_Q = gN M^T + gD z^T (then dQ through the feature map), dM = U_Q^T gN and dz = U_Q^T gD; each factor's
 * state gradient is G_t = dM ∘ prod_{u != t} S_u (Gz_t likewise), so dV_t = U_t G_t and
 * dU_t = V_t G_t^T + 1 Gz_t^T (then dK_t through the feature map). Causal and window masks:
 * {@link MaskedBackward}.
 *
 * <p>This is the exact gradient of O~ (the approximation), not of O: see docs/POLY.md for how far it is from
 * the exact attention's gradient.
 */
public final class PolyBackward {
    private PolyBackward() {
    }

    /** Gradients of the polynomial method's output for an already validated call. */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, Geometry g,
                                     AttentionOptions options) {
        return run(q, keys, values, dout, PolyAttention.prepare(q, keys, values, g, options), g, options);
    }

    /**
     * The same reusing the forward's output and log-sum-exp, as the exact backward does: forward is this call's
     * poly forward result (null, or one in float32, or of another method: recomputed). The query pass then
     * takes O~ and D~ = exp(lse) instead of contracting U_Q M again.
     */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     AttentionResult forward, Geometry g, AttentionOptions options) {
        return run(q, keys, values, dout, PolyAttention.prepare(q, keys, values, g, options), forward, g, options);
    }

    /** The same on a call already converted and planned ({@link PolyAttention#prepare}). */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     PolyAttention.Prepared call, Geometry g, AttentionOptions options) {
        return run(q, keys, values, dout, call, (AttentionResult) null, g, options);
    }

    /** The same reusing the forward's output and log-sum-exp when it can (see above). */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     PolyAttention.Prepared call, AttentionResult forward, Geometry g,
                                     AttentionOptions options) {
        PolyPlan plan = call.plan();
        if (!plan.feasible()) {
            throw new IllegalArgumentException(plan.refusal());
        }
        return run(q, keys, values, dout, call, RowLevels.forCall(plan, g, call.in.balance().magnitude), forward, g,
                options);
    }

    /** The same with the row levels given (the forward's, so that this is the gradient of its O~). */
    static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                              PolyAttention.Prepared call, RowLevels levels, Geometry g, AttentionOptions options) {
        return run(q, keys, values, dout, call, levels, null, g, options);
    }

    private static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                      PolyAttention.Prepared call, RowLevels levels, AttentionResult forward,
                                      Geometry g, AttentionOptions options) {
        PolyAttention.Inputs in = call.in;
        PolyPlan plan = call.plan();
        double[] dO = RowOrder.gather(dout, g.nq(), g.qHeads(), g.dv());
        int[] seedShift = in.balance().normaliseSeed(dO);
        FeatureMap fm = new FeatureMap(levels, g.d(), in.scale());
        int factors = g.order() - 1;
        int size = g.problems() * g.nq() * g.dv();
        Given given = Given.of(forward, g, size, g.problems() * g.nq());
        double[] out = given == null ? new double[size] : given.out;
        if (given != null) {
            in.balance().balanceOutput(out);
        }
        double[] dq = new double[in.q().length];
        double[][] dk = new double[factors][];
        double[][] dv = new double[factors][];
        for (int t = 0; t < factors; t++) {
            dk[t] = new double[in.k()[t].length];
            dv[t] = new double[in.v()[t].length];
        }
        int threads = options.threadCount();
        long start = System.nanoTime();
        // One task per kv problem: grouped query heads add into the same dK, dV without races.
        int kvProblems = g.kvProblems();
        int outer = Math.max(1, Math.min(threads, kvProblems));
        int inner = Math.max(1, threads / outer);
        Mask mask = options.mask();
        Parallel.forEach(kvProblems, outer, kp -> {
            if (mask instanceof Mask.Full) {
                full(g, kp, fm, in, dO, given, out, dq, dk, dv, inner);
            } else {
                for (int p = 0; p < g.problems(); p++) {
                    if (g.kvProblem()[p] == kp) {
                        MaskedBackward.problem(g, p, mask, fm, in, dO, given, out, dq, dk, dv, inner);
                    }
                }
            }
        });
        double seconds = (System.nanoTime() - start) * 1e-9;
        in.balance().restoreGradients(seedShift, dq, dk, dv);
        in.balance().restoreOutput(out);
        List<Tensor> dkT = new ArrayList<>();
        List<Tensor> dvT = new ArrayList<>();
        for (int t = 0; t < factors; t++) {
            dkT.add(Validation.requireInRange("dk" + (t + 1), RowOrder.scatter(dk[t], g.nk()[t], g.kvHeads(), g.d(),
                    keys.get(t).shape(), keys.get(t).dtype())));
            dvT.add(Validation.requireInRange("dv" + (t + 1), RowOrder.scatter(dv[t], g.nk()[t], g.kvHeads(), g.dv(),
                    values.get(t).shape(), values.get(t).dtype())));
        }
        AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(), plan.radius(),
                plan.delta(), Double.NaN);
        return new GradientResult(in.output(out, g),
                Validation.requireInRange("dq", RowOrder.scatter(dq, g.nq(), g.qHeads(), g.d(), q.shape(), q.dtype())),
                dkT, dvT, Method.POLY,
                seconds, 3 * plan.predictedFlops(), info, "poly backward: " + plan.verdict());
    }

    /**
     * The forward's output (balanced, problems x nq x dv) and log-sum-exp (problems x nq), when the backward
     * reuses them: O~ as the forward returned it in float64 and D~ = exp(lse), which is the forward's own
     * denominator up to the rounding of log and exp.
     */
    record Given(double[] out, double[] lse) {
        static Given of(AttentionResult forward, Geometry g, int size, int rows) {
            if (forward == null || forward.method() != Method.POLY || forward.logSumExp() == null
                    || forward.output().dtype() != DType.FLOAT64 || forward.output().size() != size
                    || forward.logSumExp().size() != rows) {
                return null;
            }
            // In the kernels' bhsd row order, as dO is (a copy: balancing changes out).
            return new Given(RowOrder.gather(forward.output(), g.nq(), g.qHeads(), g.dv()),
                    RowOrder.gather(forward.logSumExp(), g.nq(), g.qHeads(), 1));
        }

        /** The denominator of output row (problem p, row i). */
        double den(Geometry g, int p, int i) {
            return Math.exp(lse[p * g.nq() + i]);
        }
    }

    /** Full mask, one kv problem and every query problem that reads it. */
    private static void full(Geometry g, int kp, FeatureMap fm, PolyAttention.Inputs in, double[] dO, Given given,
                             double[] out, double[] dq, double[][] dk, double[][] dv, int threads) {
        int rank = fm.rank;
        int dvp = Moments.padded(g.dv());
        int factors = g.order() - 1;
        double[][] s = new double[factors][rank * dvp];
        double[][] z = new double[factors][rank];
        for (int t = 0; t < factors; t++) {
            long ko = (long) kp * g.nk()[t] * g.d();
            long vo = (long) kp * g.nk()[t] * g.dv();
            PolyForward.keyMoments(fm, in.k()[t], ko, in.v()[t], vo, g.dv(), 0, g.nk()[t], s[t], z[t], threads);
        }
        double[] m = product(s, -1);
        double[] zz = product(z, -1);
        double[] dM = new double[rank * dvp];
        double[] dz = new double[rank];
        for (int p = 0; p < g.problems(); p++) {
            if (g.kvProblem()[p] == kp) {
                queryPass(g, p, fm, in, dO, given, m, zz, out, dq, dM, dz, threads);
            }
        }
        for (int t = 0; t < factors; t++) {
            double[] gs = product(s, t);
            double[] gz = product(z, t);
            PolyForward.hadamard(gs, dM);
            PolyForward.hadamard(gz, dz);
            long ko = (long) kp * g.nk()[t] * g.d();
            long vo = (long) kp * g.nk()[t] * g.dv();
            keyPass(fm, in.k()[t], ko, in.v()[t], vo, g.nk()[t], g.dv(), gs, gz, dk[t], dv[t], threads);
        }
    }

    /** prod_{u != skip} a_u, elementwise (skip = -1: all of them). */
    static double[] product(double[][] a, int skip) {
        double[] r = new double[a[0].length];
        java.util.Arrays.fill(r, 1);
        for (int u = 0; u < a.length; u++) {
            if (u != skip) {
                PolyForward.hadamard(r, a[u]);
            }
        }
        return r;
    }

    /**
     * Query blocks: O~, dQ, and the partial sums dM += U_Q^T gN, dz += U_Q^T gD. With a leveled feature map
     * each block holds rows of one level ({@link RowLevels}) and every step runs over that level's rank only:
     * the features past it are zero for those rows.
     */
    static void queryPass(Geometry g, int p, FeatureMap fm, PolyAttention.Inputs in, double[] dO, Given given,
                          double[] m, double[] zz, double[] out, double[] dq, double[] dM, double[] dz,
                          int threads) {
        int d = g.d();
        int dv = g.dv();
        int dvp = Moments.padded(dv);
        int b = Moments.BLOCK;
        long qo = g.qOffset(p);
        long oo = g.outOffset(p);
        double[] keyMax = fm.leveled() ? PolyForward.keyMax(g, g.kvProblem()[p], in.k()) : null;
        RowLevels.Order order = RowLevels.order(fm, keyMax, in.q(), qo, g.nq());
        List<QueryScratch> parts = order.forEachBlock(threads, threads, () -> new QueryScratch(fm, dvp, dv),
                (w, level, rows, n) -> {
                    int rank = fm.levelRank[level];
                    double[] coefficient = fm.levelCoefficient[level];
                    fm.gather(in.q(), qo, rows, n, b, w.xt);
                    fm.monomialBlock(w.xt, b, w.mono, rank);
                    for (int L = 0; L < rank; L++) {
                        double c = coefficient[L];
                        for (int j = 0; j < b; j++) {
                            w.ut[L * b + j] = w.mono[L * b + j] * c;
                        }
                    }
                    if (given == null) {
                        Moments.contract(w.ut, b, rank, m, zz, dvp, w.num, w.den);
                    }
                    java.util.Arrays.fill(w.gN, 0);
                    java.util.Arrays.fill(w.gNt, 0);
                    java.util.Arrays.fill(w.gD, 0);
                    for (int i = 0; i < n; i++) {
                        int o = (int) (oo + (long) rows[i] * dv);
                        if (given != null) {
                            w.den[i] = given.den(g, p, rows[i]);
                        }
                        double dot = 0;
                        for (int c = 0; c < dv; c++) {
                            double oi = given != null ? out[o + c] : w.num[i * dvp + c] / w.den[i];
                            out[o + c] = oi;
                            double go = dO[o + c];
                            dot += go * oi;
                            double gn = go / w.den[i];
                            w.gN[i * dvp + c] = gn;
                            w.gNt[c * b + i] = gn;
                        }
                        w.gD[i] = -dot / w.den[i];
                    }
                    Moments.accumulate(w.ut, w.gN, b, 0, rank, dvp, w.partM, w.partZ);
                    rowDots(w.ut, w.gD, b, rank, w.partZ);
                    expand(m, zz, rank, dvp, dv, w.gNt, w.gD, b, w.gt);
                    FeatureMap.scaleRows(w.gt, b, coefficient, rank);
                    java.util.Arrays.fill(w.dxt, 0);
                    fm.keyBlockBackward(w.xt, w.mono, w.gt, b, w.dxt, rank);
                    scatterRows(w.dxt, b, n, d, dq, qo, rows);
                });
        for (QueryScratch w : parts) {
            PolyForward.add(dM, w.partM);
            PolyForward.add(dz, w.partZ);
        }
    }

    /** A query task's buffers beyond the common ones: monomials, upstream gradients, partial sums of dM, dz. */
    private static final class QueryScratch extends RowBlocks.Scratch {
        final double[] mono;
        final double[] gN;
        final double[] gNt;
        final double[] gD;
        final double[] partM;
        final double[] partZ;

        QueryScratch(FeatureMap fm, int dvp, int dv) {
            super(fm, dvp);
            int b = Moments.BLOCK;
            mono = new double[fm.rank * b];
            gN = new double[b * dvp];
            gNt = new double[dv * b];
            gD = new double[b];
            partM = new double[fm.rank * dvp];
            partZ = new double[fm.rank];
        }
    }

    /** A key task's extra buffers: the block's values transposed, and ones on its rows. */
    private static final class KeyScratch extends RowBlocks.Scratch {
        final double[] vt;
        final double[] ones;

        KeyScratch(FeatureMap fm, int dvp, int dv) {
            super(fm, dvp);
            vt = new double[dv * Moments.BLOCK];
            ones = new double[Moments.BLOCK];
        }
    }

    /** Key blocks of one factor: dV = U G and dU = V G^T + 1 gz^T, then dK through the feature map. */
    static void keyPass(FeatureMap fm, double[] k, long ko, double[] v, long vo, int nk, int dv, double[] gs,
                        double[] gz, double[] dk, double[] dvOut, int threads) {
        int rank = fm.rank;
        int d = fm.d;
        int dvp = Moments.padded(dv);
        int b = Moments.BLOCK;
        RowBlocks.run(nk, threads * 4, threads, () -> new KeyScratch(fm, dvp, dv), (w, r0, n) -> {
            double[] vt = w.vt;
            double[] ones = w.ones;
            fm.keyBlock(k, ko, r0, n, b, w.xt, w.ut);
            Moments.contract(w.ut, b, rank, gs, gz, dvp, w.num, w.den);
            for (int j = 0; j < n; j++) {
                int o = (int) (vo + (long) (r0 + j) * dv);
                for (int c = 0; c < dv; c++) {
                    dvOut[o + c] += w.num[j * dvp + c];
                }
            }
            java.util.Arrays.fill(vt, 0);
            java.util.Arrays.fill(ones, 0);
            for (int j = 0; j < n; j++) {
                ones[j] = 1;
                int o = (int) (vo + (long) (r0 + j) * dv);
                for (int c = 0; c < dv; c++) {
                    vt[c * b + j] = v[o + c];
                }
            }
            expand(gs, gz, rank, dvp, dv, vt, ones, b, w.gt);
            java.util.Arrays.fill(w.dxt, 0);
            fm.keyBlockBackward(w.xt, w.ut, w.gt, b, w.dxt);
            scatterRows(w.dxt, b, n, d, dk, ko + (long) r0 * d, null);
        });
    }

    /**
     * z[L] += sum_{i < b} ut[L * b + i] w[i] (b a multiple of the lanes, w zero past the block's rows): vectors
     * over the rows, since a scalar sum is one dependent add per element and cost as much as a whole GEMM here.
     */
    static void rowDots(double[] ut, double[] w, int b, int rank, double[] z) {
        int lanes = Moments.LANES;
        for (int L = 0; L < rank; L++) {
            int o = L * b;
            DoubleVector acc = DoubleVector.zero(Moments.SPECIES);
            for (int i = 0; i < b; i += lanes) {
                acc = DoubleVector.fromArray(Moments.SPECIES, ut, o + i)
                        .fma(DoubleVector.fromArray(Moments.SPECIES, w, i), acc);
            }
            z[L] += Moments.laneSum(acc);
        }
    }

    /**
     * out[L * b + i] = sum_c m[L * dvp + c] wt[c * b + i] + zz[L] wz[i], with b a multiple of 4 vectors: two
     * feature rows times four row vectors, eight accumulators that share each load of wt and each broadcast
     * of m[L, c].
     */
    static void expand(double[] m, double[] zz, int rank, int dvp, int dv, double[] wt, double[] wz, int b,
                       double[] out) {
        int lanes = Moments.LANES;
        int L = 0;
        for (; L + 2 <= rank; L += 2) {
            int o = L * b;
            int m0 = L * dvp;
            int m1 = m0 + dvp;
            double z0 = zz[L];
            double z1 = zz[L + 1];
            for (int i0 = 0; i0 < b; i0 += 4 * lanes) {
                DoubleVector w0 = DoubleVector.fromArray(Moments.SPECIES, wz, i0);
                DoubleVector w1 = DoubleVector.fromArray(Moments.SPECIES, wz, i0 + lanes);
                DoubleVector w2 = DoubleVector.fromArray(Moments.SPECIES, wz, i0 + 2 * lanes);
                DoubleVector w3 = DoubleVector.fromArray(Moments.SPECIES, wz, i0 + 3 * lanes);
                DoubleVector a0 = w0.mul(z0);
                DoubleVector a1 = w1.mul(z0);
                DoubleVector a2 = w2.mul(z0);
                DoubleVector a3 = w3.mul(z0);
                DoubleVector c0 = w0.mul(z1);
                DoubleVector c1 = w1.mul(z1);
                DoubleVector c2 = w2.mul(z1);
                DoubleVector c3 = w3.mul(z1);
                for (int c = 0; c < dv; c++) {
                    int w = c * b + i0;
                    w0 = DoubleVector.fromArray(Moments.SPECIES, wt, w);
                    w1 = DoubleVector.fromArray(Moments.SPECIES, wt, w + lanes);
                    w2 = DoubleVector.fromArray(Moments.SPECIES, wt, w + 2 * lanes);
                    w3 = DoubleVector.fromArray(Moments.SPECIES, wt, w + 3 * lanes);
                    double x0 = m[m0 + c];
                    double x1 = m[m1 + c];
                    a0 = Moments.fma(w0, x0, a0);
                    a1 = Moments.fma(w1, x0, a1);
                    a2 = Moments.fma(w2, x0, a2);
                    a3 = Moments.fma(w3, x0, a3);
                    c0 = Moments.fma(w0, x1, c0);
                    c1 = Moments.fma(w1, x1, c1);
                    c2 = Moments.fma(w2, x1, c2);
                    c3 = Moments.fma(w3, x1, c3);
                }
                a0.intoArray(out, o + i0);
                a1.intoArray(out, o + i0 + lanes);
                a2.intoArray(out, o + i0 + 2 * lanes);
                a3.intoArray(out, o + i0 + 3 * lanes);
                c0.intoArray(out, o + b + i0);
                c1.intoArray(out, o + b + i0 + lanes);
                c2.intoArray(out, o + b + i0 + 2 * lanes);
                c3.intoArray(out, o + b + i0 + 3 * lanes);
            }
        }
        for (; L < rank; L++) {
            int o = L * b;
            double zl = zz[L];
            for (int i0 = 0; i0 < b; i0 += 4 * lanes) {
                DoubleVector a0 = DoubleVector.fromArray(Moments.SPECIES, wz, i0).mul(zl);
                DoubleVector a1 = DoubleVector.fromArray(Moments.SPECIES, wz, i0 + lanes).mul(zl);
                DoubleVector a2 = DoubleVector.fromArray(Moments.SPECIES, wz, i0 + 2 * lanes).mul(zl);
                DoubleVector a3 = DoubleVector.fromArray(Moments.SPECIES, wz, i0 + 3 * lanes).mul(zl);
                for (int c = 0; c < dv; c++) {
                    double mc = m[L * dvp + c];
                    int w = c * b + i0;
                    a0 = Moments.fma(DoubleVector.fromArray(Moments.SPECIES, wt, w), mc, a0);
                    a1 = Moments.fma(DoubleVector.fromArray(Moments.SPECIES, wt, w + lanes), mc, a1);
                    a2 = Moments.fma(DoubleVector.fromArray(Moments.SPECIES, wt, w + 2 * lanes), mc, a2);
                    a3 = Moments.fma(DoubleVector.fromArray(Moments.SPECIES, wt, w + 3 * lanes), mc, a3);
                }
                a0.intoArray(out, o + i0);
                a1.intoArray(out, o + i0 + lanes);
                a2.intoArray(out, o + i0 + 2 * lanes);
                a3.intoArray(out, o + i0 + 3 * lanes);
            }
        }
    }

    /** dst rows rows[j] (null: j) for j < n, at base with width d, += the transposed block src (d x b). */
    private static void scatterRows(double[] src, int b, int n, int d, double[] dst, long base, int[] rows) {
        for (int j = 0; j < n; j++) {
            int o = (int) (base + (long) (rows == null ? j : rows[j]) * d);
            for (int l = 0; l < d; l++) {
                dst[o + l] += src[l * b + j];
            }
        }
    }
}
