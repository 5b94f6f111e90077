package org.tensorattention.core.grad;

import java.util.ArrayList;
import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Parallel;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.exact.ExactForward;
import org.tensorattention.core.exact.ExactRange;
import org.tensorattention.core.exact.InnerPacking;

/**
 * The exact backward pass (SPEC.md section 3), FlashAttention-2 style: the scores are recomputed tile by
 * tile from the forward's log-sum-exp, so extra memory is O(n (d + dv)) per thread, whatever the order.
 *
 * <p>Key/value problems run one after another; inside one, each thread takes a fixed, strided share of the
 * (query problem, first-factor key) tasks and keeps private partial sums of dQ, dK and dV, added once at the
 * end in thread order: the same thread count gives bitwise the same gradients, run after run. Grouped query
 * heads thereby sum their key and value gradients into the shared problem.
 */
public final class ExactBackward {
    private ExactBackward() {
    }

    /** Gradients for a validated call; forward is reused when it is an exact result, else recomputed. */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     AttentionResult forward, Geometry g, AttentionOptions options, String reason) {
        if (forward == null || forward.method() != Method.EXACT || forward.logSumExp() == null) {
            forward = ExactForward.run(q, g, keys, values, options);
        }
        Tensor out = forward.output();
        if (out.size() != dout.size() || forward.logSumExp().size() != g.problems() * g.nq()) {
            throw new IllegalArgumentException("the forward result has shape " + Tensor.shapeString(out.shape())
                    + " but dout has shape " + Tensor.shapeString(dout.shape()));
        }
        int factors = keys.size();
        double[][] dk = new double[factors][];
        double[][] dv = new double[factors][];
        for (int t = 0; t < factors; t++) {
            dk[t] = new double[keys.get(t).size()];
            dv[t] = new double[values.get(t).size()];
        }
        double[] dq = new double[q.size()];
        // Inputs whose magnitudes would overflow an intermediate run rebalanced (or in float64); see ExactRange.
        ExactRange range = ExactRange.backward(q, keys, values, dout, g, options.scaleFor(g.d()));
        long start = System.nanoTime();
        double scale = range.kernelScale();
        double[] lse = forward.logSumExp().doubles();
        double[] o = range.outputIn(out);
        if (range.compute() == DType.FLOAT32) {
            gradients(g, scale, options.mask(), range.q32(), range.keys32(), range.values32(), range.dout32(), o,
                    lse, dq, dk, dv, options.threadCount());
        } else {
            gradients(g, scale, options.mask(), range.q64(), range.keys64(), range.values64(), range.dout64(), o,
                    lse, dq, dk, dv, options.threadCount());
        }
        double seconds = (System.nanoTime() - start) * 1e-9;
        List<Tensor> dkT = new ArrayList<>();
        List<Tensor> dvT = new ArrayList<>();
        for (int t = 0; t < factors; t++) {
            dkT.add(range.dk(t, dk[t], keys.get(t).shape()));
            dvT.add(range.dv(t, dv[t], values.get(t).shape()));
        }
        return new GradientResult(out, range.dq(dq, q.shape()), dkT, dvT, Method.EXACT, seconds,
                flops(g, options.mask()), null, reason);
    }

    /** The model flop count: six products of 2 (d or dv) flops per allowed (query, tuple) pair. */
    public static double flops(Geometry g, Mask mask) {
        return 3 * g.exactFlops(mask);
    }

    /**
     * The float64 kernel: fills dq (problems x nq x d), dk[t] and dv[t] (key/value problems x nk[t] x width)
     * from dout, the forward output and its log-sum-exp, every array in the geometry's layout.
     */
    public static void gradients(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                                 double[] dout, double[] out, double[] lse, double[] dq, double[][] dk,
                                 double[][] dv, int threads) {
        gradients(g, scale, mask, q, k, v, dout, out, lse, dq, dk, dv, threads, null, null, null, null);
    }

    /**
     * The float32 kernel: tiles compute in float, every long sum in float64; gradients come back in float64
     * arrays (the caller narrows them).
     */
    public static void gradients(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                                 float[] dout, double[] out, double[] lse, double[] dq, double[][] dk,
                                 double[][] dv, int threads) {
        gradients(g, scale, mask, widen(q), widen(k), widen(v), widen(dout), out, lse, dq, dk, dv, threads,
                q, k[k.length - 1], v[v.length - 1], dout);
    }

    private static void gradients(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                                  double[] dout, double[] out, double[] lse, double[] dq, double[][] dk,
                                  double[][] dv, int threads, float[] q32, float[] kLast32, float[] vLast32,
                                  float[] dout32) {
        int nq = g.nq();
        int d = g.d();
        int width = g.dv();
        // Indexed like the lse: o, dout and the lse share the rows' order in either layout.
        double[] delta = new double[g.problems() * nq];
        for (int row = 0; row < delta.length; row++) {
            double sum = 0;
            for (int l = 0; l < width; l++) {
                sum += dout[row * width + l] * out[row * width + l];
            }
            delta[row] = sum;
        }
        int last = g.order() - 2;
        int nLast = g.nk()[last];
        for (int kvp = 0; kvp < g.kvProblems(); kvp++) {
            int[] group = group(g, kvp);
            if (group.length == 0) {
                continue;
            }
            int tile = BackwardWorker.TILE_COLS;
            int k0 = (int) g.keyRow(group[0], last, 0);
            int v0 = (int) g.valueRow(group[0], last, 0);
            int ks = g.keyStride();
            int vs = g.valueStride();
            BackwardJob.Float32 f32 = q32 == null ? null : new BackwardJob.Float32(q32, kLast32, dout32,
                    InnerPacking.keys(kLast32, k0, ks, nLast, d, tile),
                    InnerPacking.keys(vLast32, v0, vs, nLast, width, tile));
            BackwardJob job = new BackwardJob(g, scale, mask, q, k, v, dout, lse, delta, kvp, group,
                    f32 != null ? null : InnerPacking.keys(k[last], k0, ks, nLast, d, tile),
                    f32 != null ? null : InnerPacking.keys(v[last], v0, vs, nLast, width, tile),
                    f32);
            // A fixed split: worker w takes tasks w, w + W, w + 2W, .. (strided, which balances causal masks),
            // and the partial sums are added in worker order, so the result does not depend on scheduling.
            int tasks = group.length * BackwardWorker.tasksPerProblem(g);
            int workers = Math.max(1, Math.min(threads, tasks));
            BackwardWorker[] all = new BackwardWorker[workers];
            Parallel.forEach(workers, workers, w -> {
                BackwardWorker worker = new BackwardWorker(job);
                for (int task = w; task < tasks; task += workers) {
                    worker.run(task);
                }
                all[w] = worker;
            });
            // Row by row into the caller's layout (the workers' sums are compact).
            for (BackwardWorker worker : all) {
                for (int m = 0; m < group.length; m++) {
                    for (int i = 0; i < nq; i++) {
                        add(worker.dq, (m * nq + i) * d, dq, (int) g.qRow(group[m], i), d);
                    }
                }
                for (int t = 0; t <= last; t++) {
                    for (int j = 0; j < g.nk()[t]; j++) {
                        add(worker.dk[t], j * d, dk[t], job.keyRow(t, j), d);
                        add(worker.dvs[t], j * width, dv[t], job.valueRow(t, j), width);
                    }
                }
            }
        }
    }

    /** The query problems that read key/value problem kvp. */
    private static int[] group(Geometry g, int kvp) {
        int count = 0;
        for (int p = 0; p < g.problems(); p++) {
            count += g.kvProblem()[p] == kvp ? 1 : 0;
        }
        int[] members = new int[count];
        int m = 0;
        for (int p = 0; p < g.problems(); p++) {
            if (g.kvProblem()[p] == kvp) {
                members[m++] = p;
            }
        }
        return members;
    }

    private static void add(double[] from, int fromOff, double[] to, int toOff, int count) {
        for (int x = 0; x < count; x++) {
            to[toOff + x] += from[fromOff + x];
        }
    }

    private static double[] widen(float[] a) {
        double[] r = new double[a.length];
        for (int x = 0; x < a.length; x++) {
            r[x] = a[x];
        }
        return r;
    }

    private static double[][] widen(float[][] a) {
        double[][] r = new double[a.length][];
        for (int t = 0; t < a.length; t++) {
            r[t] = widen(a[t]);
        }
        return r;
    }
}
