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
 *   <li>window: the state over (i - w_t, i] slides (add row i, remove row i - w_t) and is recomputed from
 *       scratch every w_t rows, so rounding never builds up over more than 2 w_t rows.</li>
 * </ul>
 */
final class PolyForward {
    private PolyForward() {
    }

    static void run(Geometry g, double scale, Mask mask, FeatureMap fm, double[] q, double[][] k, double[][] v,
                    double[] out, int threads) {
        if (g.problems() == 0 || g.nq() == 0) {
            return; // nothing to compute (and no thread count to divide by)
        }
        if (mask instanceof Mask.Full) {
            int kvProblems = g.kvProblems();
            int outer = Math.min(threads, kvProblems);
            int inner = Math.max(1, threads / outer);
            Parallel.forEach(kvProblems, outer, kp -> full(g, kp, fm, q, k, v, out, inner));
        } else {
            int outer = Math.min(threads, g.problems());
            int inner = Math.max(1, threads / outer);
            Parallel.forEach(g.problems(), outer, p -> masked(g, p, mask, fm, q, k, v, out, inner));
        }
    }

    /** Key moments S_t, z_t of one kv problem, then every query problem that reads it. */
    private static void full(Geometry g, int kp, FeatureMap fm, double[] q, double[][] k, double[][] v,
                             double[] out, int threads) {
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
        for (int p = 0; p < g.problems(); p++) {
            if (g.kvProblem()[p] == kp) {
                queryOutputs(fm, q, g.qOffset(p), g.nq(), m, zz, g.dv(), out, g.outOffset(p), threads);
            }
        }
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

    /** out rows [0, nq) of one problem: (U_Q M) ./ (U_Q zz), in blocks, on up to {@code threads} threads. */
    static void queryOutputs(FeatureMap fm, double[] q, long qo, int nq, double[] m, double[] zz, int dv,
                             double[] out, long oo, int threads) {
        int rank = fm.rank;
        int dvp = Moments.padded(dv);
        int b = Moments.BLOCK;
        int blocks = (nq + b - 1) / b;
        int tasks = Math.min(blocks, threads * 4);
        Parallel.forEach(tasks, threads, task -> {
            double[] xt = new double[fm.d * b];
            double[] uqt = new double[rank * b];
            double[] num = new double[b * dvp];
            double[] den = new double[b];
            int b0 = (int) ((long) blocks * task / tasks);
            int b1 = (int) ((long) blocks * (task + 1) / tasks);
            for (int blk = b0; blk < b1; blk++) {
                int r0 = blk * b;
                int n = Math.min(b, nq - r0);
                fm.queryBlock(q, qo, r0, n, b, xt, uqt);
                Moments.contract(uqt, b, rank, m, zz, dvp, num, den);
                for (int i = 0; i < n; i++) {
                    int o = (int) (oo + (long) (r0 + i) * dv);
                    double inv = 1 / den[i];
                    for (int c = 0; c < dv; c++) {
                        out[o + c] = num[i * dvp + c] * inv;
                    }
                }
            }
        });
    }

    /** Causal or window mask for one problem: chunks of rows scanned from their start states. */
    private static void masked(Geometry g, int p, Mask mask, FeatureMap fm, double[] q, double[][] k,
                               double[][] v, double[] out, int threads) {
        int nq = g.nq();
        int factors = g.order() - 1;
        int rank = fm.rank;
        int dvp = Moments.padded(g.dv());
        int chunks = Math.max(1, Math.min(threads == 1 ? 1 : threads * 2, nq / 256));
        int[] bound = new int[chunks + 1];
        for (int c = 0; c <= chunks; c++) {
            bound[c] = (int) ((long) nq * c / chunks);
        }
        double[][][] startS = new double[chunks][factors][];
        double[][][] startZ = new double[chunks][factors][];
        if (PolyScans.causal(mask)) {
            // Chunk totals of key moments (in parallel), then a prefix over chunks.
            double[][][] totS = new double[chunks][factors][];
            double[][][] totZ = new double[chunks][factors][];
            Parallel.forEach(chunks * factors, threads, task -> {
                int c = task / factors;
                int t = task % factors;
                double[] s = new double[rank * dvp];
                double[] z = new double[rank];
                int nk = g.nk()[t];
                keyMomentsSerial(fm, k[t], g.keyOffset(p, t), v[t], g.valueOffset(p, t), g.dv(),
                        Math.min(bound[c], nk), Math.min(bound[c + 1], nk), s, z);
                totS[c][t] = s;
                totZ[c][t] = z;
            });
            for (int t = 0; t < factors; t++) {
                double[] s = new double[rank * dvp];
                double[] z = new double[rank];
                for (int c = 0; c < chunks; c++) {
                    startS[c][t] = s.clone();
                    startZ[c][t] = z.clone();
                    add(s, totS[c][t]);
                    add(z, totZ[c][t]);
                }
            }
        }
        Parallel.forEach(chunks, threads, c -> new Scan(g, p, mask, fm, q, k, v, out)
                .rows(bound[c], bound[c + 1], startS[c], startZ[c]));
    }

    /** One chunk's scan: per factor a state (S_t, z_t) over the allowed key rows of the current query. */
    private static final class Scan {
        final Geometry g;
        final int p;
        final Mask mask;
        final FeatureMap fm;
        final double[] q;
        final double[][] k;
        final double[][] v;
        final double[] out;
        final int rank;
        final int dv;
        final int dvp;
        final double[] phi;
        final double[] vrow;

        Scan(Geometry g, int p, Mask mask, FeatureMap fm, double[] q, double[][] k, double[][] v, double[] out) {
            this.g = g;
            this.p = p;
            this.mask = mask;
            this.fm = fm;
            this.q = q;
            this.k = k;
            this.v = v;
            this.out = out;
            rank = fm.rank;
            dv = g.dv();
            dvp = Moments.padded(dv);
            phi = new double[rank];
            vrow = new double[dvp];
        }

        void rows(int lo, int hi, double[][] startS, double[][] startZ) {
            int factors = g.order() - 1;
            double[][] s = new double[factors][];
            double[][] z = new double[factors][];
            for (int t = 0; t < factors; t++) {
                s[t] = startS[t] != null ? startS[t] : new double[rank * dvp];
                z[t] = startZ[t] != null ? startZ[t] : new double[rank];
            }
            double[] num = new double[dvp];
            for (int i = lo; i < hi; i++) {
                for (int t = 0; t < factors; t++) {
                    advance(t, i, lo, s[t], z[t]);
                }
                if (mask.allowed(i, g.nk()) == 0) {
                    continue; // a row that sees no tuple keeps its zeros (its sums are 0 / 0)
                }
                fm.queryRow(q, (int) (g.qOffset(p) + (long) i * g.d()), phi);
                double den = Moments.outputRow(phi, s, z, rank, dvp, num);
                int o = (int) (g.outOffset(p) + (long) i * dv);
                double inv = 1 / den;
                for (int c = 0; c < dv; c++) {
                    out[o + c] = num[c] * inv;
                }
            }
        }

        /** Moves factor t's state from query i - 1 to query i. */
        private void advance(int t, int i, int lo, double[] s, double[] z) {
            int nk = g.nk()[t];
            if (PolyScans.causal(mask)) {
                if (i < nk) {
                    addKey(t, i, 1, s, z);
                }
                return;
            }
            int w = PolyScans.width(mask, t);
            if ((i - lo) % w == 0) {
                java.util.Arrays.fill(s, 0);
                java.util.Arrays.fill(z, 0);
                keyMomentsSerial(fm, k[t], g.keyOffset(p, t), v[t], g.valueOffset(p, t), dv,
                        Math.max(0, i - w + 1), Math.min(i + 1, nk), s, z);
                return;
            }
            if (i < nk) {
                addKey(t, i, 1, s, z);
            }
            int gone = i - w;
            if (gone >= 0 && gone < nk) {
                addKey(t, gone, -1, s, z);
            }
        }

        private void addKey(int t, int j, double sign, double[] s, double[] z) {
            fm.keyRow(k[t], (int) (g.keyOffset(p, t) + (long) j * g.d()), phi);
            System.arraycopy(v[t], (int) (g.valueOffset(p, t) + (long) j * dv), vrow, 0, dv);
            Moments.addRow(phi, vrow, sign, rank, dvp, s, z);
        }
    }
}
