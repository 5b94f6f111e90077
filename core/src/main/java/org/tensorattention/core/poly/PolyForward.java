package org.tensorattention.core.poly;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Parallel;

/**
 * The polynomial method's forward pass in float64 for every mask (SPEC.md section 2), streamed over blocks
 * of rows: memory is O(r (k dv + block)) per thread, never O(n r).
 *
 * <ul>
 *   <li>full: S_t = U_t^T V_t and z_t = U_t^T 1 block by block (per-thread partial sums added once), then
 *       O~ = (U_Q M) ./ (U_Q z) block by block with M = S_1 ∘ .. ∘ S_{k-1}.</li>
 *   <li>causal: chunks of query rows; each chunk's start state (the prefix of key moments before it) comes
 *       from block totals of the chunks before it, then each chunk scans its rows, adding one key row per
 *       factor and reading out one query row.</li>
 *   <li>window: the state over (p - w_t, p] slides (add key p, remove key p - w_t) and is recomputed from
 *       scratch every w_t rows, so rounding never builds up over more than 2 w_t rows ({@link KeyScan}).</li>
 * </ul>
 * Query i stands at p = i + offset_t against factor t ({@link PolyScans}); a query that sees no tuple keeps
 * o = 0 and lse = -inf. The lse is log D~, the approximate denominator: scores are never shifted by a running
 * maximum, and balancing leaves every score unchanged.
 */
final class PolyForward {
    private PolyForward() {
    }

    /** Fills out (problems x nq x dv) and, unless null, lse (problems x nq, -inf where a row sees nothing). */
    static void run(Geometry g, double scale, Mask mask, FeatureMap fm, double[] q, double[][] k, double[][] v,
                    double[] out, double[] lse, int threads) {
        if (g.problems() == 0 || g.nq() == 0) {
            return; // nothing to compute (and no thread count to divide by)
        }
        if (lse != null) {
            java.util.Arrays.fill(lse, Double.NEGATIVE_INFINITY);
        }
        if (mask instanceof Mask.Full) {
            int kvProblems = g.kvProblems();
            int outer = Math.min(threads, kvProblems);
            int inner = Math.max(1, threads / outer);
            Parallel.forEach(kvProblems, outer, kp -> full(g, kp, fm, q, k, v, out, lse, inner));
        } else {
            int outer = Math.min(threads, g.problems());
            int inner = Math.max(1, threads / outer);
            Parallel.forEach(g.problems(), outer, p -> masked(g, p, mask, fm, q, k, v, out, lse, inner));
        }
    }

    /** Key moments S_t, z_t of one kv problem, then every query problem that reads it. */
    private static void full(Geometry g, int kp, FeatureMap fm, double[] q, double[][] k, double[][] v,
                             double[] out, double[] lse, int threads) {
        int rank = fm.rank;
        int dvp = Moments.padded(g.dv());
        int factors = g.order() - 1;
        double[] m = null;
        double[] zz = null;
        for (int t = 0; t < factors; t++) {
            double[] s = new double[rank * dvp];
            double[] z = new double[rank];
            long ko = (long) kp * g.nk()[t] * g.d();
            long vo = (long) kp * g.nk()[t] * g.dv();
            keyMoments(fm, k[t], ko, v[t], vo, g.dv(), 0, g.nk()[t], s, z, threads);
            if (m == null) {
                m = s;
                zz = z;
            } else {
                hadamard(m, s);
                hadamard(zz, z);
            }
        }
        double[] keyMax = fm.leveled() ? keyMax(g, kp, k) : null;
        for (int p = 0; p < g.problems(); p++) {
            if (g.kvProblem()[p] == kp) {
                queryOutputs(fm, keyMax, q, g.qOffset(p), g.nq(), m, zz, g.dv(), out, g.outOffset(p), lse,
                        (long) p * g.nq(), threads);
            }
        }
    }

    /** prod_t max_j |K_t[j, l]| per column l of kv problem kp: a row's score bound is c sum_l |q_l| keyMax_l. */
    static double[] keyMax(Geometry g, int kp, double[][] k) {
        double[] prod = new double[g.d()];
        java.util.Arrays.fill(prod, 1);
        for (int t = 0; t < g.order() - 1; t++) {
            double[] col = ScoreBound.columnMaxAbs(k[t], (long) kp * g.nk()[t] * g.d(), g.nk()[t], g.d());
            hadamard(prod, col);
        }
        return prod;
    }

    /**
     * out rows [0, nq) of one problem: (U_Q M) ./ (U_Q zz), and lse[lo + i] = log(U_Q zz) (null: no lse), on up
     * to {@code threads} threads. With keyMax (a leveled feature map) each row takes its own level
     * ({@link RowLevels}) and blocks of rows of one level are contracted over that level's rank only.
     */
    static void queryOutputs(FeatureMap fm, double[] keyMax, double[] q, long qo, int nq, double[] m, double[] zz,
                             int dv, double[] out, long oo, double[] lse, long lo, int threads) {
        int dvp = Moments.padded(dv);
        int b = Moments.BLOCK;
        RowLevels.Order order = RowLevels.order(fm, keyMax, q, qo, nq);
        order.forEachBlock(threads * 4, threads, () -> new RowBlocks.Scratch(fm, dvp), (w, lev, rows, n) -> {
            fm.gather(q, qo, rows, n, b, w.xt);
            fm.queryBlock(w.xt, b, w.ut, lev);
            Moments.contract(w.ut, b, fm.levelRank[lev], m, zz, dvp, w.num, w.den);
            for (int i = 0; i < n; i++) {
                int row = rows[i];
                writeRow(w.num, i * dvp, w.den[i], dv, out, oo + (long) row * dv, lse, lo + row);
            }
        });
    }

    static void hadamard(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= b[i];
        }
    }

    /**
     * Adds the key moments of rows [lo, hi) to s (rank x dvp) and z: s += U^T V, z += U^T 1, on up to
     * {@code threads} threads, each with its own partial sums.
     */
    static void keyMoments(FeatureMap fm, double[] k, long ko, double[] v, long vo, int dv, int lo, int hi,
                           double[] s, double[] z, int threads) {
        int rows = hi - lo;
        if (rows <= 0) {
            return;
        }
        int blocks = (rows + Moments.BLOCK - 1) / Moments.BLOCK;
        int tasks = Math.min(threads, blocks);
        if (tasks <= 1) {
            keyMomentsSerial(fm, k, ko, v, vo, dv, lo, hi, s, z);
            return;
        }
        double[][] ps = new double[tasks][];
        double[][] pz = new double[tasks][];
        Parallel.forEach(tasks, threads, task -> {
            int b0 = (int) ((long) blocks * task / tasks);
            int b1 = (int) ((long) blocks * (task + 1) / tasks);
            double[] s1 = new double[s.length];
            double[] z1 = new double[z.length];
            keyMomentsSerial(fm, k, ko, v, vo, dv, lo + b0 * Moments.BLOCK, Math.min(hi, lo + b1 * Moments.BLOCK), s1, z1);
            ps[task] = s1;
            pz[task] = z1;
        });
        for (int task = 0; task < tasks; task++) {
            add(s, ps[task]);
            add(z, pz[task]);
        }
    }

    static void add(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] += b[i];
        }
    }

    /** keyMoments on the calling thread. */
    static void keyMomentsSerial(FeatureMap fm, double[] k, long ko, double[] v, long vo, int dv, int lo, int hi,
                                 double[] s, double[] z) {
        int rank = fm.rank;
        int dvp = Moments.padded(dv);
        int rows = hi - lo;
        if (rows <= 0) {
            return;
        }
        int b = Math.min(Moments.BLOCK, (rows + 7) / 8 * 8);
        double[] xt = new double[fm.d * b];
        double[] ut = new double[rank * b];
        double[] vb = new double[b * dvp];
        for (int r0 = lo; r0 < hi; r0 += b) {
            int n = Math.min(b, hi - r0);
            fm.keyBlock(k, ko, r0, n, b, xt, ut);
            if (n < b || dv < dvp) {
                java.util.Arrays.fill(vb, 0);
            }
            for (int j = 0; j < n; j++) {
                System.arraycopy(v, (int) (vo + (long) (r0 + j) * dv), vb, j * dvp, dv);
            }
            Moments.accumulate(ut, vb, b, n, rank, dvp, s, z);
        }
    }

    /** out[o .. o + dv) = num[at ..] / den, and lse[row] = log den when lse is kept. */
    static void writeRow(double[] num, int at, double den, int dv, double[] out, long o, double[] lse, long row) {
        double inv = 1 / den;
        for (int c = 0; c < dv; c++) {
            out[(int) o + c] = num[at + c] * inv;
        }
        if (lse != null) {
            lse[(int) row] = Math.log(den);
        }
    }

    /** Causal or window mask for one problem: chunks of rows scanned from their start states. */
    private static void masked(Geometry g, int p, Mask mask, FeatureMap fm, double[] q, double[][] k,
                               double[][] v, double[] out, double[] lse, int threads) {
        int nq = g.nq();
        int[] bound = KeyScan.chunkBounds(nq, Math.max(1, Math.min(threads == 1 ? 1 : threads * 2, nq / 256)));
        KeyScan.States start = KeyScan.starts(g, p, mask, fm, k, v, bound, threads);
        Parallel.forEach(bound.length - 1, threads, c -> scan(KeyScan.of(g, p, mask, fm, k, v), q, out, lse,
                bound[c], bound[c + 1], start.s()[c], start.z()[c]));
    }

    /** One chunk's scan, rows [lo, hi), from its start states (null entries: zeros). */
    private static void scan(KeyScan keys, double[] q, double[] out, double[] lse, int lo, int hi,
                             double[][] startS, double[][] startZ) {
        Geometry g = keys.g();
        int p = keys.p();
        int factors = g.order() - 1;
        int rank = keys.fm().rank;
        int dv = g.dv();
        int dvp = Moments.padded(dv);
        double[][] s = new double[factors][];
        double[][] z = new double[factors][];
        for (int t = 0; t < factors; t++) {
            s[t] = startS[t] != null ? startS[t] : new double[rank * dvp];
            z[t] = startZ[t] != null ? startZ[t] : new double[rank];
        }
        double[] phi = new double[rank];
        double[] num = new double[dvp];
        double[] keyMax = keys.fm().leveled() ? keyMax(g, g.kvProblem()[p], keys.k()) : null;
        for (int i = lo; i < hi; i++) {
            for (int t = 0; t < factors; t++) {
                keys.advance(t, i, lo, s[t], z[t]);
            }
            if (keys.mask().allowed(i, g.nk()) == 0) {
                continue; // a row that sees no tuple keeps its zeros (its sums are 0 / 0) and lse -inf
            }
            int off = (int) (g.qOffset(p) + (long) i * g.d());
            int level = keyMax == null ? keys.fm().levelRank.length - 1 : keys.fm().level(q, off, keyMax);
            keys.fm().queryRow(q, off, phi, level);
            double den = Moments.outputRow(phi, s, z, keys.fm().levelRank[level], dvp, num);
            writeRow(num, 0, den, dv, out, g.outOffset(p) + (long) i * dv, lse, (long) p * g.nq() + i);
        }
    }
}
