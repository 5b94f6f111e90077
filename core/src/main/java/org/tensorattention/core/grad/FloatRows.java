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
    /** d and dv rounded up to whole vectors: the row strides of the float tiles that are vectorised by column. */
    private final int dp;
    private final int dvp;
    /** This key/value problem's last key factor with rows padded to dp (zeros past d). */
    private final float[] kPadded;

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
        // Widths that are not whole vectors (8 of 16 lanes, 24 ..) are padded with zero columns, so that the
        // products over columns run in whole vectors instead of their scalar tails.
        dp = FloatTileMath.paddedWidth(d);
        dvp = FloatTileMath.paddedWidth(dv);
        kPadded = pad(f.kLast(), job.keyOffset(last), nLast, d, dp);
        qm = new float[rows * d];
        qs = new float[rows * dp];
        dom = new float[rows * dv];
        dor = new float[rows * dvp];
        s = new float[rows * cols];
        ds = new float[rows * cols];
        tPart = new float[rows * dp];
        int padded = (nLast + cols - 1) / cols * cols;
        gF = new float[padded * dp];
        rF = new float[padded * dvp];
    }

    /** Starts the float sums of G and R for keys [jLo, jHi] of the last factor. */
    void begin(int jLo, int jHi) {
        Arrays.fill(gF, jLo * dp, (jHi + 1) * dp, 0);
        Arrays.fill(rF, jLo * dvp, (jHi + 1) * dvp, 0);
    }

    /** Adds the float sums of G and R for keys [jLo, jHi] into gAcc and rAcc. */
    void finish(int jLo, int jHi, double[] gAcc, double[] rAcc) {
        add(gF, jLo, dp, gAcc, d, jHi + 1 - jLo);
        add(rF, jLo, dvp, rAcc, dv, jHi + 1 - jLo);
    }

    /**
     * Queries [a, b) of problem p against the allowed keys of the last factor: adds T = dS K into tAcc
     * (rows x d), and G = dS^T (c Q) and R = P^T dO into the float sums begun by {@link #begin}.
     */
    void rows(int p, int a, int b, double[] kp, double[] vp, double[] tAcc, int innerLo, int innerHi) {
        Geometry g = job.g();
        int rows = b - a;
        int qo = (int) g.qOffset(p);
        int oo = (int) g.outOffset(p);
        for (int r = 0; r < rows; r++) {
            int qr = qo + (a + r) * d;
            for (int l = 0; l < d; l++) {
                float x = scale * f.q()[qr + l];
                qs[r * dp + l] = x;
                qm[r * d + l] = (float) (x * kp[l]);
            }
            int or = oo + (a + r) * dv;
            for (int l = 0; l < dv; l++) {
                float x = f.dout()[or + l];
                dor[r * dvp + l] = x;
                dom[r * dv + l] = (float) (x * vp[l]);
            }
        }
        int jLo = Math.max(mask.lo(last, a), innerLo);
        int jHi = Math.min(mask.hi(last, b - 1, nLast), innerHi);
        int stats = p * nq;
        for (int jb = jLo - jLo % cols; jb <= jHi; jb += cols) {
            int width = Math.min(cols, jHi + 1 - jb);
            int tile = jb / cols;
            FloatTileMath.productT(qm, 0, d, f.kT(), tile * d * cols, cols, s, cols, rows, width, d);
            FloatTileMath.productT(dom, 0, dv, f.vT(), tile * dv * cols, cols, ds, cols, rows, width, dv);
            for (int r = 0; r < rows; r++) {
                int i = a + r;
                int from = Math.clamp(Math.max(mask.lo(last, i), innerLo) - jb, 0, width);
                int to = Math.clamp(Math.min(mask.hi(last, i, nLast), innerHi) + 1L - jb, from, width);
                FloatTileMath.weights(s, ds, r * cols, width, from, to, (float) job.lse()[stats + i],
                        (float) job.delta()[stats + i]);
            }
            Arrays.fill(tPart, 0, rows * dp, 0);
            FloatTileMath.accumulate(ds, cols, kPadded, jb * dp, dp, tPart, dp, rows, width, dp);
            add(tPart, 0, dp, tAcc, d, rows);
            FloatTileMath.transAccumulate(ds, cols, qs, dp, gF, jb * dp, dp, rows, width, dp);
            FloatTileMath.transAccumulate(s, cols, dor, dvp, rF, jb * dvp, dvp, rows, width, dvp);
        }
    }

    /** acc[row, l] += part[row, l] for count rows from first and l < width; part has row stride ldp >= width. */
    private static void add(float[] part, int first, int ldp, double[] acc, int width, int count) {
        for (int row = first; row < first + count; row++) {
            for (int l = 0; l < width; l++) {
                acc[row * width + l] += part[row * ldp + l];
            }
        }
    }

    /** Rows of k (n x d, from offset) copied with row stride dp, zeros past d; whole blocks of tiles. */
    private static float[] pad(float[] k, int offset, int n, int d, int dp) {
        int tiles = (n + BackwardWorker.TILE_COLS - 1) / BackwardWorker.TILE_COLS;
        float[] padded = new float[tiles * BackwardWorker.TILE_COLS * dp];
        for (int j = 0; j < n; j++) {
            System.arraycopy(k, offset + j * d, padded, j * dp, d);
        }
        return padded;
    }
}
