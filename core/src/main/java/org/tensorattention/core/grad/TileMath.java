// Generated from core/src/template/TileMath.java.template by KernelTemplates (core/src/test): edit the template, not this file.
package org.tensorattention.core.grad;

import java.util.Arrays;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.simd.Exp;
import org.tensorattention.core.simd.VectorExp;

/**
 * The tiles of the backward pass in float64 with the Vector API: {@link Rows}, the loop over the key tiles
 * of one block of queries, and the small matrix products and softmax weights it runs per tile.
 *
 * <p>Every matrix is a row-major block inside a flat array: (array, offset, row stride). The three products
 * (S = A B^T, T += A B and G += A^T B) are one kernel, {@link #mulAdd}, whose operand A is read through a
 * pair of strides. Its accumulators stay in registers across the inner loop: 4 x 4-vector blocks (sixteen
 * independent FMA chains, four loads and four broadcasts per sixteen FMAs), then 4 x 2, and 8 x 1 for a last
 * single vector column, so that at least eight FMAs are in flight (two ports, four cycles of latency);
 * columns past whole vectors run scalar. Blocks are counted in vectors, so they follow the species' width
 * (256 or 512 bits).
 */
final class TileMath {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private TileMath() {
    }

    /** A width rounded up to whole vectors. */
    static int paddedWidth(int width) {
        return (width + L - 1) / L * L;
    }

    /**
     * c[x, l] = (add ? c[x, l] : 0) + sum_y a[aOff + x ax + y ay] * b[bOff + y ldb + l] for x < xs, y < ys,
     * l < width, with c[x, l] at cOff + x ldc + l. Vectorised over l; each load of b feeds four or eight rows.
     */
    static void mulAdd(boolean add, double[] a, int aOff, int ax, int ay, double[] b, int bOff, int ldb,
                       double[] c, int cOff, int ldc, int xs, int ys, int width) {
        int vb = S.loopBound(width);
        int v4 = vb / (4 * L) * (4 * L);
        int v2 = v4 + (vb - v4) / (2 * L) * (2 * L);
        int x = 0;
        for (; x + 4 <= xs; x += 4) {
            int ar = aOff + x * ax;
            int cr = cOff + x * ldc;
            for (int l = 0; l < v4; l += 4 * L) {
                block4x4(add, a, ar, ax, ay, b, bOff + l, ldb, c, cr + l, ldc, ys);
            }
            if (v2 > v4) {
                block4x2(add, a, ar, ax, ay, b, bOff + v4, ldb, c, cr + v4, ldc, ys);
            }
        }
        for (; x < xs; x++) {
            for (int l = 0; l < v2; l += L) {
                block1x1(add, a, aOff + x * ax, ay, b, bOff + l, ldb, c, cOff + x * ldc + l, ys);
            }
        }
        if (vb > v2) {
            int y = 0;
            for (; y + 8 <= xs; y += 8) {
                block8x1(add, a, aOff + y * ax, ax, ay, b, bOff + v2, ldb, c, cOff + y * ldc + v2, ldc, ys);
            }
            for (; y < xs; y++) {
                block1x1(add, a, aOff + y * ax, ay, b, bOff + v2, ldb, c, cOff + y * ldc + v2, ys);
            }
        }
        for (int r = 0; r < xs && vb < width; r++) {
            for (int l = vb; l < width; l++) {
                double s = add ? c[cOff + r * ldc + l] : 0;
                for (int y = 0; y < ys; y++) {
                    s += a[aOff + r * ax + y * ay] * b[bOff + y * ldb + l];
                }
                c[cOff + r * ldc + l] = s;
            }
        }
    }

    private static void block4x4(boolean add, double[] a, int a0, int ax, int ay, double[] b, int bOff, int ldb,
                                 double[] c, int o, int ldc, int ys) {
        int a1 = a0 + ax;
        int a2 = a1 + ax;
        int a3 = a2 + ax;
        DoubleVector s00 = init(add, c, o), s01 = init(add, c, o + L), s02 = init(add, c, o + 2 * L), s03 = init(add, c, o + 3 * L);
        int o1 = o + ldc;
        DoubleVector s10 = init(add, c, o1), s11 = init(add, c, o1 + L), s12 = init(add, c, o1 + 2 * L), s13 = init(add, c, o1 + 3 * L);
        int o2 = o1 + ldc;
        DoubleVector s20 = init(add, c, o2), s21 = init(add, c, o2 + L), s22 = init(add, c, o2 + 2 * L), s23 = init(add, c, o2 + 3 * L);
        int o3 = o2 + ldc;
        DoubleVector s30 = init(add, c, o3), s31 = init(add, c, o3 + L), s32 = init(add, c, o3 + 2 * L), s33 = init(add, c, o3 + 3 * L);
        for (int y = 0; y < ys; y++) {
            int br = bOff + y * ldb;
            DoubleVector b0 = DoubleVector.fromArray(S, b, br);
            DoubleVector b1 = DoubleVector.fromArray(S, b, br + L);
            DoubleVector b2 = DoubleVector.fromArray(S, b, br + 2 * L);
            DoubleVector b3 = DoubleVector.fromArray(S, b, br + 3 * L);
            int ay0 = y * ay;
            DoubleVector x = DoubleVector.broadcast(S, a[a0 + ay0]);
            s00 = b0.fma(x, s00);
            s01 = b1.fma(x, s01);
            s02 = b2.fma(x, s02);
            s03 = b3.fma(x, s03);
            x = DoubleVector.broadcast(S, a[a1 + ay0]);
            s10 = b0.fma(x, s10);
            s11 = b1.fma(x, s11);
            s12 = b2.fma(x, s12);
            s13 = b3.fma(x, s13);
            x = DoubleVector.broadcast(S, a[a2 + ay0]);
            s20 = b0.fma(x, s20);
            s21 = b1.fma(x, s21);
            s22 = b2.fma(x, s22);
            s23 = b3.fma(x, s23);
            x = DoubleVector.broadcast(S, a[a3 + ay0]);
            s30 = b0.fma(x, s30);
            s31 = b1.fma(x, s31);
            s32 = b2.fma(x, s32);
            s33 = b3.fma(x, s33);
        }
        s00.intoArray(c, o);
        s01.intoArray(c, o + L);
        s02.intoArray(c, o + 2 * L);
        s03.intoArray(c, o + 3 * L);
        s10.intoArray(c, o1);
        s11.intoArray(c, o1 + L);
        s12.intoArray(c, o1 + 2 * L);
        s13.intoArray(c, o1 + 3 * L);
        s20.intoArray(c, o2);
        s21.intoArray(c, o2 + L);
        s22.intoArray(c, o2 + 2 * L);
        s23.intoArray(c, o2 + 3 * L);
        s30.intoArray(c, o3);
        s31.intoArray(c, o3 + L);
        s32.intoArray(c, o3 + 2 * L);
        s33.intoArray(c, o3 + 3 * L);
    }

    private static void block4x2(boolean add, double[] a, int a0, int ax, int ay, double[] b, int bOff, int ldb,
                                 double[] c, int o, int ldc, int ys) {
        int a1 = a0 + ax;
        int a2 = a1 + ax;
        int a3 = a2 + ax;
        int o1 = o + ldc;
        int o2 = o1 + ldc;
        int o3 = o2 + ldc;
        DoubleVector s0 = init(add, c, o), t0 = init(add, c, o + L);
        DoubleVector s1 = init(add, c, o1), t1 = init(add, c, o1 + L);
        DoubleVector s2 = init(add, c, o2), t2 = init(add, c, o2 + L);
        DoubleVector s3 = init(add, c, o3), t3 = init(add, c, o3 + L);
        for (int y = 0; y < ys; y++) {
            int br = bOff + y * ldb;
            DoubleVector bv = DoubleVector.fromArray(S, b, br);
            DoubleVector bw = DoubleVector.fromArray(S, b, br + L);
            int ay0 = y * ay;
            DoubleVector x0 = DoubleVector.broadcast(S, a[a0 + ay0]);
            DoubleVector x1 = DoubleVector.broadcast(S, a[a1 + ay0]);
            DoubleVector x2 = DoubleVector.broadcast(S, a[a2 + ay0]);
            DoubleVector x3 = DoubleVector.broadcast(S, a[a3 + ay0]);
            s0 = bv.fma(x0, s0);
            s1 = bv.fma(x1, s1);
            s2 = bv.fma(x2, s2);
            s3 = bv.fma(x3, s3);
            t0 = bw.fma(x0, t0);
            t1 = bw.fma(x1, t1);
            t2 = bw.fma(x2, t2);
            t3 = bw.fma(x3, t3);
        }
        s0.intoArray(c, o);
        t0.intoArray(c, o + L);
        s1.intoArray(c, o1);
        t1.intoArray(c, o1 + L);
        s2.intoArray(c, o2);
        t2.intoArray(c, o2 + L);
        s3.intoArray(c, o3);
        t3.intoArray(c, o3 + L);
    }

    private static void block8x1(boolean add, double[] a, int a0, int ax, int ay, double[] b, int bOff, int ldb,
                                 double[] c, int o, int ldc, int ys) {
        DoubleVector s0 = init(add, c, o), s1 = init(add, c, o + ldc);
        DoubleVector s2 = init(add, c, o + 2 * ldc), s3 = init(add, c, o + 3 * ldc);
        DoubleVector s4 = init(add, c, o + 4 * ldc), s5 = init(add, c, o + 5 * ldc);
        DoubleVector s6 = init(add, c, o + 6 * ldc), s7 = init(add, c, o + 7 * ldc);
        for (int y = 0; y < ys; y++) {
            DoubleVector bv = DoubleVector.fromArray(S, b, bOff + y * ldb);
            int ar = a0 + y * ay;
            s0 = bv.fma(DoubleVector.broadcast(S, a[ar]), s0);
            s1 = bv.fma(DoubleVector.broadcast(S, a[ar + ax]), s1);
            s2 = bv.fma(DoubleVector.broadcast(S, a[ar + 2 * ax]), s2);
            s3 = bv.fma(DoubleVector.broadcast(S, a[ar + 3 * ax]), s3);
            s4 = bv.fma(DoubleVector.broadcast(S, a[ar + 4 * ax]), s4);
            s5 = bv.fma(DoubleVector.broadcast(S, a[ar + 5 * ax]), s5);
            s6 = bv.fma(DoubleVector.broadcast(S, a[ar + 6 * ax]), s6);
            s7 = bv.fma(DoubleVector.broadcast(S, a[ar + 7 * ax]), s7);
        }
        s0.intoArray(c, o);
        s1.intoArray(c, o + ldc);
        s2.intoArray(c, o + 2 * ldc);
        s3.intoArray(c, o + 3 * ldc);
        s4.intoArray(c, o + 4 * ldc);
        s5.intoArray(c, o + 5 * ldc);
        s6.intoArray(c, o + 6 * ldc);
        s7.intoArray(c, o + 7 * ldc);
    }

    private static void block1x1(boolean add, double[] a, int ar, int ay, double[] b, int bOff, int ldb,
                                 double[] c, int o, int ys) {
        DoubleVector s = init(add, c, o);
        for (int y = 0; y < ys; y++) {
            s = DoubleVector.fromArray(S, b, bOff + y * ldb).fma(DoubleVector.broadcast(S, a[ar + y * ay]), s);
        }
        s.intoArray(c, o);
    }

    private static DoubleVector init(boolean add, double[] c, int o) {
        return add ? DoubleVector.fromArray(S, c, o) : DoubleVector.zero(S);
    }


    /** c[co + l] += a[ao + l] * b[bo + l] for l < n. */
    static void addProduct(double[] a, int ao, double[] b, int bo, double[] c, int co, int n) {
        int l = 0;
        for (int vb = S.loopBound(n); l < vb; l += L) {
            DoubleVector.fromArray(S, a, ao + l).fma(DoubleVector.fromArray(S, b, bo + l),
                    DoubleVector.fromArray(S, c, co + l)).intoArray(c, co + l);
        }
        for (; l < n; l++) {
            c[co + l] += a[ao + l] * b[bo + l];
        }
    }

    /**
     * The softmax weights and score gradients of one row: p[j] = exp(s[j] - lse) and
     * ds[j] = p[j] (dp[j] - delta) for from <= j < to; both are zero outside that range (masked keys).
     * s is overwritten by p; dp by ds. The forward's exp ({@link VectorExp}, its scalar twin for the tail), so
     * the weights are the same in every JIT state and match the ones the forward summed.
     */
    static void weights(double[] s, double[] dp, int off, int cols, int from, int to, double lse, double delta) {
        // Loops, not Arrays.fill: the ranges are almost always empty, and this runs once per row and tile.
        for (int j = 0; j < from; j++) {
            s[off + j] = 0;
            dp[off + j] = 0;
        }
        int j = from;
        int vb = from + S.loopBound(Math.max(0, to - from));
        for (; j < vb; j += L) {
            DoubleVector p = VectorExp.exp(DoubleVector.fromArray(S, s, off + j).sub(lse));
            p.intoArray(s, off + j);
            p.mul(DoubleVector.fromArray(S, dp, off + j).sub(delta)).intoArray(dp, off + j);
        }
        for (; j < to; j++) {
            double p = Exp.exp(s[off + j] - lse);
            s[off + j] = p;
            dp[off + j] = p * (dp[off + j] - delta);
        }
        for (j = Math.max(from, to); j < cols; j++) {
            s[off + j] = 0;
            dp[off + j] = 0;
        }
    }

    /**
     * One thread's tiles for {@link BackwardWorker}: scores, weights and the three gradient products of a block
     * of queries against the allowed keys of the last factor, in float64. T = dS K is summed in float64 over the
     * key tiles of one block of queries, then added into the worker's float64 accumulator. G and R are summed in
     * float64 over the query blocks of one outer tuple ({@link #begin}, {@link #finish}) and then flushed into
     * float64, so the long sums over outer tuples stay in float64 in either dtype. Widths d and dv are padded
     * to whole vectors (zero columns), so that the products over them run without scalar tails.
     */
    static final class Rows implements BackwardTiles {
        private static final int COLS = BackwardWorker.TILE_COLS;

        private final BackwardJob job;
        private final Mask mask;
        private final double[] q;
        private final double[] dout;
        private final double[] kT;
        private final double[] vT;
        private final int d;
        private final int dv;
        private final int nq;
        private final int last;
        private final int nLast;
        /** The scale c in every lane, and the outer modulation kp and vp in this dtype. */
        private final double[] scales;
        private final double[] kpT;
        private final double[] vpT;
        /** d and dv rounded up to whole vectors: the row strides of the tiles that are vectorised by column. */
        private final int dp;
        private final int dvp;
        /** This key/value problem's last key factor with rows padded to dp (zeros past d). */
        private final double[] kPadded;

        private final double[] qm;
        private final double[] qs;
        private final double[] dom;
        private final double[] dor;
        private final double[] s;
        private final double[] ds;
        private final double[] tPart;
        private final double[] gPart;
        private final double[] rPart;

        /** Queries, the last key factor, dout and the transposed key and value tiles, as the job lays them out. */
        Rows(BackwardJob job, double[] q, double[] kLast, double[] dout, double[] kT, double[] vT) {
            this.job = job;
            this.q = q;
            this.dout = dout;
            this.kT = kT;
            this.vT = vT;
            mask = job.mask();
            Geometry g = job.g();
            d = g.d();
            dv = g.dv();
            nq = g.nq();
            last = g.order() - 2;
            nLast = g.nk()[last];
            scales = new double[d];
            Arrays.fill(scales, (double) job.scale());
            kpT = new double[d];
            vpT = new double[dv];
            int rows = BackwardWorker.TILE_ROWS;
            dp = paddedWidth(d);
            dvp = paddedWidth(dv);
            int padded = (nLast + COLS - 1) / COLS * COLS;
            kPadded = new double[padded * dp];
            for (int j = 0; j < nLast; j++) {
                System.arraycopy(kLast, job.keyOffset(last) + j * d, kPadded, j * dp, d);
            }
            qm = new double[rows * d];
            qs = new double[rows * dp];
            dom = new double[rows * dv];
            dor = new double[rows * dvp];
            s = new double[rows * COLS];
            ds = new double[rows * COLS];
            tPart = new double[rows * dp];
            gPart = new double[padded * dp];
            rPart = new double[padded * dvp];
        }

        @Override
        public void begin(int jLo, int jHi) {
            Arrays.fill(gPart, jLo * dp, (jHi + 1) * dp, 0);
            Arrays.fill(rPart, jLo * dvp, (jHi + 1) * dvp, 0);
        }

        @Override
        public void finish(int jLo, int jHi, double[] gAcc, double[] rAcc) {
            add(gPart, jLo, dp, gAcc, d, jHi + 1 - jLo);
            add(rPart, jLo, dvp, rAcc, dv, jHi + 1 - jLo);
        }

        @Override
        public void rows(int p, int a, int b, double[] kp, double[] vp, double[] tAcc, int innerLo, int innerHi) {
            Geometry g = job.g();
            int rows = b - a;
            int qo = (int) g.qOffset(p);
            int oo = (int) g.outOffset(p);
            for (int l = 0; l < d; l++) {
                kpT[l] = (double) kp[l];
            }
            for (int l = 0; l < dv; l++) {
                vpT[l] = (double) vp[l];
            }
            // The modulated rows: qs = c Q, qm = qs ∘ kp, dor = dO, dom = dor ∘ vp.
            for (int r = 0; r < rows; r++) {
                times(q, qo + (a + r) * d, scales, qs, r * dp, d);
                times(qs, r * dp, kpT, qm, r * d, d);
                System.arraycopy(dout, oo + (a + r) * dv, dor, r * dvp, dv);
                times(dor, r * dvp, vpT, dom, r * dv, dv);
            }
            int jLo = Math.max(mask.lo(last, a), innerLo);
            int jHi = Math.min(mask.hi(last, b - 1, nLast), innerHi);
            int stats = p * nq;
            Arrays.fill(tPart, 0, rows * dp, 0);
            // Tiles are aligned to the transposed layout; columns before jLo are masked out like any other.
            for (int jb = jLo - jLo % COLS; jb <= jHi; jb += COLS) {
                int width = Math.min(COLS, jHi + 1 - jb);
                // The transposed tiles are zero past nLast, so the scores run in whole vectors.
                int wide = Math.min(COLS, paddedWidth(width));
                int tile = jb / COLS;
                mulAdd(false, qm, 0, d, 1, kT, tile * d * COLS, COLS, s, 0, COLS, rows, d, wide);
                mulAdd(false, dom, 0, dv, 1, vT, tile * dv * COLS, COLS, ds, 0, COLS, rows, dv, wide);
                for (int r = 0; r < rows; r++) {
                    int i = a + r;
                    int from = Math.clamp(Math.max(mask.lo(last, i), innerLo) - jb, 0, width);
                    int to = Math.clamp(Math.min(mask.hi(last, i, nLast), innerHi) + 1L - jb, from, width);
                    weights(s, ds, r * COLS, width, from, to, (double) job.lse()[stats + i],
                            (double) job.delta()[stats + i]);
                }
                // T += dS K, G += dS^T (c Q), R += P^T dO.
                mulAdd(true, ds, 0, COLS, 1, kPadded, jb * dp, dp, tPart, 0, dp, rows, width, dp);
                mulAdd(true, ds, 0, 1, COLS, qs, 0, dp, gPart, jb * dp, dp, width, rows, dp);
                mulAdd(true, s, 0, 1, COLS, dor, 0, dvp, rPart, jb * dvp, dvp, width, rows, dvp);
            }
            add(tPart, 0, dp, tAcc, d, rows);
        }

        /** out[oo + l] = x[xo + l] * y[l] for l < n. */
        private static void times(double[] x, int xo, double[] y, double[] out, int oo, int n) {
            int l = 0;
            for (int vb = S.loopBound(n); l < vb; l += L) {
                DoubleVector.fromArray(S, x, xo + l).mul(DoubleVector.fromArray(S, y, l)).intoArray(out, oo + l);
            }
            for (; l < n; l++) {
                out[oo + l] = x[xo + l] * y[l];
            }
        }

        /** acc[row, l] += part[row, l] for count rows from first and l < width; part has row stride ldp >= width. */
        private static void add(double[] part, int first, int ldp, double[] acc, int width, int count) {
            for (int row = first; row < first + count; row++) {
                for (int l = 0; l < width; l++) {
                    acc[row * width + l] += part[row * ldp + l];
                }
            }
        }
    }
}
