package org.tensorattention.core.poly;

/**
 * The multisets of {0..d-1} of size at most g, in a stable order: graded by size, then lexicographic
 * (as non-decreasing sequences). Multiset L of size j >= 1 is its parent (L without its largest element,
 * which comes earlier in the order) plus that element, so monomials x^L = x^{parent} * x_{last} are built
 * with one multiplication each, in order.
 *
 * <p>Index 0 is the empty multiset. There are r = C(d + g, g) of them.
 */
final class Multisets {
    final int d;
    final int degree;
    final int rank;
    /** parent[L]: index of L minus its largest element (-1 for the empty set). */
    final int[] parent;
    /** last[L]: the largest element of L. */
    final int[] last;
    /** size[L] = |L|. */
    final int[] size;
    /** mult[L] = |L|! / prod_l (count of l in L)!, the multinomial coefficient. */
    final double[] mult;
    /** First index of each size: sizes j occupy [start[j], start[j+1]). */
    final int[] start;

    Multisets(int d, int degree) {
        long r = rank(d, degree);
        if (r > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("rank C(" + (d + degree) + ", " + degree + ") = " + r + " is too large");
        }
        this.d = d;
        this.degree = degree;
        this.rank = (int) r;
        parent = new int[rank];
        last = new int[rank];
        size = new int[rank];
        mult = new double[rank];
        start = new int[degree + 2];
        // run[L]: how many times last[L] occurs in L, for the multinomial update.
        int[] run = new int[rank];
        parent[0] = -1;
        last[0] = -1;
        mult[0] = 1;
        int next = 1;
        start[0] = 0;
        start[1] = 1;
        for (int j = 1; j <= degree; j++) {
            for (int p = start[j - 1]; p < start[j]; p++) {
                int from = Math.max(last[p], 0);
                for (int l = from; l < d; l++) {
                    parent[next] = p;
                    last[next] = l;
                    size[next] = j;
                    run[next] = l == last[p] ? run[p] + 1 : 1;
                    // j! / prod counts! grows by j / (new count of l).
                    mult[next] = mult[p] * j / run[next];
                    next++;
                }
            }
            start[j + 1] = next;
        }
    }

    /** C(d + g, g) as a long, saturating at Long.MAX_VALUE. */
    static long rank(int d, int g) {
        long r = 1;
        for (int j = 1; j <= g; j++) {
            // r * (d + j) / j stays exact: r = C(d + j - 1, j - 1).
            try {
                r = Math.multiplyExact(r, (long) (d + j)) / j;
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE;
            }
        }
        return r;
    }

    /** C(d + g, g) as a double (for cost models past the long range). */
    static double rankAsDouble(int d, int g) {
        double r = 1;
        for (int j = 1; j <= g; j++) {
            r = r * (d + j) / j;
        }
        return r;
    }
}
