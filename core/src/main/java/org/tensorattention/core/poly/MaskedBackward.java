package org.tensorattention.core.poly;

import java.util.Arrays;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Parallel;

/**
 * The polynomial backward for causal and window masks, one problem on one thread, O(n r k^2 dv) time.
 *
 * <p>One reverse sweep per chunk of rows. Its states at the chunk's last row and at checkpoints every
 * {@code interval} rows come from the blocked key moments ({@link PolyForward#keyMomentsSerial}); it walks them
 * back (subtract key row i, add back row i - w_t for a window; the exact checkpoints stop rounding from
 * building up). At row i it reads out O~_i (or takes it, and D~_i = exp(lse_i), from the forward's result),
 * forms the upstream gradients gN_i = dO_i / D_i and gD_i = -dO_i . O~_i / D_i (kept for the sweep's rows:
 * O(n dv) memory), finishes dQ_i, and accumulates the gradient of each state: causal,
 * G_t(j) = sum_{i >= j} dS_t(i), a reverse prefix sum; window, the sum over i in [j, j + w_t), so the row
 * leaving the window is taken off again, which needs the states at i + w_t: a second, lagging set of states
 * per factor. Key row j then gets dV_t[j] = U_t[j] G_t(j) and dU_t[j] = G_t(j) V_t[j] + Gz_t(j), chained
 * through the feature map into dK_t[j]. Query i stands at i + offset_t against factor t, so row i adds key
 * i + offset_t; keys before row 0's (offset_t > 0) are finished by rows below 0 that hold no query.
 *
 * <p>The states are kept by value column ({@link RowGradients}: the normaliser is one more column), so that the
 * steps a row runs over every feature are vector loops with no horizontal sums; the start states and the
 * gradients handed to the chunk pass are converted once per chunk. Loops over a query row's features stop at
 * its level's rank.
 *
 * <p>Problems split into chunks of rows whose sweeps run in parallel ({@link #problem}). A causal chunk starts from the prefix of the key moments before it, and the state gradient
 * of all later chunks, a constant per chunk, reaches its key rows afterwards in one GEMM-shaped pass. A window
 * chunk's states hold the window before each of its rows, and it sweeps on past its end by the widest window, so the
 * later queries that see its keys are counted in its own reverse sweep.
 */
final class MaskedBackward {
    private final Geometry g;
    private final int p;
    private final Mask mask;
    private final FeatureMap fm;
    private final PolyAttention.Inputs in;
    private final double[] dO;
    /** The forward's output and log-sum-exp, or null: recomputed from the states. */
    private final PolyBackward.Given given;
    private final int factors;
    private final int rank;
    /** The rank rounded up to whole vectors: one column of a state. */
    private final int rp;
    private final int dv;
    private final int dvp;
    private final int d;
    private final int nq;
    /** The query and key rows [lo, hi) this instance owns. */
    private final int lo;
    private final int hi;
    /** The sweeps run over [lo, ext): a window chunk also needs the w_t rows after it, whose queries see its keys. */
    private final int ext;
    private double[][] endS;
    private final int interval;
    private final double[][][] checkS;
    /** Query features (rp, zero past the row's level rank), monomials and their gradient (rank). */
    private final double[] phi;
    private final double[] mono;
    private final double[] grad;
    /** One query row's output numerator (dv) and the gradient with respect to its features (rp). */
    private final double[] num;
    private final double[] dUQ;
    /** The upstream gradient of one query row: gN (dv) and gD. */
    private final double[] gRow;
    /** Per factor, the features (rp) and value row of key cachedKey[t]: removing a key reuses its features. */
    private final double[][] phiK;
    private final double[][] vrowK;
    private final long[] cachedKey;
    /** Column maxima of the keys' products for the rows' levels (null: one level). */
    private final double[] keyMax;
    private final int qoff;

    MaskedBackward(Geometry g, int p, Mask mask, FeatureMap fm, PolyAttention.Inputs in, double[] dO,
                   PolyBackward.Given given, int lo, int hi) {
        this.given = given;
        this.g = g;
        this.p = p;
        this.mask = mask;
        this.fm = fm;
        this.in = in;
        this.dO = dO;
        this.lo = lo;
        this.hi = hi;
        factors = g.order() - 1;
        rank = fm.rank;
        rp = Moments.padded(rank);
        dv = g.dv();
        dvp = Moments.padded(dv);
        d = g.d();
        nq = g.nq();
        keyMax = fm.leveled() ? PolyForward.keyMax(g, g.kvProblem()[p], in.k()) : null;
        qoff = (int) g.qOffset(p);
        int reach = PolyScans.reach(mask);
        ext = (int) Math.min(nq, (long) hi + reach);
        // Checkpoints: at most about 64 MB of saved states per problem.
        double stateBytes = 8.0 * factors * rp * (dv + 1);
        interval = (int) Math.max(16, Math.ceil(nq * stateBytes / 64e6));
        int count = (ext - lo + interval - 1) / interval;
        checkS = new double[count][][];
        phi = new double[rp];
        mono = new double[rank];
        grad = new double[rank];
        gRow = new double[dv + 1];
        num = new double[dv];
        dUQ = new double[rp];
        phiK = new double[factors][rp];
        vrowK = new double[factors][dv];
        cachedKey = new long[factors];
        java.util.Arrays.fill(cachedKey, -1);
    }

    /**
     * The states of the sweep's checkpoints (after rows lo, lo + interval, ..) and of its last row ext - 1, from
     * the key moments in blocks ({@link PolyForward#keyMomentsSerial}): a causal chunk from its start state
     * (startS, startZ as {@link KeyScan#starts} gives them), a window's from scratch over its window.
     */
    void checkpoints(double[][] startS, double[][] startZ) {
        boolean causal = PolyScans.causal(mask);
        double[][] s = new double[factors][];
        double[][] z = new double[factors][];
        int[] done = new int[factors];
        for (int t = 0; t < factors; t++) {
            s[t] = startS != null ? startS[t].clone() : new double[rank * dvp];
            z[t] = startZ != null ? startZ[t].clone() : new double[rank];
            done[t] = PolyScans.keysBefore(mask, t, lo, g.nk()[t]);
        }
        for (int m = 0; m <= checkS.length; m++) {
            int row = m < checkS.length ? lo + m * interval : ext - 1;
            double[][] cs = newStates();
            for (int t = 0; t < factors; t++) {
                int nk = g.nk()[t];
                int to = PolyScans.keysBefore(mask, t, row + 1, nk);
                int from = done[t];
                if (!causal) {
                    // The window (pos - w_t, pos] of row's position pos, from scratch.
                    from = Math.max(0, Math.min(to, row + PolyScans.offset(mask, t) - PolyScans.width(mask, t) + 1));
                    Arrays.fill(s[t], 0);
                    Arrays.fill(z[t], 0);
                }
                PolyForward.keyMomentsSerial(fm, in.k()[t], g.keyOffset(p, t), in.v()[t], g.valueOffset(p, t), dv,
                        from, to, s[t], z[t]);
                done[t] = to;
                RowGradients.toColumns(s[t], z[t], rank, dvp, dv, rp, cs[t]);
            }
            if (m < checkS.length) {
                checkS[m] = cs;
            } else {
                endS = cs;
            }
        }
    }

    /**
     * Query row i of the reverse sweep, on the states after row i: its output (rows this chunk owns), its
     * upstream gradients gN_i, gD_i into the sweep's own rows of gN and gD, and dq; then phi holds its features
     * and the level rank rounded up to whole vectors is returned (0: the row sees no tuple).
     */
    private int queryStep(int i, double[][] cs, double[] gN, double[] gD, double[] out, double[] dq) {
        if (mask.allowed(i, g.nk()) == 0) {
            return 0; // a row that sees no tuple: output, gN and gD stay 0, no gradient
        }
        int level = level(i);
        int rq = Math.min(rp, Moments.padded(fm.levelRank[level]));
        fm.keyRow(in.q(), qoff + i * d, mono);
        double[] coefficient = fm.paddedCoefficient(level);
        for (int L = 0; L < rank; L++) {
            phi[L] = mono[L] * coefficient[L];
        }
        int oo = (int) g.outOffset(p) + i * dv;
        double den;
        if (given == null) {
            den = RowGradients.outputRow(phi, cs, dv, rp, rq, num);
            for (int c = 0; c < dv; c++) {
                num[c] /= den;
            }
        } else {
            den = given.den(g, p, i);
            System.arraycopy(given.out(), oo, num, 0, dv);
        }
        int at = (i - lo) * dvp;
        double dot = 0;
        for (int c = 0; c < dv; c++) {
            double o = num[c];
            if (i < hi) {
                out[oo + c] = o;
            }
            double go = dO[oo + c];
            gN[at + c] = go / den;
            dot += go * o;
        }
        gD[i - lo] = -dot / den;
        if (i < hi) {
            RowGradients.queryGradient(upstream(gN, gD, i), cs, dv, rp, rq, dUQ);
            int top = Math.min(rank, rq);
            for (int L = 0; L < top; L++) {
                grad[L] = dUQ[L] * coefficient[L];
            }
            Arrays.fill(grad, top, rank, 0);
            fm.keyRowBackward(in.q(), qoff + i * d, mono, grad, dq, qoff + i * d);
        }
        return rq;
    }

    /**
     * Reverse sweep, after {@link #checkpoints}: writes rows [lo, hi) of out and dq, and adds into dk and dv
     * (shared by grouped heads) for key rows [lo, hi), counting the queries in [lo, ext).
     *
     * @return the state gradients summed over queries [lo, hi) (G_t and Gz_t as {s, z} per factor, in the layout
     *         of {@link PolyBackward#keyPass}): for a causal chunk, what the key rows before lo still receive
     */
    double[][][] reverse(double[] out, double[] dq, double[][] dk, double[][] dvOut) {
        // This sweep's own upstream gradients of rows [lo, ext), made as the sweep reaches them: a window's
        // lagging rows i + w_t come before row i in reverse order.
        double[] gN = new double[(ext - lo) * dvp];
        double[] gD = new double[ext - lo];
        double[][] s = endS;
        double[][] finalS = copy(s);
        boolean window = PolyScans.windowed(mask);
        // lagS[t]: the states at row i + w_t, once that row exists.
        double[][][] lagS = new double[factors][][];
        double[][] gs = newStates();
        double[] dphi = new double[rp];
        double[] dvRow = new double[dv];
        // The first chunk's sweep goes on below row 0 while keys before row 0's own (offset_t > 0) still
        // have queries that see them: rows i < 0 add no query, only finish key i + offset_t.
        int[] last = new int[factors];
        int first = lo;
        for (int t = 0; t < factors; t++) {
            int head = lo == 0 ? PolyScans.keysBefore(mask, t, 0, g.nk()[t]) : 0;
            last[t] = lo - (window ? Math.min(head, PolyScans.width(mask, t) - 1) : head);
            first = Math.min(first, last[t]);
        }
        for (int i = ext - 1; i >= first; i--) {
            int rq = i >= lo ? queryStep(i, s, gN, gD, out, dq) : 0;
            if (rq > 0) {
                double[] up = upstream(gN, gD, i);
                for (int t = 0; t < factors; t++) {
                    RowGradients.stateGradient(phi, up, 1, s, t, dv, rp, rq, gs[t]);
                }
            }
            if (window) {
                for (int t = 0; t < factors; t++) {
                    if (i < last[t]) {
                        continue;
                    }
                    int gone = i + PolyScans.width(mask, t);
                    if (gone == ext - 1) {
                        lagS[t] = copy(finalS);
                    }
                    if (gone < ext && mask.allowed(gone, g.nk()) > 0) {
                        int rg = queryRow(gone);
                        RowGradients.stateGradient(phi, upstream(gN, gD, gone), -1, lagS[t], t, dv, rp, rg, gs[t]);
                    }
                }
            }
            for (int t = 0; t < factors && i < hi; t++) {
                long key = (long) i + PolyScans.offset(mask, t);
                if (i >= last[t] && key >= 0 && key < g.nk()[t]) {
                    int ko = (int) (g.keyOffset(p, t) + key * d);
                    int vo = (int) (g.valueOffset(p, t) + key * dv);
                    double[] features = keyFeatures(t, key);
                    RowGradients.keyGradient(features, vrowK[t], gs[t], dv, rp, dphi, dvRow);
                    for (int c = 0; c < dv; c++) {
                        dvOut[t][vo + c] += dvRow[c];
                    }
                    fm.keyRowBackward(in.k()[t], ko, features, dphi, dk[t], ko);
                }
            }
            if (i > lo) {
                retreat(s, i);
            }
            if (i > first && window) {
                for (int t = 0; t < factors; t++) {
                    int pos = i + PolyScans.width(mask, t);
                    if (i > last[t] && pos < ext) {
                        retreat(lagS[t], pos);
                    }
                }
            }
        }
        double[][] sums = new double[factors][rank * dvp];
        double[][] norms = new double[factors][rank];
        for (int t = 0; t < factors; t++) {
            RowGradients.fromColumns(gs[t], rank, dvp, dv, rp, sums[t], norms[t]);
        }
        return new double[][][] {sums, norms};
    }

    /** The backward of problem p: causal in parallel chunks, window as one chunk. */
    static void problem(Geometry g, int p, Mask mask, FeatureMap fm, PolyAttention.Inputs in, double[] dO,
                        PolyBackward.Given given, double[] out, double[] dq, double[][] dk, double[][] dvOut, int threads) {
        int nq = g.nq();
        int factors = g.order() - 1;
        int rank = fm.rank;
        int dvp = Moments.padded(g.dv());
        int reach = PolyScans.reach(mask);
        // A window chunk also sweeps the reach rows after it: chunks several times longer than that.
        int chunks = threads == 1 ? 1 : Math.max(1, Math.min(threads * 2, nq / Math.max(256, 4 * reach)));
        int[] bound = KeyScan.chunkBounds(nq, chunks);
        KeyScan.States start = KeyScan.starts(g, p, mask, fm, in.k(), in.v(), bound, threads);
        double[][][] startS = start.s();
        double[][][] startZ = start.z();
        double[][][][] grads = new double[chunks][][][];
        Parallel.forEach(chunks, threads, c -> {
            MaskedBackward part = new MaskedBackward(g, p, mask, fm, in, dO, given, bound[c], bound[c + 1]);
            boolean zero = startS[c][0] == null;
            part.checkpoints(zero ? null : startS[c], zero ? null : startZ[c]);
            grads[c] = part.reverse(out, dq, dk, dvOut);
        });
        if (!PolyScans.causal(mask) || chunks == 1) {
            return;
        }
        // Later chunks' state gradients, summed from the end, reach each chunk's key rows.
        double[][][] laterS = new double[chunks][factors][];
        double[][][] laterZ = new double[chunks][factors][];
        for (int t = 0; t < factors; t++) {
            double[] s = new double[rank * dvp];
            double[] z = new double[rank];
            for (int c = chunks - 1; c >= 0; c--) {
                laterS[c][t] = s.clone();
                laterZ[c][t] = z.clone();
                PolyForward.add(s, grads[c][0][t]);
                PolyForward.add(z, grads[c][1][t]);
            }
        }
        Parallel.forEach((chunks - 1) * factors, threads, task -> {
            int c = task / factors;
            int t = task % factors;
            int nk = g.nk()[t];
            // Chunk c's key rows: those its rows add, and for the first chunk those before row 0.
            int a = c == 0 ? 0 : PolyScans.keysBefore(mask, t, bound[c], nk);
            int b = PolyScans.keysBefore(mask, t, bound[c + 1], nk);
            if (b > a) {
                PolyBackward.keyPass(fm, in.k()[t], g.keyOffset(p, t) + (long) a * g.d(), in.v()[t],
                        g.valueOffset(p, t) + (long) a * g.dv(), b - a, g.dv(), laterS[c][t], laterZ[c][t], dk[t],
                        dvOut[t], 1);
            }
        });
    }

    /** Moves a full set of states from row pos to row pos - 1. */
    private void retreat(double[][] cs, int pos) {
        int to = pos - 1;
        if (to >= lo && (to - lo) % interval == 0) {
            for (int t = 0; t < factors; t++) {
                System.arraycopy(checkS[(to - lo) / interval][t], 0, cs[t], 0, cs[t].length);
            }
            return;
        }
        for (int t = 0; t < factors; t++) {
            long key = (long) pos + PolyScans.offset(mask, t);
            addKey(t, key, -1, cs[t]);
            if (PolyScans.windowed(mask)) {
                addKey(t, key - PolyScans.width(mask, t), 1, cs[t]);
            }
        }
    }

    /** Adds (sign 1) or removes (sign -1) key row j of factor t, when it exists, into state cs. */
    private void addKey(int t, long j, double sign, double[] cs) {
        if (j >= 0 && j < g.nk()[t]) {
            RowGradients.addRow(keyFeatures(t, j), vrowK[t], sign, dv, rp, cs);
        }
    }

    /** Key row j's features of factor t (and its value row in vrowK[t]), kept until another key's are asked. */
    private double[] keyFeatures(int t, long j) {
        if (cachedKey[t] != j) {
            fm.keyRow(in.k()[t], (int) (g.keyOffset(p, t) + j * d), phiK[t]);
            System.arraycopy(in.v()[t], (int) (g.valueOffset(p, t) + j * dv), vrowK[t], 0, dv);
            cachedKey[t] = j;
        }
        return phiK[t];
    }

    /** Query row i's level ({@link RowLevels}); the plan's own when there is one level. */
    private int level(int i) {
        return keyMax == null ? fm.levelRank.length - 1 : fm.level(in.q(), qoff + i * d, keyMax);
    }

    /**
     * phi_Q of query row i at its level into phi, zero up to its level rank rounded up to whole vectors, which
     * it returns: so that the gradient is of the forward's O~.
     */
    private int queryRow(int i) {
        int level = level(i);
        int r = fm.levelRank[level];
        int rq = Math.min(rp, Moments.padded(r));
        fm.queryRow(in.q(), qoff + i * d, phi, level);
        Arrays.fill(phi, r, rq, 0);
        return rq;
    }

    /** gN_i and gD_i as one row (gRow), from a sweep's own rows [lo, ext). */
    private double[] upstream(double[] gN, double[] gD, int i) {
        System.arraycopy(gN, (i - lo) * dvp, gRow, 0, dv);
        gRow[dv] = gD[i - lo];
        return gRow;
    }

    private double[][] newStates() {
        return new double[factors][(dv + 1) * rp];
    }

    private static double[][] copy(double[][] a) {
        double[][] c = new double[a.length][];
        for (int t = 0; t < a.length; t++) {
            c[t] = a[t].clone();
        }
        return c;
    }
}
