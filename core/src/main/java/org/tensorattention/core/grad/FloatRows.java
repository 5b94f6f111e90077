package org.tensorattention.core.grad;

import java.util.Arrays;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The tiles of {@link BackwardWorker} for float32 inputs: scores, weights and the three gradient products
 * run in float (twice the lanes of double). T = dS K is summed over one tile of keys in float, then into the
 * worker's float64 accumulator. G and R are summed in float over the query tiles of one outer tuple, each
 * tile adding one 32-row partial sum, and flushed into float64 once per outer tuple ({@link #begin},
 * {@link #finish}); the long sums over outer tuples stay in float64.
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
    private final float[] gF;
    private final float[] rF;

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
        int padded = (nLast + cols - 1) / cols * cols;
        gF = new float[padded * d];
        rF = new float[padded * dv];
    }

    /** Starts the float sums of G and R for keys [jLo, jHi] of the last factor. */
    void begin(int jLo, int jHi) {
        Arrays.fill(gF, jLo * d, (jHi + 1) * d, 0);
        Arrays.fill(rF, jLo * dv, (jHi + 1) * dv, 0);
    }

    /** Adds the float sums of G and R for keys [jLo, jHi] into gAcc and rAcc. */
    void finish(int jLo, int jHi, double[] gAcc, double[] rAcc) {
        add(gF, jLo * d, gAcc, (jHi + 1 - jLo) * d);
        add(rF, jLo * dv, rAcc, (jHi + 1 - jLo) * dv);
    }

    /**
     * Queries [a, b) of problem p against the allowed keys of the last factor: adds T = dS K into tAcc
     * (rows x d), and G = dS^T (c Q) and R = P^T dO into the float sums begun by {@link #begin}.
     */
    void rows(int p, int a, int b, double[] kp, double[] vp, double[] tAcc) {
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
            add(tPart, 0, tAcc, rows * d);
            FloatTileMath.transAccumulate(ds, cols, qs, d, gF, jb * d, d, rows, width, d);
            FloatTileMath.transAccumulate(s, cols, dor, dv, rF, jb * dv, dv, rows, width, dv);
        }
    }

    /** acc[offset + x] += part[offset + x] for x < count. */
    private static void add(float[] part, int offset, double[] acc, int count) {
        for (int x = offset; x < offset + count; x++) {
            acc[x] += part[x];
        }
    }
}
