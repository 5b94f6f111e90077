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

    /** The same on a call already converted and planned ({@link PolyAttention#prepare}). */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     PolyAttention.Prepared call, Geometry g, AttentionOptions options) {
        PolyAttention.Inputs in = call.in;
        PolyPlan plan = call.plan();
        if (!plan.feasible()) {
            throw new IllegalArgumentException(plan.refusal());
        }
        double[] dO = dout.dtype() == DType.FLOAT64 ? dout.doubles().clone() : dout.to(DType.FLOAT64).doubles();
        int[] seedShift = in.balance().normaliseSeed(dO);
        FeatureMap fm = new FeatureMap(plan.polynomial(), g.d(), in.scale());
        int factors = g.order() - 1;
        double[] out = new double[g.problems() * g.nq() * g.dv()];
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
                full(g, kp, fm, in, dO, out, dq, dk, dv, inner);
            } else {
                for (int p = 0; p < g.problems(); p++) {
                    if (g.kvProblem()[p] == kp) {
                        MaskedBackward.problem(g, p, mask, fm, in, dO, out, dq, dk, dv, inner);
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
            dkT.add(Tensor.of(dk[t], keys.get(t).shape()).to(keys.get(t).dtype()));
            dvT.add(Tensor.of(dv[t], values.get(t).shape()).to(values.get(t).dtype()));
        }
        AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(), plan.radius(),
                plan.delta(), Double.NaN);
        return new GradientResult(in.output(out, g), Tensor.of(dq, q.shape()).to(q.dtype()), dkT, dvT, Method.POLY,
                seconds, 3 * plan.predictedFlops(), info, "poly backward: " + plan.verdict());
    }

    /** Full mask, one kv problem and every query problem that reads it. */
    private static void full(Geometry g, int kp, FeatureMap fm, PolyAttention.Inputs in, double[] dO, double[] out,
                             double[] dq, double[][] dk, double[][] dv, int threads) {
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
                queryPass(g, p, fm, in, dO, m, zz, out, dq, dM, dz, threads);
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

    /** Query blocks: O~, dQ, and the partial sums dM += U_Q^T gN, dz += U_Q^T gD. */
    static void queryPass(Geometry g, int p, FeatureMap fm, PolyAttention.Inputs in, double[] dO,
                                  double[] m, double[] zz, double[] out, double[] dq, double[] dM, double[] dz,
                                  int threads) {
        int rank = fm.rank;
        int d = g.d();
        int dv = g.dv();
        int dvp = Moments.padded(dv);
        int b = Moments.BLOCK;
        int nq = g.nq();
        int blocks = (nq + b - 1) / b;
        int tasks = Math.min(blocks, threads);
        long qo = g.qOffset(p);
        long oo = g.outOffset(p);
        double[][] partM = new double[tasks][];
        double[][] partZ = new double[tasks][];
        Parallel.forEach(tasks, threads, task -> {
            double[] xt = new double[d * b];
            double[] mono = new double[rank * b];
            double[] uqt = new double[rank * b];
            double[] num = new double[b * dvp];
            double[] den = new double[b];
            double[] gN = new double[b * dvp];
            double[] gNt = new double[dv * b];
            double[] gD = new double[b];
            double[] gt = new double[rank * b];
            double[] dxt = new double[d * b];
            double[] myM = new double[rank * dvp];
            double[] myZ = new double[rank];
            int b0 = (int) ((long) blocks * task / tasks);
            int b1 = (int) ((long) blocks * (task + 1) / tasks);
            for (int blk = b0; blk < b1; blk++) {
                int r0 = blk * b;
                int n = Math.min(b, nq - r0);
                fm.transpose(in.q(), qo, r0, n, b, xt);
                fm.monomialBlock(xt, b, mono);
                for (int L = 0; L < rank; L++) {
                    double c = fm.queryCoefficient[L];
                    for (int j = 0; j < b; j++) {
                        uqt[L * b + j] = mono[L * b + j] * c;
                    }
                }
                Moments.contract(uqt, b, rank, m, zz, dvp, num, den);
                java.util.Arrays.fill(gN, 0);
                java.util.Arrays.fill(gNt, 0);
                java.util.Arrays.fill(gD, 0);
                for (int i = 0; i < n; i++) {
                    int o = (int) (oo + (long) (r0 + i) * dv);
                    double dot = 0;
                    for (int c = 0; c < dv; c++) {
                        double oi = num[i * dvp + c] / den[i];
                        out[o + c] = oi;
                        double go = dO[o + c];
                        dot += go * oi;
                        gN[i * dvp + c] = go / den[i];
                        gNt[c * b + i] = go / den[i];
                    }
                    gD[i] = -dot / den[i];
                }
                Moments.accumulate(uqt, gN, b, 0, rank, dvp, myM, myZ);
                for (int L = 0; L < rank; L++) {
                    double sum = 0;
                    for (int i = 0; i < n; i++) {
                        sum += uqt[L * b + i] * gD[i];
                    }
                    myZ[L] += sum;
                }
                expand(m, zz, rank, dvp, dv, gNt, gD, b, gt);
                for (int L = 0; L < rank; L++) {
                    double c = fm.queryCoefficient[L];
                    for (int j = 0; j < b; j++) {
                        gt[L * b + j] *= c;
                    }
                }
                java.util.Arrays.fill(dxt, 0);
                fm.keyBlockBackward(xt, mono, gt, b, dxt);
                scatterRows(dxt, b, n, d, dq, qo + (long) r0 * d);
            }
            partM[task] = myM;
            partZ[task] = myZ;
        });
        for (int task = 0; task < tasks; task++) {
            PolyForward.add(dM, partM[task]);
            PolyForward.add(dz, partZ[task]);
        }
    }

    /** Key blocks of one factor: dV = U G and dU = V G^T + 1 gz^T, then dK through the feature map. */
    static void keyPass(FeatureMap fm, double[] k, long ko, double[] v, long vo, int nk, int dv, double[] gs,
                                double[] gz, double[] dk, double[] dvOut, int threads) {
        int rank = fm.rank;
        int d = fm.d;
        int dvp = Moments.padded(dv);
        int b = Moments.BLOCK;
        int blocks = (nk + b - 1) / b;
        int tasks = Math.min(blocks, threads * 4);
        Parallel.forEach(tasks, threads, task -> {
            double[] xt = new double[d * b];
            double[] ut = new double[rank * b];
            double[] vt = new double[dv * b];
            double[] ones = new double[b];
            double[] gt = new double[rank * b];
            double[] dxt = new double[d * b];
            double[] num = new double[b * dvp];
            double[] den = new double[b];
            int b0 = (int) ((long) blocks * task / tasks);
            int b1 = (int) ((long) blocks * (task + 1) / tasks);
            for (int blk = b0; blk < b1; blk++) {
                int r0 = blk * b;
                int n = Math.min(b, nk - r0);
                fm.keyBlock(k, ko, r0, n, b, xt, ut);
                java.util.Arrays.fill(vt, 0);
                java.util.Arrays.fill(ones, 0);
                for (int j = 0; j < n; j++) {
                    ones[j] = 1;
                    int o = (int) (vo + (long) (r0 + j) * dv);
                    for (int c = 0; c < dv; c++) {
                        vt[c * b + j] = v[o + c];
                    }
                }
                Moments.contract(ut, b, rank, gs, gz, dvp, num, den);
                for (int j = 0; j < n; j++) {
                    int o = (int) (vo + (long) (r0 + j) * dv);
                    for (int c = 0; c < dv; c++) {
                        dvOut[o + c] += num[j * dvp + c];
                    }
                }
                expand(gs, gz, rank, dvp, dv, vt, ones, b, gt);
                java.util.Arrays.fill(dxt, 0);
                fm.keyBlockBackward(xt, ut, gt, b, dxt);
                scatterRows(dxt, b, n, d, dk, ko + (long) r0 * d);
            }
        });
    }

    /**
     * out[L * b + i] = sum_c m[L * dvp + c] wt[c * b + i] + zz[L] wz[i], with b a multiple of 4 vectors: four
     * accumulators over the rows share each broadcast of m[L, c].
     */
    static void expand(double[] m, double[] zz, int rank, int dvp, int dv, double[] wt, double[] wz, int b,
                       double[] out) {
        int lanes = Moments.LANES;
        for (int L = 0; L < rank; L++) {
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

    /** dst rows [0, n) at base (width d) += the transposed block src (d x b). */
    private static void scatterRows(double[] src, int b, int n, int d, double[] dst, long base) {
        for (int j = 0; j < n; j++) {
            int o = (int) (base + (long) j * d);
            for (int l = 0; l < d; l++) {
                dst[o + l] += src[l * b + j];
            }
        }
    }
}
