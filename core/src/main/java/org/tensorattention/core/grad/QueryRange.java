package org.tensorattention.core.grad;

import org.tensorattention.core.Mask;

/**
 * The queries that may see key j of factor t: the mask is one interval per factor, lo(t, i) <= j <= hi(t, i),
 * and both ends grow with i, so the queries form an interval too. Found by bisection on the mask's own
 * bounds, so any interval mask works.
 */
final class QueryRange {
    private QueryRange() {
    }

    /** First query i in [0, nq) with hi(t, i) >= j, or nq when none. */
    static int first(Mask mask, int t, int j, int nq, int nk) {
        int lo = 0;
        int hi = nq;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (mask.hi(t, mid, nk) >= j) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return lo;
    }

    /** Last query i in [0, nq) with lo(t, i) <= j, or -1 when none. */
    static int last(Mask mask, int t, int j, int nq) {
        int lo = -1;
        int hi = nq - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (mask.lo(t, mid) <= j) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}
