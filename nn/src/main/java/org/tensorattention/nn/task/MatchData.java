package org.tensorattention.nn.task;

import java.util.SplittableRandom;

/**
 * Match3 / Match2 sequences of n tokens in {0..M-1}.
 *
 * <p>Sampling scheme (balanced labels): each sequence first draws a set of {@code s} distinct residues
 * uniformly from Z_M, then its n tokens uniformly from that set. With s = M this is plain uniform sampling,
 * where almost every label is 1 unless M grows like n^2 (Match3) or n (Match2); a smaller s thins out the
 * pair sums so that, for a fixed M, about half the labels are 1. {@link #balancedSubset} picks that s by
 * simulation with a fixed seed, so the choice is reproducible.
 */
public final class MatchData {
    private final Task task;
    private final int length;
    private final int modulus;
    private final int subset;

    public MatchData(Task task, int length, int modulus, int subset) {
        if (length < 1) {
            throw new IllegalArgumentException("sequence length n must be at least 1, got " + length);
        }
        if (modulus < 2) {
            throw new IllegalArgumentException("modulus M must be at least 2, got " + modulus);
        }
        if (subset < 1 || subset > modulus) {
            throw new IllegalArgumentException("subset size must lie in 1.." + modulus + ", got " + subset);
        }
        this.task = task;
        this.length = length;
        this.modulus = modulus;
        this.subset = subset;
    }

    /** The generator with the subset size that makes about half the labels 1. */
    public static MatchData balanced(Task task, int length, int modulus) {
        return new MatchData(task, length, modulus, balancedSubset(task, length, modulus));
    }

    public Task task() {
        return task;
    }

    public int length() {
        return length;
    }

    public int modulus() {
        return modulus;
    }

    public int subset() {
        return subset;
    }

    /** {@code count} sequences with their labels. */
    public Batch sample(SplittableRandom rnd, int count) {
        int[][] tokens = new int[count][];
        int[][] labels = new int[count][];
        for (int b = 0; b < count; b++) {
            tokens[b] = sequence(rnd);
            labels[b] = labels(task, tokens[b], modulus);
        }
        return new Batch(tokens, labels);
    }

    private int[] sequence(SplittableRandom rnd) {
        // A partial Fisher-Yates shuffle draws s distinct residues.
        int[] residues = new int[modulus];
        for (int r = 0; r < modulus; r++) {
            residues[r] = r;
        }
        for (int r = 0; r < subset; r++) {
            int pick = r + rnd.nextInt(modulus - r);
            int keep = residues[r];
            residues[r] = residues[pick];
            residues[pick] = keep;
        }
        int[] x = new int[length];
        for (int i = 0; i < length; i++) {
            x[i] = residues[rnd.nextInt(subset)];
        }
        return x;
    }

    /** Labels of one sequence: which sums of one (Match2) or two (Match3) tokens exist, then a look-up per position. */
    public static int[] labels(Task task, int[] x, int modulus) {
        for (int v : x) {
            if (v < 0 || v >= modulus) {
                throw new IllegalArgumentException("token " + v + " outside 0.." + (modulus - 1));
            }
        }
        boolean[] reachable = new boolean[modulus];
        if (task == Task.MATCH2) {
            for (int v : x) {
                reachable[v] = true;
            }
        } else {
            boolean[] present = new boolean[modulus];
            for (int v : x) {
                present[v] = true;
            }
            for (int a = 0; a < modulus; a++) {
                if (!present[a]) {
                    continue;
                }
                for (int b = a; b < modulus; b++) {
                    if (present[b]) {
                        reachable[(a + b) % modulus] = true;
                    }
                }
            }
        }
        int[] y = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = reachable[(modulus - x[i]) % modulus] ? 1 : 0;
        }
        return y;
    }

    /** Fraction of positive labels over {@code count} sequences drawn with a fixed seed. */
    public double positiveRate(int count) {
        return sample(new SplittableRandom(0x5eed), count).positiveRate();
    }

    /**
     * The subset size s in 1..M whose positive rate is closest to one half (simulated, fixed seed). When even
     * uniform sampling stays below one half (Match2 with M much larger than 2n), that is s = M.
     */
    public static int balancedSubset(Task task, int length, int modulus) {
        int best = modulus;
        double bestGap = Double.POSITIVE_INFINITY;
        // The rate grows with s; bisect, then compare the two neighbours of the crossing.
        int lo = 1;
        int hi = modulus;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (new MatchData(task, length, modulus, mid).positiveRate(400) < 0.5) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        for (int s = Math.max(1, lo - 1); s <= Math.min(modulus, lo); s++) {
            double gap = Math.abs(new MatchData(task, length, modulus, s).positiveRate(2000) - 0.5);
            if (gap < bestGap) {
                bestGap = gap;
                best = s;
            }
        }
        return best;
    }
}
