package org.tensorattention.core.grad;

import java.util.Arrays;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The tiles of {@link BackwardWorker} for float32 inputs: scores, weights and the three gradient products
 * run in float (twice the lanes of double); each tile's sums are short (one tile's rows or columns), and
 * are added into the worker's float64 accumulators, which carry the long sums over keys and queries.
 */
final class FloatRows {
    private final BackwardJob job;
    private final BackwardJob.Float32 f;
    private final Mask mask;
    private final int d;
    private final int dv;
    private final int nq;
    private final int last;
    private final int nLast;
    private final float scale;
    private final int cols = BackwardWorker.TILE_COLS;

    private final float[] qm;
    private final float[] qs;
    private final float[] dom;
    private final float[] dor;
    private final float[] s;
    private final float[] ds;
    private final float[] tPart;
    private final float[] gPart;
    private final float[] rPart;

    FloatRows(BackwardJob job) {
        this.job = job;
        f = job.f32();
        mask = job.mask();
        Geometry g = job.g();
        d = g.d();
        dv = g.dv();
        nq = g.nq();
        last = g.order() - 2;
        nLast = g.nk()[last];
        scale = (float) job.scale();
        int rows = BackwardWorker.TILE_ROWS;
        qm = new float[rows * d];
        qs = new float[rows * d];
        dom = new float[rows * dv];
        dor = new float[rows * dv];
        s = new float[rows * cols];
        ds = new float[rows * cols];
        tPart = new float[rows * d];
        gPart = new float[cols * d];
        rPart = new float[cols * dv];
    }

    /**
     * Queries [a, b) of problem p against the allowed keys of the last factor: adds T = dS K into tAcc
     * (rows x d), G = dS^T (c Q) into gAcc and R = P^T dO into rAcc (rows indexed by key).
     */
    void rows(int p, int a, int b, double[] kp, double[] vp, double[] tAcc, double[] gAcc, double[] rAcc) {
        Geometry g = job.g();
        int rows = b - a;
        int qo = (int) g.qOffset(p);
        int oo = (int) g.outOffset(p);
        for (int r = 0; r < rows; r++) {
            int qr = qo + (a + r) * d;
            for (int l = 0; l < d; l++) {
                float x = scale * f.q()[qr + l];
                qs[r * d + l] = x;
                qm[r * d + l] = (float) (x * kp[l]);
            }
            int or = oo + (a + r) * dv;
            for (int l = 0; l < dv; l++) {
                float x = f.dout()[or + l];
                dor[r * dv + l] = x;
                dom[r * dv + l] = (float) (x * vp[l]);
            }
        }
        int kOff = job.keyOffset(last);
        int jLo = mask.lo(last, a);
        int jHi = mask.hi(last, b - 1, nLast);
        int stats = p * nq;
        for (int jb = jLo - jLo % cols; jb <= jHi; jb += cols) {
            int width = Math.min(cols, jHi + 1 - jb);
            int tile = jb / cols;
            FloatTileMath.productT(qm, 0, d, f.kT(), tile * d * cols, cols, s, cols, rows, width, d);
            FloatTileMath.productT(dom, 0, dv, f.vT(), tile * dv * cols, cols, ds, cols, rows, width, dv);
            for (int r = 0; r < rows; r++) {
                int i = a + r;
                int from = Math.clamp(mask.lo(last, i) - jb, 0, width);
                int to = Math.clamp(mask.hi(last, i, nLast) + 1L - jb, from, width);
                FloatTileMath.weights(s, ds, r * cols, width, from, to, (float) job.lse()[stats + i],
                        (float) job.delta()[stats + i]);
            }
            Arrays.fill(tPart, 0, rows * d, 0);
            FloatTileMath.accumulate(ds, cols, f.kLast(), kOff + jb * d, d, tPart, d, rows, width, d);
            add(tPart, tAcc, 0, rows * d);
            Arrays.fill(gPart, 0, width * d, 0);
            FloatTileMath.transAccumulate(ds, cols, qs, d, gPart, 0, d, rows, width, d);
            add(gPart, gAcc, jb * d, width * d);
            Arrays.fill(rPart, 0, width * dv, 0);
            FloatTileMath.transAccumulate(s, cols, dor, dv, rPart, 0, dv, rows, width, dv);
            add(rPart, rAcc, jb * dv, width * dv);
        }
    }

    private static void add(float[] part, double[] acc, int offset, int count) {
        for (int x = 0; x < count; x++) {
            acc[offset + x] += part[x];
        }
    }
}
