// Generated from core/src/template/BlockKernel.java.template by KernelTemplates (core/src/test): edit the template, not this file.
package org.tensorattention.core.exact;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Parallel;
import org.tensorattention.core.simd.VectorExp;

/**
 * The blocked float64 exact forward (Vector API). One task is a block of {@link #BQ} query rows of one problem.
 * For each outer tuple J' (see {@link OuterTuples}) the modulated queries Qm = c Q ∘ prod_t K_t[j_t] turn the
 * last factor into an order-2 problem, streamed in blocks of {@link #BK} keys: a 4 x BK score tile from
 * broadcast-FMAs against the transposed key block, exp with a running per-row maximum, then the tile times the
 * value block. Each J' is summed in double, then scaled by prod_t V_t[j_t] into float64 accumulators, so the
 * long sum over J' (and the softmax denominator) is carried in double. Tiles follow the species' width: BK keys
 * are four vectors; 512-bit vectors fill the score and accumulator tiles 4 x 4 vectors at a time, narrower ones
 * 4 x 2, so that the tiles stay in registers on a 16-register ISA.
 */
final class DoubleBlockKernel implements OuterTuples.Visitor {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    /** Keys per block: four vectors, one register row of the score tile. */
    static final int BK = 4 * L;
    /** Query rows per micro-kernel. */
    private static final int R = 4;
    /**
     * 512-bit vectors come with 32 registers (AVX-512): the 4 x 4-vector tiles (16 accumulators, 4 loaded
     * vectors, a broadcast) fit. 256-bit vectors may mean 16 registers (AVX2), where they would spill: there
     * the tiles are swept in 4 x 2-vector halves (8 accumulators, 2 loads, a broadcast).
     */
    private static final boolean WIDE = S.vectorBitSize() >= 512;
    /** Query rows per task. */
    static final int BQ = 32;


    private final Geometry g;
    private final double[] kt;
    private final double[] vp;
    private final int d;
    private final int dv;
    private final int dvp;
    private final int p;
    private final int i0;
    private final int rows;

    /** c Q for the task's rows; {@link #modulated} is this times the outer key product. */
    private final double[] scaledQ;
    private final double[] modulated;
    /** The current outer tuple's P V per row, in double, relative to the row's running maximum. */
    private final double[] part;
    /** Its softmax denominator per row, lane by lane. */
    private final double[] lanes;
    private final double[] tile = new double[R * BK];
    private final double[] max = new double[BQ + R];
    /** The sums over outer tuples, in float64. */
    private final double[] acc;
    /**
     * The softmax denominators over outer tuples, lane by lane in float64: lanes are added as vectors and
     * summed in index order only at the end (reduceLanes leaves its order open, and differs once compiled).
     */
    private final double[] sumLanes = new double[(BQ + R) * L];
    /** Each row's interval of the last key factor, and the intervals in force for the current outer tuple. */
    private final int[] rowLo = new int[BQ + R];
    private final int[] rowHi = new int[BQ + R];
    private final int[] lo = new int[BQ + R];
    private int spanLo;
    private int spanHi = Integer.MAX_VALUE;
    private final int[] hi = new int[BQ + R];
    /** Per group of R rows: union of intervals (gLo..gHi) and intersection (gInLo..gInHi; empty if a row is). */
    private final int[] gLo = new int[BQ / R + 2];
    private final int[] gHi = new int[BQ / R + 2];
    private final int[] gInLo = new int[BQ / R + 2];
    private final int[] gInHi = new int[BQ / R + 2];

    private DoubleBlockKernel(Geometry g, double scale, Mask mask, double[] q, double[] kt, double[] vp, int p, int i0,
                             int rows) {
        this.g = g;
        this.kt = kt;
        this.vp = vp;
        this.p = p;
        this.i0 = i0;
        this.rows = rows;
        d = g.d();
        dv = g.dv();
        dvp = paddedWidth(dv);
        int inner = g.nk().length - 1;
        int nk = g.nk()[inner];
        scaledQ = new double[(BQ + R) * d];
        int qo = (int) g.qOffset(p) + i0 * d;
        for (int x = 0; x < rows * d; x++) {
            scaledQ[x] = (double) (scale * q[qo + x]);
        }
        modulated = new double[(BQ + R) * d];
        part = new double[(BQ + R) * dvp];
        lanes = new double[(BQ + R) * L];
        acc = new double[(BQ + R) * dvp];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        for (int r = 0; r < BQ + R; r++) {
            rowLo[r] = r < rows ? mask.lo(inner, i0 + r) : 0;
            rowHi[r] = r < rows ? mask.hi(inner, i0 + r, nk) : -1;
        }
    }

    /**
     * Keys of the last factor per span: packed keys and values of about 128 KiB, which stay in the L2 cache while
     * every outer tuple streams over them. A whole number of blocks.
     */
    static int spanLength(int d, int dvp) {
        return Math.max(1, (128 << 10) / ((d + dvp) * 8 * BK)) * BK;
    }

    /** Restricts the following outer tuples to keys spanLo..spanHi of the last factor. */
    void span(int lo, int hi) {
        spanLo = lo;
        spanHi = hi;
    }

    /** First key of the last factor some row of the task may attend to (MAX_VALUE when none may). */
    int firstKey() {
        int first = Integer.MAX_VALUE;
        for (int r = 0; r < rows; r++) {
            if (rowLo[r] <= rowHi[r]) {
                first = Math.min(first, rowLo[r]);
            }
        }
        return first;
    }

    /** Last key of the last factor some row of the task may attend to (-1 when none may). */
    int lastKey() {
        int last = -1;
        for (int r = 0; r < rows; r++) {
            if (rowLo[r] <= rowHi[r]) {
                last = Math.max(last, rowHi[r]);
            }
        }
        return last;
    }

    static int paddedWidth(int dv) {
        return (dv + L - 1) / L * L;
    }

    static void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v, double[] out,
                        double[] lse, int threads) {
        int inner = g.nk().length - 1;
        int nk = g.nk()[inner];
        int kvs = g.kvProblems();
        double[][] kt = new double[kvs][];
        double[][] vp = new double[kvs][];
        int[] first = firstProblemOf(g, kvs);
        Parallel.forEach(kvs, threads, kv -> {
            if (first[kv] >= 0) {
                kt[kv] = InnerPacking.keys(k[inner], (int) g.keyOffset(first[kv], inner), nk, g.d(), BK);
                vp[kv] = InnerPacking.values(v[inner], (int) g.valueOffset(first[kv], inner), nk, g.dv(),
                        paddedWidth(g.dv()), BK);
            }
        });
        int blocks = (g.nq() + BQ - 1) / BQ;
        Parallel.forEach(g.problems() * blocks, threads, task -> {
            int p = task / blocks;
            // Last blocks first: under a causal mask they are the heaviest, and dynamic claiming then balances.
            int b = blocks - 1 - task % blocks;
            int i0 = b * BQ;
            int i1 = Math.min(g.nq(), i0 + BQ);
            int kv = g.kvProblem()[p];
            DoubleBlockKernel kernel = new DoubleBlockKernel(g, scale, mask, q, kt[kv], vp[kv], p, i0, i1 - i0);
            OuterTuples tuples = new OuterTuples(g, mask, k, v, paddedWidth(g.dv()));
            // The last factor in spans that stay in cache across all outer tuples (rows are finished only at the end).
            int span = spanLength(g.d(), paddedWidth(g.dv()));
            for (int s0 = kernel.firstKey() / span * span; s0 <= kernel.lastKey(); s0 += span) {
                kernel.span(s0, s0 + span - 1);
                tuples.walk(p, i0, i1 - 1, s0, s0 + span - 1, kernel);
            }
            kernel.finish(out, lse);
        });
    }

    /** A problem that reads each key/value problem (-1 for none), to find its offsets. */
    static int[] firstProblemOf(Geometry g, int kvs) {
        int[] first = new int[kvs];
        java.util.Arrays.fill(first, -1);
        for (int p = g.problems() - 1; p >= 0; p--) {
            first[g.kvProblem()[p]] = p;
        }
        return first;
    }

    @Override
    public void visit(double[] outerKeys, double[] outerValues, int firstRow, int lastRow, int innerLo, int innerHi) {
        int rf = firstRow - i0;
        int rl = lastRow - i0;
        int rEnd = rf + (rl - rf + R) / R * R;
        modulate(outerKeys, rf, rl);
        int jMin = Integer.MAX_VALUE;
        int jMax = -1;
        for (int r0 = rf, gi = 0; r0 < rEnd; r0 += R, gi++) {
            int uLo = Integer.MAX_VALUE;
            int uHi = -1;
            int inLo = 0;
            int inHi = Integer.MAX_VALUE;
            for (int r = r0; r < r0 + R; r++) {
                // Rows past lastRow sit in the last group only as padding: they attend to nothing.
                lo[r] = r <= rl ? Math.max(rowLo[r], Math.max(spanLo, innerLo)) : 0;
                hi[r] = r <= rl ? Math.min(rowHi[r], Math.min(spanHi, innerHi)) : -1;
                if (lo[r] > hi[r]) {
                    inLo = Integer.MAX_VALUE;
                    continue;
                }
                uLo = Math.min(uLo, lo[r]);
                uHi = Math.max(uHi, hi[r]);
                inLo = Math.max(inLo, lo[r]);
                inHi = Math.min(inHi, hi[r]);
            }
            gLo[gi] = uLo;
            gHi[gi] = uHi;
            gInLo[gi] = inLo;
            gInHi[gi] = inHi;
            jMin = Math.min(jMin, uLo);
            jMax = Math.max(jMax, uHi);
        }
        if (jMax < 0) {
            return;
        }
        for (int jb = jMin / BK; jb <= jMax / BK; jb++) {
            int js = jb * BK;
            int je = js + BK - 1;
            for (int r0 = rf, gi = 0; r0 < rEnd; r0 += R, gi++) {
                if (gHi[gi] < js || gLo[gi] > je) {
                    continue;
                }
                boolean edge = gInLo[gi] > js || gInHi[gi] < je;
                scores(jb, r0);
                for (int r = 0; r < R; r++) {
                    softmax(r0 + r, js, edge, r * BK);
                }
                accumulate(jb, r0);
            }
        }
        flush(rf, rl, outerValues);
    }

    /** Qm = c Q ∘ prod_t K_t[j_t] for rows rf..rl. */
    private void modulate(double[] outerKeys, int rf, int rl) {
        double[] keyProduct = outerKeys;
        int bound = S.loopBound(d);
        for (int r = rf; r <= rl; r++) {
            int o = r * d;
            int l = 0;
            for (; l < bound; l += L) {
                DoubleVector.fromArray(S, scaledQ, o + l).mul(DoubleVector.fromArray(S, keyProduct, l))
                        .intoArray(modulated, o + l);
            }
            for (; l < d; l++) {
                modulated[o + l] = scaledQ[o + l] * keyProduct[l];
            }
        }
    }

    /** The 4 x BK score tile of rows r0.. against key block jb, in tile[]. */
    private void scores(int jb, int r0) {
        if (WIDE) {
            scores4(jb, r0);
        } else {
            scores2(jb, r0, 0);
            scores2(jb, r0, 2 * L);
        }
    }

    /** The whole 4 x 4-vector score tile, held in 16 registers over the d loop. */
    private void scores4(int jb, int r0) {
        DoubleVector s00 = DoubleVector.zero(S), s01 = s00, s02 = s00, s03 = s00;
        DoubleVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        DoubleVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        DoubleVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int q0 = r0 * d;
        int q1 = q0 + d;
        int q2 = q1 + d;
        int q3 = q2 + d;
        int kb = jb * d * BK;
        for (int l = 0; l < d; l++) {
            int kk = kb + l * BK;
            DoubleVector k0 = DoubleVector.fromArray(S, kt, kk);
            DoubleVector k1 = DoubleVector.fromArray(S, kt, kk + L);
            DoubleVector k2 = DoubleVector.fromArray(S, kt, kk + 2 * L);
            DoubleVector k3 = DoubleVector.fromArray(S, kt, kk + 3 * L);
            DoubleVector a = DoubleVector.broadcast(S, modulated[q0 + l]);
            s00 = a.fma(k0, s00);
            s01 = a.fma(k1, s01);
            s02 = a.fma(k2, s02);
            s03 = a.fma(k3, s03);
            a = DoubleVector.broadcast(S, modulated[q1 + l]);
            s10 = a.fma(k0, s10);
            s11 = a.fma(k1, s11);
            s12 = a.fma(k2, s12);
            s13 = a.fma(k3, s13);
            a = DoubleVector.broadcast(S, modulated[q2 + l]);
            s20 = a.fma(k0, s20);
            s21 = a.fma(k1, s21);
            s22 = a.fma(k2, s22);
            s23 = a.fma(k3, s23);
            a = DoubleVector.broadcast(S, modulated[q3 + l]);
            s30 = a.fma(k0, s30);
            s31 = a.fma(k1, s31);
            s32 = a.fma(k2, s32);
            s33 = a.fma(k3, s33);
        }
        s00.intoArray(tile, 0);
        s01.intoArray(tile, L);
        s02.intoArray(tile, 2 * L);
        s03.intoArray(tile, 3 * L);
        s10.intoArray(tile, BK);
        s11.intoArray(tile, BK + L);
        s12.intoArray(tile, BK + 2 * L);
        s13.intoArray(tile, BK + 3 * L);
        s20.intoArray(tile, 2 * BK);
        s21.intoArray(tile, 2 * BK + L);
        s22.intoArray(tile, 2 * BK + 2 * L);
        s23.intoArray(tile, 2 * BK + 3 * L);
        s30.intoArray(tile, 3 * BK);
        s31.intoArray(tile, 3 * BK + L);
        s32.intoArray(tile, 3 * BK + 2 * L);
        s33.intoArray(tile, 3 * BK + 3 * L);
    }

    /** Keys c .. c + 2L - 1 of the score tile: 4 x 2 vectors in 8 registers over the d loop. */
    private void scores2(int jb, int r0, int c) {
        DoubleVector s00 = DoubleVector.zero(S), s01 = s00;
        DoubleVector s10 = s00, s11 = s00;
        DoubleVector s20 = s00, s21 = s00;
        DoubleVector s30 = s00, s31 = s00;
        int q0 = r0 * d;
        int q1 = q0 + d;
        int q2 = q1 + d;
        int q3 = q2 + d;
        int kb = jb * d * BK + c;
        for (int l = 0; l < d; l++) {
            int kk = kb + l * BK;
            DoubleVector k0 = DoubleVector.fromArray(S, kt, kk);
            DoubleVector k1 = DoubleVector.fromArray(S, kt, kk + L);
            DoubleVector a = DoubleVector.broadcast(S, modulated[q0 + l]);
            s00 = a.fma(k0, s00);
            s01 = a.fma(k1, s01);
            a = DoubleVector.broadcast(S, modulated[q1 + l]);
            s10 = a.fma(k0, s10);
            s11 = a.fma(k1, s11);
            a = DoubleVector.broadcast(S, modulated[q2 + l]);
            s20 = a.fma(k0, s20);
            s21 = a.fma(k1, s21);
            a = DoubleVector.broadcast(S, modulated[q3 + l]);
            s30 = a.fma(k0, s30);
            s31 = a.fma(k1, s31);
        }
        s00.intoArray(tile, c);
        s01.intoArray(tile, c + L);
        s10.intoArray(tile, BK + c);
        s11.intoArray(tile, BK + c + L);
        s20.intoArray(tile, 2 * BK + c);
        s21.intoArray(tile, 2 * BK + c + L);
        s30.intoArray(tile, 3 * BK + c);
        s31.intoArray(tile, 3 * BK + c + L);
    }

    /**
     * Turns row r's scores (at tile[t..]) into weights exp(s - max), updating the running max and sum. Loops
     * over the row's vectors with one exp call site: the JIT inlines it once instead of giving up on four.
     */
    private void softmax(int r, int js, boolean edge, int t) {
        if (edge) {
            maskOutside(r, js, t);
        }
        double m = max[r];
        // Compares, and the maximum only when some lane passes the running one (rare after a few blocks):
        // lanewise max has Java's NaN and signed-zero rules and costs several instructions.
        VectorMask<Double> larger = S.maskAll(false);
        for (int c = 0; c < BK; c += L) {
            larger = larger.or(DoubleVector.fromArray(S, tile, t + c).compare(VectorOperators.GT, m));
        }
        if (larger.anyTrue()) {
            double bm = rowMax(t);
            rescale(r, m, bm);
            m = bm;
        }
        if (m == Double.NEGATIVE_INFINITY) {
            java.util.Arrays.fill(tile, t, t + BK, 0);
            return;
        }
        DoubleVector sum = DoubleVector.fromArray(S, lanes, r * L);
        for (int c = 0; c < BK; c += L) {
            DoubleVector p = VectorExp.exp(DoubleVector.fromArray(S, tile, t + c).sub(m));
            p.intoArray(tile, t + c);
            sum = sum.add(p);
        }
        sum.intoArray(lanes, r * L);
    }

    /** Scores of keys outside row r's interval become -infinity (weight 0). Lane N of vector c is key js + c + N. */
    private void maskOutside(int r, int js, int t) {
        int off = js - lo[r];
        int len = hi[r] - lo[r] + 1;
        for (int c = 0; c < BK; c += L) {
            DoubleVector.broadcast(S, Double.NEGATIVE_INFINITY)
                    .blend(DoubleVector.fromArray(S, tile, t + c), S.indexInRange(off + c, len))
                    .intoArray(tile, t + c);
        }
    }

    private double rowMax(int t) {
        double m = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < BK; c++) {
            m = Math.max(m, tile[t + c]);
        }
        return m;
    }

    /** A larger maximum for row r: everything summed so far shrinks by exp(old - new). */
    private void rescale(int r, double old, double now) {
        max[r] = now;
        if (old == Double.NEGATIVE_INFINITY) {
            return;
        }
        double alpha = StrictMath.exp((double) old - now);
        double a = (double) alpha;
        for (int l = 0; l < dvp; l++) {
            part[r * dvp + l] *= a;
        }
        for (int l = 0; l < L; l++) {
            lanes[r * L + l] *= a;
        }
        for (int l = 0; l < dv; l++) {
            acc[r * dvp + l] *= alpha;
        }
        for (int l = 0; l < L; l++) {
            sumLanes[r * L + l] *= alpha;
        }
    }

    /** part[rows r0..] += tile (4 x BK weights) times value block jb (BK x dvp). */
    private void accumulate(int jb, int r0) {
        int vb = jb * BK * dvp;
        int o0 = r0 * dvp;
        int c = 0;
        if (WIDE) {
            for (; c + 4 * L <= dvp; c += 4 * L) {
                accumulate4(vb + c, o0 + c);
            }
        }
        for (; c + 2 * L <= dvp; c += 2 * L) {
            accumulate2(vb + c, o0 + c);
        }
        for (; c < dvp; c += L) {
            accumulate1(vb + c, o0 + c);
        }
    }

    /** Four value vectors from vb (row stride dvp) into part at o0 (4 rows): 16 accumulators in registers. */
    private void accumulate4(int vb, int o0) {
        int o1 = o0 + dvp;
        int o2 = o1 + dvp;
        int o3 = o2 + dvp;
        DoubleVector a00 = DoubleVector.fromArray(S, part, o0);
        DoubleVector a01 = DoubleVector.fromArray(S, part, o0 + L);
        DoubleVector a02 = DoubleVector.fromArray(S, part, o0 + 2 * L);
        DoubleVector a03 = DoubleVector.fromArray(S, part, o0 + 3 * L);
        DoubleVector a10 = DoubleVector.fromArray(S, part, o1);
        DoubleVector a11 = DoubleVector.fromArray(S, part, o1 + L);
        DoubleVector a12 = DoubleVector.fromArray(S, part, o1 + 2 * L);
        DoubleVector a13 = DoubleVector.fromArray(S, part, o1 + 3 * L);
        DoubleVector a20 = DoubleVector.fromArray(S, part, o2);
        DoubleVector a21 = DoubleVector.fromArray(S, part, o2 + L);
        DoubleVector a22 = DoubleVector.fromArray(S, part, o2 + 2 * L);
        DoubleVector a23 = DoubleVector.fromArray(S, part, o2 + 3 * L);
        DoubleVector a30 = DoubleVector.fromArray(S, part, o3);
        DoubleVector a31 = DoubleVector.fromArray(S, part, o3 + L);
        DoubleVector a32 = DoubleVector.fromArray(S, part, o3 + 2 * L);
        DoubleVector a33 = DoubleVector.fromArray(S, part, o3 + 3 * L);
        for (int j = 0; j < BK; j++) {
            int vr = vb + j * dvp;
            DoubleVector v0 = DoubleVector.fromArray(S, vp, vr);
            DoubleVector v1 = DoubleVector.fromArray(S, vp, vr + L);
            DoubleVector v2 = DoubleVector.fromArray(S, vp, vr + 2 * L);
            DoubleVector v3 = DoubleVector.fromArray(S, vp, vr + 3 * L);
            DoubleVector w = DoubleVector.broadcast(S, tile[j]);
            a00 = w.fma(v0, a00);
            a01 = w.fma(v1, a01);
            a02 = w.fma(v2, a02);
            a03 = w.fma(v3, a03);
            w = DoubleVector.broadcast(S, tile[BK + j]);
            a10 = w.fma(v0, a10);
            a11 = w.fma(v1, a11);
            a12 = w.fma(v2, a12);
            a13 = w.fma(v3, a13);
            w = DoubleVector.broadcast(S, tile[2 * BK + j]);
            a20 = w.fma(v0, a20);
            a21 = w.fma(v1, a21);
            a22 = w.fma(v2, a22);
            a23 = w.fma(v3, a23);
            w = DoubleVector.broadcast(S, tile[3 * BK + j]);
            a30 = w.fma(v0, a30);
            a31 = w.fma(v1, a31);
            a32 = w.fma(v2, a32);
            a33 = w.fma(v3, a33);
        }
        a00.intoArray(part, o0);
        a01.intoArray(part, o0 + L);
        a02.intoArray(part, o0 + 2 * L);
        a03.intoArray(part, o0 + 3 * L);
        a10.intoArray(part, o1);
        a11.intoArray(part, o1 + L);
        a12.intoArray(part, o1 + 2 * L);
        a13.intoArray(part, o1 + 3 * L);
        a20.intoArray(part, o2);
        a21.intoArray(part, o2 + L);
        a22.intoArray(part, o2 + 2 * L);
        a23.intoArray(part, o2 + 3 * L);
        a30.intoArray(part, o3);
        a31.intoArray(part, o3 + L);
        a32.intoArray(part, o3 + 2 * L);
        a33.intoArray(part, o3 + 3 * L);
    }

    /** Two value vectors: 4 x 2 accumulators, for 16-register ISAs and for widths of two vectors. */
    private void accumulate2(int vb, int o0) {
        int o1 = o0 + dvp;
        int o2 = o1 + dvp;
        int o3 = o2 + dvp;
        DoubleVector a00 = DoubleVector.fromArray(S, part, o0);
        DoubleVector a01 = DoubleVector.fromArray(S, part, o0 + L);
        DoubleVector a10 = DoubleVector.fromArray(S, part, o1);
        DoubleVector a11 = DoubleVector.fromArray(S, part, o1 + L);
        DoubleVector a20 = DoubleVector.fromArray(S, part, o2);
        DoubleVector a21 = DoubleVector.fromArray(S, part, o2 + L);
        DoubleVector a30 = DoubleVector.fromArray(S, part, o3);
        DoubleVector a31 = DoubleVector.fromArray(S, part, o3 + L);
        for (int j = 0; j < BK; j++) {
            int vr = vb + j * dvp;
            DoubleVector v0 = DoubleVector.fromArray(S, vp, vr);
            DoubleVector v1 = DoubleVector.fromArray(S, vp, vr + L);
            DoubleVector w = DoubleVector.broadcast(S, tile[j]);
            a00 = w.fma(v0, a00);
            a01 = w.fma(v1, a01);
            w = DoubleVector.broadcast(S, tile[BK + j]);
            a10 = w.fma(v0, a10);
            a11 = w.fma(v1, a11);
            w = DoubleVector.broadcast(S, tile[2 * BK + j]);
            a20 = w.fma(v0, a20);
            a21 = w.fma(v1, a21);
            w = DoubleVector.broadcast(S, tile[3 * BK + j]);
            a30 = w.fma(v0, a30);
            a31 = w.fma(v1, a31);
        }
        a00.intoArray(part, o0);
        a01.intoArray(part, o0 + L);
        a10.intoArray(part, o1);
        a11.intoArray(part, o1 + L);
        a20.intoArray(part, o2);
        a21.intoArray(part, o2 + L);
        a30.intoArray(part, o3);
        a31.intoArray(part, o3 + L);
    }

    /** One value vector: the key sum split into even and odd halves for eight independent FMA chains. */
    private void accumulate1(int vb, int o0) {
        int o1 = o0 + dvp;
        int o2 = o1 + dvp;
        int o3 = o2 + dvp;
        DoubleVector a0 = DoubleVector.fromArray(S, part, o0);
        DoubleVector a1 = DoubleVector.fromArray(S, part, o1);
        DoubleVector a2 = DoubleVector.fromArray(S, part, o2);
        DoubleVector a3 = DoubleVector.fromArray(S, part, o3);
        DoubleVector b0 = DoubleVector.zero(S), b1 = b0, b2 = b0, b3 = b0;
        for (int j = 0; j < BK; j += 2) {
            int vr = vb + j * dvp;
            DoubleVector v0 = DoubleVector.fromArray(S, vp, vr);
            DoubleVector v1 = DoubleVector.fromArray(S, vp, vr + dvp);
            a0 = DoubleVector.broadcast(S, tile[j]).fma(v0, a0);
            a1 = DoubleVector.broadcast(S, tile[BK + j]).fma(v0, a1);
            a2 = DoubleVector.broadcast(S, tile[2 * BK + j]).fma(v0, a2);
            a3 = DoubleVector.broadcast(S, tile[3 * BK + j]).fma(v0, a3);
            b0 = DoubleVector.broadcast(S, tile[j + 1]).fma(v1, b0);
            b1 = DoubleVector.broadcast(S, tile[BK + j + 1]).fma(v1, b1);
            b2 = DoubleVector.broadcast(S, tile[2 * BK + j + 1]).fma(v1, b2);
            b3 = DoubleVector.broadcast(S, tile[3 * BK + j + 1]).fma(v1, b3);
        }
        a0.add(b0).intoArray(part, o0);
        a1.add(b1).intoArray(part, o1);
        a2.add(b2).intoArray(part, o2);
        a3.add(b3).intoArray(part, o3);
    }

    /** Ends an outer tuple: its partial sums, times prod_t V_t[j_t], go into the float64 accumulators. */
    private void flush(int rf, int rl, double[] outerValues) {
        for (int r = rf; r <= rl; r++) {
            DoubleVector.fromArray(S, lanes, r * L).add(DoubleVector.fromArray(S, sumLanes, r * L))
                    .intoArray(sumLanes, r * L);
            int o = r * dvp;
            for (int c = 0; c < dvp; c += L) {
                DoubleVector.fromArray(S, part, o + c)
                        .fma(DoubleVector.fromArray(S, outerValues, c), DoubleVector.fromArray(S, acc, o + c))
                        .intoArray(acc, o + c);
            }
            java.util.Arrays.fill(part, o, o + dvp, 0);
            java.util.Arrays.fill(lanes, r * L, (r + 1) * L, 0);
        }
    }

    /** O = acc / sum and lse = max + log(sum) for the task's rows; a row that sees no tuple gets 0 and -infinity. */
    private void finish(double[] out, double[] lse) {
        int oo = (int) g.outOffset(p);
        for (int r = 0; r < rows; r++) {
            int i = i0 + r;
            double sum = 0;
            for (int l = 0; l < L; l++) {
                sum += sumLanes[r * L + l];
            }
            for (int l = 0; l < dv; l++) {
                out[oo + i * dv + l] = sum > 0 ? (double) (acc[r * dvp + l] / sum) : 0;
            }
            lse[p * g.nq() + i] = sum > 0 ? max[r] + StrictMath.log(sum) : Double.NEGATIVE_INFINITY;
        }
    }
}
