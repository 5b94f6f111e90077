package org.tensorattention.core;

/**
 * The shape of one call after leading dimensions are resolved: {@code problems} independent attention
 * problems, each with nq queries of width d and k - 1 key/value factors of nk[t] rows.
 *
 * <p>Flat layouts (C order): problem p's queries start at {@code p * nq * d}, its output at
 * {@code p * nq * dv}, its log-sum-exp at {@code p * nq}; its factor t keys start at
 * {@code kvProblem[p] * nk[t] * d} and values at {@code kvProblem[p] * nk[t] * dv}. kvProblem maps query
 * heads onto shared key/value heads (grouped-query attention) and broadcast dimensions.
 *
 * <p>The bshd layout (batch, seq, heads, dim) interleaves the heads between the rows: qHeads (kvHeads) is the
 * number of heads whose rows alternate, 1 for bhsd. The kernels read and write rows through {@link #qRow},
 * {@link #keyRow}, {@link #valueRow}, {@link #outRow} and {@link #lseAt}, which hold for both layouts; the
 * offsets above describe bhsd only (the order of the polynomial method's float64 copies, which it gathers
 * from either layout).
 */
public record Geometry(int problems, int nq, int[] nk, int d, int dv, int[] kvProblem, int qHeads, int kvHeads) {

    public Geometry {
        nk = nk.clone();
        if (kvProblem.length != problems) {
            throw new IllegalArgumentException("kvProblem has " + kvProblem.length + " entries for " + problems + " problems");
        }
    }

    /** The bhsd layout: each problem's rows contiguous. */
    public Geometry(int problems, int nq, int[] nk, int d, int dv, int[] kvProblem) {
        this(problems, nq, nk, d, dv, kvProblem, 1, 1);
    }

    /** The same problems laid out bshd: qHeads query heads and kvHeads key/value heads interleaved by row. */
    public Geometry interleaved(int qHeads, int kvHeads) {
        return new Geometry(problems, nq, nk, d, dv, kvProblem, qHeads, kvHeads);
    }

    /** Where query row i of problem p starts; its output row is at {@link #outRow}, its lse at {@link #lseAt}. */
    public long qRow(int p, int i) {
        return rowIndex(p, nq, i, qHeads) * d;
    }

    public long outRow(int p, int i) {
        return rowIndex(p, nq, i, qHeads) * dv;
    }

    public long lseAt(int p, int i) {
        return rowIndex(p, nq, i, qHeads);
    }

    /** Where row j of key factor t starts for problem p; {@link #keyStride} apart. */
    public long keyRow(int p, int t, int j) {
        return rowIndex(kvProblem[p], nk[t], j, kvHeads) * d;
    }

    public long valueRow(int p, int t, int j) {
        return rowIndex(kvProblem[p], nk[t], j, kvHeads) * dv;
    }

    /** Distance between consecutive query rows of one problem: d in bhsd; {@link #outStride} for its output. */
    public int queryStride() {
        return qHeads * d;
    }

    public int outStride() {
        return qHeads * dv;
    }

    /** Distance between the lse entries of consecutive queries of one problem: 1 in bhsd. */
    public int lseStride() {
        return qHeads;
    }

    /** Distance between consecutive key rows: d in bhsd. */
    public int keyStride() {
        return kvHeads * d;
    }

    public int valueStride() {
        return kvHeads * dv;
    }

    /** Row i of problem p (of rows each), counted in rows: the heads of one batch entry alternate in bshd. */
    private static long rowIndex(int p, int rows, int i, int heads) {
        return ((long) (p / heads) * rows + i) * heads + p % heads;
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
