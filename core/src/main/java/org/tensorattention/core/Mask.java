package org.tensorattention.core;

import java.util.Arrays;

/**
 * Which key tuples J = (j_1, .., j_{k-1}) a query i may attend to.
 *
 * <p>Every mask here is a product of one interval per key factor, {@code lo(t, i) <= j_t <= hi(t, i)}:
 * full (every index), causal ({@code j_t <= i}) and window ({@code i - w_t < j_t <= i}). Kernels loop over
 * those intervals, so masked-out tuples are never visited.
 *
 * <p>{@code offsets} (empty unless {@link #shifted}) place a slice of a larger problem: query row i stands at
 * position {@code i + offsets[t]} against the rows of key factor t. That lets a query block and a window of
 * keys be computed on their own, with the mask of the whole problem.
 */
public record Mask(Kind kind, int[] windows, int[] offsets) {
    public enum Kind { FULL, CAUSAL, WINDOW }

    public static final Mask FULL = new Mask(Kind.FULL, new int[0]);
    public static final Mask CAUSAL = new Mask(Kind.CAUSAL, new int[0]);

    public Mask(Kind kind, int[] windows) {
        this(kind, windows, new int[0]);
    }

    public Mask {
        windows = windows == null ? new int[0] : windows.clone();
        offsets = offsets == null ? new int[0] : offsets.clone();
        if (kind == Kind.WINDOW) {
            if (windows.length == 0) {
                throw new IllegalArgumentException("a window mask needs one width per key factor");
            }
            for (int w : windows) {
                if (w < 1) {
                    throw new IllegalArgumentException("window widths must be at least 1, got " + w);
                }
            }
        } else if (windows.length != 0) {
            throw new IllegalArgumentException("only a window mask has widths");
        }
    }

    /** A sliding window, one width per key factor (implies causal). */
    public static Mask window(int... widths) {
        return new Mask(Kind.WINDOW, widths);
    }

    /**
     * This mask for a slice: query row i of the call is row {@code i0 + i} of the whole problem, and key row j
     * of factor t is row {@code j0_t + j}; then {@code offsets[t] = i0 - j0_t}. A full mask is unchanged.
     */
    public Mask shifted(int... offsets) {
        return kind == Kind.FULL ? this : new Mask(kind, windows, offsets);
    }

    /** Whether this mask places a slice ({@link #shifted}) rather than a whole problem. */
    public boolean isShifted() {
        return offsets.length != 0;
    }

    /** Position of query row i against the rows of key factor t. */
    private int position(int t, int i) {
        return offsets.length == 0 ? i : i + offsets[t];
    }

    public boolean isCausal() {
        return kind != Kind.FULL;
    }

    /** First allowed index of key factor t for query i. */
    public int lo(int t, int i) {
        return kind == Kind.WINDOW ? Math.max(0, position(t, i) - windows[t] + 1) : 0;
    }

    /** Last allowed index (inclusive) of key factor t, of length nk, for query i; below lo when none is. */
    public int hi(int t, int i, int nk) {
        return kind == Kind.FULL ? nk - 1 : Math.min(nk - 1, position(t, i));
    }

    /** Checks the mask against the order: a window needs exactly k - 1 widths. */
    public void checkOrder(int order) {
        if (kind == Kind.WINDOW && windows.length != order - 1) {
            throw new IllegalArgumentException("--window has " + windows.length + " widths but the order "
                    + order + " has " + (order - 1) + " key factors");
        }
        if (offsets.length != 0 && offsets.length != order - 1) {
            throw new IllegalArgumentException("a shifted mask needs one offset per key factor, got "
                    + offsets.length + " for order " + order);
        }
    }

    /** Number of allowed tuples for query i (as a double: it can pass 2^63 for large n and k). */
    public double allowed(int i, int[] nk) {
        double count = 1;
        for (int t = 0; t < nk.length; t++) {
            count *= Math.max(0, hi(t, i, nk[t]) - lo(t, i) + 1);
        }
        return count;
    }

    /** Parses a comma-separated width list such as {@code 3,2}. */
    public static Mask parseWindow(String s) {
        String[] parts = s.split(",", -1);
        int[] w = new int[parts.length];
        for (int t = 0; t < parts.length; t++) {
            try {
                w[t] = Integer.parseInt(parts[t].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--window expects widths like 3,2, got '" + s + "'");
            }
        }
        return window(w);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Mask m && m.kind == kind && Arrays.equals(m.windows, windows)
                && Arrays.equals(m.offsets, offsets);
    }

    @Override
    public int hashCode() {
        return (kind.hashCode() * 31 + Arrays.hashCode(windows)) * 31 + Arrays.hashCode(offsets);
    }

    @Override
    public String toString() {
        String base = kind == Kind.WINDOW ? "window" + Arrays.toString(windows) : kind.name().toLowerCase();
        return offsets.length == 0 ? base : base + " shifted " + Arrays.toString(offsets);
    }
}
