package org.tensorattention.core;

/**
 * The shape of one call after leading dimensions are resolved: {@code problems} independent attention
 * problems, each with nq queries of width d and k - 1 key/value factors of nk[t] rows.
 *
 * <p>Flat layouts (C order): problem p's queries start at {@code p * nq * d}, its output at
 * {@code p * nq * dv}, its log-sum-exp at {@code p * nq}; its factor t keys start at
 * {@code kvProblem[p] * nk[t] * d} and values at {@code kvProblem[p] * nk[t] * dv}. kvProblem maps query
 * heads onto shared key/value heads (grouped-query attention) and broadcast dimensions.
 */
public record Geometry(int problems, int nq, int[] nk, int d, int dv, int[] kvProblem) {

    public Geometry {
        nk = nk.clone();
        if (kvProblem.length != problems) {
            throw new IllegalArgumentException("kvProblem has " + kvProblem.length + " entries for " + problems + " problems");
        }
    }

    /** A batch of independent problems, each with its own keys and values. */
    public static Geometry simple(int problems, int nq, int[] nk, int d, int dv) {
        int[] map = new int[problems];
        for (int p = 0; p < problems; p++) {
            map[p] = p;
        }
        return new Geometry(problems, nq, nk, d, dv, map);
    }

    /** The order k = number of key factors + 1. */
    public int order() {
        return nk.length + 1;
    }

    /** Number of key/value problems (distinct kvProblem values are assumed to be 0..kvProblems-1). */
    public int kvProblems() {
        int max = -1;
        for (int p : kvProblem) {
            max = Math.max(max, p);
        }
        return max + 1;
    }

    public long qOffset(int p) {
        return (long) p * nq * d;
    }

    public long outOffset(int p) {
        return (long) p * nq * dv;
    }

    public long keyOffset(int p, int t) {
        return (long) kvProblem[p] * nk[t] * d;
    }

    public long valueOffset(int p, int t) {
        return (long) kvProblem[p] * nk[t] * dv;
    }

    /** Allowed key tuples summed over all queries of all problems. */
    public double tuples(Mask mask) {
        double total = 0;
        for (int i = 0; i < nq; i++) {
            total += mask.allowed(i, nk);
        }
        return total * problems;
    }

    /** The exact kernel's flop count: 2 (d + dv) per allowed (query, tuple) pair. */
    public double exactFlops(Mask mask) {
        return 2.0 * (d + dv) * tuples(mask);
    }

    /** The leading (batch, head) shape of an array: all but its last two dimensions. */
    public static int[] leading(Tensor t) {
        return java.util.Arrays.copyOf(t.shape(), t.rank() - 2);
    }

    /** lead followed by tail, e.g. an output shape from q's leading shape, nq and dv. */
    public static int[] concat(int[] lead, int... tail) {
        int[] s = java.util.Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, s, lead.length, tail.length);
        return s;
    }
}
