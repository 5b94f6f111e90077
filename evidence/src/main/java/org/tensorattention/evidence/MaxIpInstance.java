package org.tensorattention.evidence;

import java.util.SplittableRandom;

/**
 * A 3-MaxIP instance: sets A, B, C of n vectors in {0,1}^d (d &lt;= 63, one long bit mask per vector) and a
 * threshold t; the question is whether some triple reaches {@code <a,b,c> = sum_l a_l b_l c_l >= t}.
 *
 * <p>{@link #random} makes the hardest kind this project can check: t is one more than the largest
 * inner product of the random sets, so without a plant every triple stays exactly one below reach at best
 * (a gap of 1/t), and a planted triple reaches t exactly.
 */
public record MaxIpInstance(int d, long[] a, long[] b, long[] c, int t, boolean planted) {

    public MaxIpInstance {
        if (d < 1 || d > 63) {
            throw new IllegalArgumentException("3-MaxIP vectors need 1 <= d <= 63, got " + d);
        }
        if (t < 1) {
            throw new IllegalArgumentException("threshold t must be at least 1, got " + t);
        }
        if (a.length == 0 || b.length == 0 || c.length == 0) {
            throw new IllegalArgumentException("3-MaxIP sets must not be empty");
        }
    }

    public int n() {
        return a.length;
    }

    /**
     * Random sets with each bit set with probability {@code density}; t = (max triple product) + 1, and,
     * when {@code plant}, one random triple (i, j1, j2) gets t shared coordinates so that it reaches t.
     */
    public static MaxIpInstance random(SplittableRandom rnd, int n, int d, double density, boolean plant) {
        if (n < 1) {
            throw new IllegalArgumentException("3-MaxIP needs n >= 1, got " + n);
        }
        long[] a = bits(rnd, n, d, density);
        long[] b = bits(rnd, n, d, density);
        long[] c = bits(rnd, n, d, density);
        int t = Math.max(1, maxProduct(a, b, c) + 1);
        if (t > d) {
            throw new IllegalArgumentException("density " + density + " leaves no room for a threshold above the maximum with d = " + d);
        }
        if (plant) {
            int i = rnd.nextInt(n);
            int j1 = rnd.nextInt(n);
            int j2 = rnd.nextInt(n);
            long shared = randomSubset(rnd, d, t);
            a[i] |= shared;
            b[j1] |= shared;
            c[j2] |= shared;
        }
        return new MaxIpInstance(d, a, b, c, t, plant);
    }

    private static long[] bits(SplittableRandom rnd, int n, int d, double density) {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < d; l++) {
                if (rnd.nextDouble() < density) {
                    v[i] |= 1L << l;
                }
            }
        }
        return v;
    }

    /** k distinct coordinates of {0..d-1}, as a bit mask. */
    private static long randomSubset(SplittableRandom rnd, int d, int k) {
        long m = 0;
        int have = 0;
        while (have < k) {
            int l = rnd.nextInt(d);
            if ((m & (1L << l)) == 0) {
                m |= 1L << l;
                have++;
            }
        }
        return m;
    }

    /** max over all triples of <a,b,c>. */
    static int maxProduct(long[] a, long[] b, long[] c) {
        int best = 0;
        for (long ai : a) {
            best = Math.max(best, maxFor(ai, b, c));
        }
        return best;
    }

    private static int maxFor(long ai, long[] b, long[] c) {
        int best = 0;
        for (long bj : b) {
            long ab = ai & bj;
            if (Long.bitCount(ab) <= best) {
                continue;
            }
            for (long ck : c) {
                best = Math.max(best, Long.bitCount(ab & ck));
            }
        }
        return best;
    }

    /** For each a_i, max over (j1, j2) of &lt;a_i, b_j1, c_j2>, by brute force (n^3 popcounts). */
    public int[] bestPerQuery() {
        int[] best = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            best[i] = maxFor(a[i], b, c);
        }
        return best;
    }

    /** For each a_i, whether some triple with it reaches t (brute force). */
    public boolean[] reachesPerQuery() {
        int[] best = bestPerQuery();
        boolean[] r = new boolean[best.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = best[i] >= t;
        }
        return r;
    }

    /** Whether some triple reaches t (brute force). */
    public boolean reaches() {
        for (boolean r : reachesPerQuery()) {
            if (r) {
                return true;
            }
        }
        return false;
    }

    /** Bit l of vector v as 0 or 1. */
    static int bit(long v, int l) {
        return (int) (v >>> l) & 1;
    }
}
