package org.tensorattention.core.poly;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Parallel;

/**
 * The float32 mode of the full-mask forward, for float32 inputs whose plan certifies it ({@link PolyPlan#float32}):
 * the same steps as {@link PolyForward}, with the feature blocks, value blocks and tiles in float32 (twice the
 * lanes, half the memory of float64) and every float32 chain bounded ({@link Float32Tiles}): key moments in float64
 * lane sums across blocks, M = S_1 ∘ .. ∘ S_{k-1} in float64 and rounded once to float32 for the contraction,
 * whose chunks of features are added in float64. The denominator rides along as one more value column (ones).
 * Inputs are the balanced float64 copies of float32 values: converting them back is exact (underflow aside).
 */
final class Float32Forward {
    private Float32Forward() {
    }

    /** Fills out (problems x nq x dv) and, unless null, lse (problems x nq). */
    static void run(Geometry g, FeatureMap fm, double[] q, double[][] k, double[][] v, double[] out, double[] lse,
                    int threads) {
        if (g.problems() == 0 || g.nq() == 0) {
            return;
        }
        if (lse != null) {
            java.util.Arrays.fill(lse, Double.NEGATIVE_INFINITY);
        }
        int kvProblems = g.kvProblems();
        int outer = Math.min(threads, kvProblems);
        int inner = Math.max(1, threads / outer);
        Parallel.forEach(kvProblems, outer, kp -> full(g, kp, fm, q, k, v, out, lse, inner));
    }

    private static void full(Geometry g, int kp, FeatureMap fm, double[] q, double[][] k, double[][] v,
                             double[] out, double[] lse, int threads) {
        double[] m = null;
        for (int t = 0; t < g.order() - 1; t++) {
            double[] s = keyMoments(fm, k[t], (long) kp * g.nk()[t] * g.d(), v[t], (long) kp * g.nk()[t] * g.dv(),
                    g.dv(), g.nk()[t], threads);
            if (m == null) {
                m = s;
            } else {
                PolyForward.hadamard(m, s);
            }
        }
        float[] m32 = new float[m.length];
        for (int i = 0; i < m.length; i++) {
            m32[i] = (float) m[i];
        }
        float[][] coefficient = new float[fm.levelRank.length][];
        for (int lev = 0; lev < coefficient.length; lev++) {
            coefficient[lev] = new float[fm.levelRank[lev]];
            for (int L = 0; L < coefficient[lev].length; L++) {
                coefficient[lev][L] = (float) fm.levelCoefficient[lev][L];
            }
        }
        double[] keyMax = fm.leveled() ? PolyForward.keyMax(g, kp, k) : null;
        for (int p = 0; p < g.problems(); p++) {
            if (g.kvProblem()[p] == kp) {
                queryOutputs(g, fm, coefficient, keyMax, q, g.qOffset(p), m32, out, g.outOffset(p), lse,
                        (long) p * g.nq(), threads);
            }
        }
    }

    /** S = [U^T V | U^T 1] (rank x (dv + 1), float64) of rows [0, nk), on up to threads tasks. */
    static double[] keyMoments(FeatureMap fm, double[] k, long ko, double[] v, long vo, int dv, int nk, int threads) {
        int rank = fm.rank;
        int cols = dv + 1;
        int bk = Float32Tiles.KEY_BLOCK;
        int blocks = (nk + bk - 1) / bk;
        int tasks = Math.max(1, Math.min(threads, blocks));
        double[][] parts = new double[tasks][];
        Parallel.forEach(tasks, threads, task -> {
            float[] xt = new float[fm.d * bk];
            float[] ut = new float[rank * bk];
            float[] vt = new float[cols * bk];
            double[] part = new double[rank * cols * Float32Tiles.LANES];
            float[] chain = new float[part.length];
            int b1 = (int) ((long) blocks * (task + 1) / tasks);
            for (int blk = (int) ((long) blocks * task / tasks); blk < b1; blk++) {
                int r0 = blk * bk;
                int n = Math.min(bk, nk - r0);
                for (int j = 0; j < bk; j++) {
                    int ks = (int) (ko + (long) (r0 + j) * fm.d);
                    int vs = (int) (vo + (long) (r0 + j) * dv);
                    for (int l = 0; l < fm.d; l++) {
                        xt[l * bk + j] = j < n ? (float) k[ks + l] : 0f;
                    }
                    // Rows past n get zero values and a zero ones-column: they add nothing.
                    for (int c = 0; c < dv; c++) {
                        vt[c * bk + j] = j < n ? (float) v[vs + c] : 0f;
                    }
                    vt[dv * bk + j] = j < n ? 1f : 0f;
                }
                Float32Tiles.monomials(fm.sets, xt, bk, ut, rank);
                Float32Tiles.accumulate(ut, vt, rank, cols, chain, part);
            }
            parts[task] = part;
        });
        double[] s = new double[rank * cols];
        for (double[] part : parts) {
            Float32Tiles.reduceLanes(part, rank * cols, s);
        }
        return s;
    }

    /** Per-task buffers of the query pass. */
    private static final class Scratch {
        final float[] xt;
        final float[] uq;
        final float[] chunk;
        final double[] num;

        Scratch(FeatureMap fm, int cols) {
            int b = Moments.BLOCK;
            xt = new float[fm.d * b];
            uq = new float[fm.rank * b];
            chunk = new float[cols * b];
            num = new double[cols * b];
        }
    }

    /** out rows of one problem: num / den from the contraction with m32, each row at its level. */
    private static void queryOutputs(Geometry g, FeatureMap fm, float[][] coefficient, double[] keyMax, double[] q,
                                     long qo, float[] m32, double[] out, long oo, double[] lse, long lo, int threads) {
        int dv = g.dv();
        int cols = dv + 1;
        int b = Moments.BLOCK;
        int d = fm.d;
        RowLevels.Order order = RowLevels.order(fm, keyMax, q, qo, g.nq());
        order.forEachBlock(threads * 4, threads, () -> new Scratch(fm, cols), (w, lev, rows, n) -> {
            for (int j = 0; j < b; j++) {
                int off = j < n ? (int) (qo + (long) rows[j] * d) : -1;
                for (int l = 0; l < d; l++) {
                    w.xt[l * b + j] = off < 0 ? 0f : (float) q[off + l];
                }
            }
            int rank = fm.levelRank[lev];
            Float32Tiles.monomials(fm.sets, w.xt, b, w.uq, rank);
            Float32Tiles.scaleRows(w.uq, b, coefficient[lev], rank);
            Float32Tiles.contract(w.uq, b, rank, m32, cols, w.chunk, w.num);
            for (int i = 0; i < n; i++) {
                double den = w.num[dv * b + i];
                double inv = 1 / den;
                int o = (int) (oo + (long) rows[i] * dv);
                for (int c = 0; c < dv; c++) {
                    out[o + c] = w.num[c * b + i] * inv;
                }
                if (lse != null) {
                    lse[(int) (lo + rows[i])] = Math.log(den);
                }
            }
        });
    }
}
