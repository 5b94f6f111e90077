package org.tensorattention.core.grad;

import java.util.Arrays;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * One thread's share of the exact backward pass for one key/value problem, with its own partial sums of
 * dQ (for every query problem of the group), dK_t and dV_t, so threads never write the same memory.
 *
 * <p>The last key factor is streamed in tiles; the other factors form an outer tuple J' = (j_1..j_{k-2}).
 * For fixed J' the work is ordinary attention with modulated queries Qm = c Q ∘ prod K_t[j_t] and modulated
 * output gradients dOm = dO ∘ prod V_t[j_t] (FlashAttention-2's backward, one tile of queries at a time):
 * S = Qm K^T, P = exp(S - lse), dP = dOm V^T, dS = P ∘ (dP - Delta). Then five products in all:
 * T = dS K gives dQ = T ∘ prod K_t[j_t]; G = dS^T (c Q) and R = P^T dO, summed over every query of J',
 * give dK_last = G ∘ prod K_t[j_t] and dV_last = R ∘ prod V_t[j_t] (the modulation is constant per
 * column), and also the outer factors' gradients: sum_j G[j] ∘ K_last[j] and sum_j R[j] ∘ V_last[j]
 * (times the other outer factors). Forming U = P V for the values would cost a sixth product.
 */
final class BackwardWorker {
    static final int TILE_ROWS = 32;
    static final int TILE_COLS = 64;

    private final BackwardJob job;
    private final Geometry g;
    private final Mask mask;
    private final int factors;
    private final int last;
    private final int d;
    private final int dv;
    private final int nq;
    private final int nLast;
    private final double scale;

    /** Partial sums: dq over the group's query problems, dk and dv of this key/value problem. */
    final double[] dq;
    final double[][] dk;
    final double[][] dvs;

    private final double[] gAcc;
    private final double[] rAcc;
    private final double[] tAcc;
    private final double[][] kProd;
    private final double[][] vProd;
    private final int[] outer;
    private final double[] w;
    private final double[] z;
    private final double[] leaveOut;
    private final double[] scaledKProd;
    private final BackwardTiles tiles;
    private final int band;
    /** Keys of the last factor the pair band allows with the current outer tuple. */
    int innerLo;
    int innerHi = Integer.MAX_VALUE;

    BackwardWorker(BackwardJob job) {
        this.job = job;
        g = job.g();
        mask = job.mask();
        factors = g.order() - 1;
        last = factors - 1;
        d = g.d();
        dv = g.dv();
        nq = g.nq();
        nLast = g.nk()[last];
        scale = job.scale();
        dq = new double[job.group().length * nq * d];
        dk = new double[factors][];
        dvs = new double[factors][];
        for (int t = 0; t < factors; t++) {
            dk[t] = new double[g.nk()[t] * d];
            dvs[t] = new double[g.nk()[t] * dv];
        }
        // Order 2 has no outer factor: G and R go straight into dK and dV.
        gAcc = factors == 1 ? dk[0] : new double[nLast * d];
        rAcc = factors == 1 ? dvs[0] : new double[nLast * dv];
        tAcc = new double[TILE_ROWS * d];
        kProd = new double[factors][d];
        vProd = new double[factors][dv];
        Arrays.fill(kProd[0], 1.0);
        Arrays.fill(vProd[0], 1.0);
        outer = new int[factors];
        w = new double[d];
        z = new double[dv];
        leaveOut = new double[Math.max(d, dv)];
        scaledKProd = new double[d];
        band = mask.band();
        BackwardJob.Float32 f = job.f32();
        tiles = f == null ? new TileMath.Rows(job, job.q(), job.k()[last], job.dout(), job.kT(), job.vT())
                : new FloatTileMath.Rows(job, f.q(), f.kLast(), f.dout(), f.kT(), f.vT());
    }

    /** Tasks per query problem: one per first-factor key (order >= 3) or per query tile (order 2). */
    static int tasksPerProblem(Geometry g) {
        return g.order() >= 3 ? g.nk()[0] : (g.nq() + TILE_ROWS - 1) / TILE_ROWS;
    }

    void run(int task) {
        int per = tasksPerProblem(g);
        int member = task / per;
        int index = task % per;
        if (factors == 1) {
            int a = index * TILE_ROWS;
            int b = Math.min(nq, a + TILE_ROWS);
            int jLo = mask.lo(last, a);
            int jHi = mask.hi(last, b - 1, nLast);
            if (jLo <= jHi) {
                tiles.begin(jLo, jHi);
                rows(member, a, b);
                tiles.finish(jLo, jHi, gAcc, rAcc);
            }
        } else {
            chooseOuter(member, 0, index, 0, nq - 1);
        }
    }

    /** Fixes j_t = j given the query interval [lo, hi] the earlier factors allow, then goes deeper. */
    private void chooseOuter(int member, int t, int j, int lo, int hi) {
        lo = Math.max(lo, QueryRange.first(mask, t, j, nq, g.nk()[t]));
        hi = Math.min(hi, QueryRange.last(mask, t, j, nq));
        if (lo > hi) {
            return;
        }
        outer[t] = j;
        double[] kt = job.k()[t];
        double[] vt = job.v()[t];
        int ko = job.keyRow(t, j);
        int vo = job.valueRow(t, j);
        for (int l = 0; l < d; l++) {
            kProd[t + 1][l] = kProd[t][l] * kt[ko + l];
        }
        for (int l = 0; l < dv; l++) {
            vProd[t + 1][l] = vProd[t][l] * vt[vo + l];
        }
        int least = outer[0];
        int most = outer[0];
        for (int u = 1; u <= t; u++) {
            least = Math.min(least, outer[u]);
            most = Math.max(most, outer[u]);
        }
        // The pair band: every later index lies within B of all indices chosen so far.
        int bandLo = Mask.bandLo(band, most);
        int bandHi = Mask.bandHi(band, least);
        if (t + 1 < last) {
            for (int next = bandLo; next < g.nk()[t + 1] && next <= bandHi; next++) {
                chooseOuter(member, t + 1, next, lo, hi);
            }
            return;
        }
        innerLo = bandLo;
        innerHi = bandHi;
        int jLo = Math.max(mask.lo(last, lo), bandLo);
        int jHi = Math.min(mask.hi(last, hi, nLast), bandHi);
        if (jLo > jHi) {
            return;
        }
        Arrays.fill(gAcc, jLo * d, (jHi + 1) * d, 0);
        Arrays.fill(rAcc, jLo * dv, (jHi + 1) * dv, 0);
        tiles.begin(jLo, jHi);
        for (int a = lo; a <= hi; a += TILE_ROWS) {
            rows(member, a, Math.min(hi + 1, a + TILE_ROWS));
        }
        tiles.finish(jLo, jHi, gAcc, rAcc);
        lastFactorGradients(jLo, jHi);
        outerGradients();
    }

    /** dK_last += G ∘ kProd and dV_last += R ∘ vProd; w = sum_j G[j] ∘ K_last[j], z likewise for values. */
    private void lastFactorGradients(int jLo, int jHi) {
        double[] kp = kProd[last];
        double[] vp = vProd[last];
        double[] kL = job.k()[last];
        double[] vL = job.v()[last];
        int kOff = job.keyRow(last, 0);
        int vOff = job.valueRow(last, 0);
        int ks = g.keyStride();
        int vs = g.valueStride();
        Arrays.fill(w, 0);
        Arrays.fill(z, 0);
        double[] dkL = dk[last];
        double[] dvL = dvs[last];
        for (int j = jLo; j <= jHi; j++) {
            TileMath.addProduct(gAcc, j * d, kp, 0, dkL, j * d, d);
            TileMath.addProduct(gAcc, j * d, kL, kOff + j * ks, w, 0, d);
            TileMath.addProduct(rAcc, j * dv, vp, 0, dvL, j * dv, dv);
            TileMath.addProduct(rAcc, j * dv, vL, vOff + j * vs, z, 0, dv);
        }
    }

    /** dK_t[j_t] += w ∘ prod_{u != t} K_u[j_u] and dV_t[j_t] += z ∘ prod_{u != t} V_u[j_u], u outer. */
    private void outerGradients() {
        for (int t = 0; t < last; t++) {
            leaveOneOut(job.k(), true, t, d);
            int ko = outer[t] * d;
            for (int l = 0; l < d; l++) {
                dk[t][ko + l] += w[l] * leaveOut[l];
            }
            leaveOneOut(job.v(), false, t, dv);
            int vo = outer[t] * dv;
            for (int l = 0; l < dv; l++) {
                dvs[t][vo + l] += z[l] * leaveOut[l];
            }
        }
    }

    private void leaveOneOut(double[][] factor, boolean keys, int skip, int width) {
        Arrays.fill(leaveOut, 0, width, 1.0);
        for (int u = 0; u < last; u++) {
            if (u == skip) {
                continue;
            }
            int off = keys ? job.keyRow(u, outer[u]) : job.valueRow(u, outer[u]);
            for (int l = 0; l < width; l++) {
                leaveOut[l] *= factor[u][off + l];
            }
        }
    }

    /** Queries [a, b) of group member against every allowed key of the last factor, tile by tile. */
    private void rows(int member, int a, int b) {
        int rows = b - a;
        Arrays.fill(tAcc, 0, rows * d, 0);
        tiles.rows(job.group()[member], a, b, kProd[last], vProd[last], tAcc, innerLo, innerHi);
        addToDq(member, a, rows);
    }

    /** dQ[i] += c T[i] ∘ prod K_t[j_t] for the rows of the tile just done. */
    private void addToDq(int member, int a, int rows) {
        double[] kp = kProd[last];
        for (int l = 0; l < d; l++) {
            scaledKProd[l] = scale * kp[l];
        }
        int dqo = member * nq * d;
        for (int r = 0; r < rows; r++) {
            TileMath.addProduct(tAcc, r * d, scaledKProd, 0, dq, dqo + (a + r) * d, d);
        }
    }
}
