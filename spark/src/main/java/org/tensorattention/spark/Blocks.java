package org.tensorattention.spark;

import org.tensorattention.core.Mask;

/** Cuts query rows into blocks of about equal work and finds the key rows a block can see. */
final class Blocks {
    private Blocks() {
    }

    /**
     * Bounds b_0 = 0 < b_1 < .. < b_m = nq of at most {@code blocks} blocks holding about equal numbers of
     * allowed tuples: under a causal mask query i sees (i+1)^{k-1} of them, so equal lengths would leave the
     * last block with most of the work.
     */
    static int[] cut(Mask mask, int nq, int[] nk, int blocks) {
        int m = Math.max(1, Math.min(blocks, nq));
        double[] cum = new double[nq + 1];
        for (int i = 0; i < nq; i++) {
            // A row costs something even when it sees little: count at least one tuple.
            cum[i + 1] = cum[i] + Math.max(1, mask.allowed(i, nk));
        }
        int[] bounds = new int[m + 1];
        int i = 0;
        for (int b = 1; b < m; b++) {
            double target = cum[nq] * b / m;
            while (i < nq && cum[i] < target) {
                i++;
            }
            bounds[b] = Math.min(Math.max(i, bounds[b - 1] + 1), nq - (m - b));
        }
        bounds[m] = nq;
        return bounds;
    }

    /** Blocks per problem: about two tasks per core over all problems, unless set. */
    static int perProblem(Settings s, int problems, int cores) {
        if (s.queryBlocks() > 0) {
            return s.queryBlocks();
        }
        return Math.max(1, (2 * cores + problems - 1) / problems);
    }

    /** First key row of factor t that some query of [i0, i1) sees (masks are monotone in the row). */
    static int firstKey(Mask mask, int t, int i0) {
        return mask.lo(t, i0);
    }

    /** One past the last key row of factor t that some query of [i0, i1) sees. */
    static int endKey(Mask mask, int t, int i1, int nk) {
        return mask.hi(t, i1 - 1, nk) + 1;
    }

    /** Whether some query row of [i0, i1) sees a tuple inside the key ranges [j0_t, j1_t). */
    static boolean visible(Mask mask, int i0, int i1, int[] j0, int[] j1, int[] nk) {
        for (int i = i0; i < i1; i++) {
            boolean all = true;
            for (int t = 0; t < j0.length && all; t++) {
                all = Math.max(j0[t], mask.lo(t, i)) <= Math.min(j1[t] - 1, mask.hi(t, i, nk[t]));
            }
            if (all) {
                return true;
            }
        }
        return false;
    }
}
