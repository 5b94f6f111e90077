package org.tensorattention.core.poly;

import java.util.Arrays;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Parallel;

/**
 * One problem's key rows as the masked scans move through them, shared by the forward scan and both sweeps of
 * the masked backward: per factor t a state (S_t, z_t) over the keys the current query sees, moved one query
 * at a time, and the start states of parallel chunks of a causal scan.
 *
 * @param phi  scratch for one key row's features (rank)
 * @param vrow scratch for one value row, padded to a whole number of vectors
 */
record KeyScan(Geometry g, int p, Mask mask, FeatureMap fm, double[][] k, double[][] v, double[] phi,
               double[] vrow) {

    static KeyScan of(Geometry g, int p, Mask mask, FeatureMap fm, double[][] k, double[][] v) {
        return new KeyScan(g, p, mask, fm, k, v, new double[fm.rank], new double[Moments.padded(g.dv())]);
    }

    /**
     * Moves factor t's state from query i - 1 to query i, in a chunk whose first row is lo: causal adds key
     * i + offset_t; a window also drops the key leaving it, and recomputes its state from scratch every w_t
     * rows so that rounding never builds up over more than 2 w_t rows.
     */
    void advance(int t, int i, int lo, double[] s, double[] z) {
        int nk = g.nk()[t];
        long pos = (long) i + PolyScans.offset(mask, t);
        if (PolyScans.causal(mask)) {
            addKeyIfPresent(t, pos, 1, s, z);
            return;
        }
        int w = PolyScans.width(mask, t);
        if ((i - lo) % w == 0) {
            Arrays.fill(s, 0);
            Arrays.fill(z, 0);
            PolyForward.keyMomentsSerial(fm, k[t], g.keyOffset(p, t), v[t], g.valueOffset(p, t), g.dv(),
                    (int) Math.max(0, Math.min(nk, pos - w + 1)), (int) Math.max(0, Math.min(pos + 1, nk)), s, z);
            return;
        }
        addKeyIfPresent(t, pos, 1, s, z);
        addKeyIfPresent(t, pos - w, -1, s, z);
    }

    /** Adds (sign 1) or removes (sign -1) key row j of factor t, when it exists, into the state (s, z). */
    void addKeyIfPresent(int t, long j, double sign, double[] s, double[] z) {
        if (j < 0 || j >= g.nk()[t]) {
            return;
        }
        fm.keyRow(k[t], (int) (g.keyOffset(p, t) + j * g.d()), phi);
        System.arraycopy(v[t], (int) (g.valueOffset(p, t) + j * g.dv()), vrow, 0, g.dv());
        Moments.addRow(phi, vrow, sign, fm.rank, vrow.length, s, z);
    }

    /** Row bounds of count chunks of [0, nq). */
    static int[] chunkBounds(int nq, int count) {
        int[] bound = new int[count + 1];
        for (int c = 0; c <= count; c++) {
            bound[c] = (int) ((long) nq * c / count);
        }
        return bound;
    }

    /**
     * The states before each chunk's first row, [chunk][factor]: for a causal mask the prefix of key moments
     * (chunk totals in parallel, then a prefix over chunks; the first chunk's holds the keys before row 0);
     * otherwise null, as a window restarts from scratch.
     */
    static States starts(Geometry g, int p, Mask mask, FeatureMap fm, double[][] k, double[][] v, int[] bound,
                         int threads) {
        int chunks = bound.length - 1;
        int factors = g.order() - 1;
        States start = new States(new double[chunks][factors][], new double[chunks][factors][]);
        if (!PolyScans.causal(mask)) {
            return start;
        }
        int rank = fm.rank;
        int dvp = Moments.padded(g.dv());
        States total = new States(new double[chunks][factors][], new double[chunks][factors][]);
        Parallel.forEach(chunks * factors, threads, task -> {
            int c = task / factors;
            int t = task % factors;
            double[] s = new double[rank * dvp];
            double[] z = new double[rank];
            int nk = g.nk()[t];
            int from = c == 0 ? 0 : PolyScans.keysBefore(mask, t, bound[c - 1], nk);
            PolyForward.keyMomentsSerial(fm, k[t], g.keyOffset(p, t), v[t], g.valueOffset(p, t), g.dv(), from,
                    PolyScans.keysBefore(mask, t, bound[c], nk), s, z);
            total.s[c][t] = s;
            total.z[c][t] = z;
        });
        for (int t = 0; t < factors; t++) {
            double[] s = new double[rank * dvp];
            double[] z = new double[rank];
            for (int c = 0; c < chunks; c++) {
                PolyForward.add(s, total.s[c][t]);
                PolyForward.add(z, total.z[c][t]);
                start.s[c][t] = s.clone();
                start.z[c][t] = z.clone();
            }
        }
        return start;
    }

    /** Per chunk and factor, a state's S (rank x dvp) and z (rank). */
    record States(double[][][] s, double[][][] z) {
    }
}
