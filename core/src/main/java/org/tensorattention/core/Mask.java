package org.tensorattention.core;

import java.util.Arrays;

/**
 * Which key tuples J = (j_1, .., j_{k-1}) a query i may attend to.
 *
 * <p>The contract the kernels rely on: every mask is one interval per key factor,
 * {@code lo(t, i) <= j_t <= hi(t, i, nk_t)}, optionally cut by a pair band ({@code max_t j_t - min_t j_t < B}),
 * and both ends of every interval never decrease as i grows. Kernels loop over those intervals, so masked-out
 * tuples are never visited; {@link #checkMonotone} checks the contract for a call's sizes.
 *
 * <ul>
 * <li>{@link Full}: every index.</li>
 * <li>{@link Window}: query i sits at position {@code p_t = i + offset_t} against factor t and sees
 * {@code p_t - w_t < j_t <= p_t}; causal is a window of unbounded width. The facade aligns it bottom-right
 * ({@code offset_t = nk_t - nq}, as FlashAttention does) unless it was {@link #shifted} explicitly.</li>
 * <li>{@link Banded}: another mask cut by a pair band.</li>
 * </ul>
 */
public sealed interface Mask permits Mask.Full, Mask.Window, Mask.Banded {
    /** A window width that never cuts: causal. */
    int UNBOUNDED = Integer.MAX_VALUE;

    Mask FULL = new Full();
    Mask CAUSAL = new Window(new int[0], new int[0]);

    /** Every key tuple. */
    record Full() implements Mask {
        @Override
        public int lo(int t, int i) {
            return 0;
        }

        @Override
        public int hi(int t, int i, int nk) {
            return nk - 1;
        }

        @Override
        public String toString() {
            return "full";
        }
    }

    /**
     * A causal window per key factor. widths empty means unbounded for every factor (causal, any order);
     * offsets empty means position i for every factor.
     */
    record Window(int[] widths, int[] offsets) implements Mask {
        public Window {
            widths = widths.clone();
            offsets = offsets.clone();
            for (int w : widths) {
                if (w < 1) {
                    throw new IllegalArgumentException("window widths must be at least 1, got " + w);
                }
            }
        }

        public int width(int t) {
            return widths.length == 0 ? UNBOUNDED : widths[t];
        }

        public int offset(int t) {
            return offsets.length == 0 ? 0 : offsets[t];
        }

        /** Whether every factor is unbounded: plain causal. */
        public boolean causal() {
            for (int w : widths) {
                if (w != UNBOUNDED) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int lo(int t, int i) {
            int w = width(t);
            // long: i + offset - w + 1 overflows for an unbounded width.
            return w == UNBOUNDED ? 0 : (int) Math.max(0L, (long) i + offset(t) - w + 1);
        }

        @Override
        public int hi(int t, int i, int nk) {
            return (int) Math.min(nk - 1L, (long) i + offset(t));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Window m && Arrays.equals(m.widths, widths) && Arrays.equals(m.offsets, offsets);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(widths) * 31 + Arrays.hashCode(offsets);
        }

        @Override
        public String toString() {
            String base = causal() ? "causal" : "window" + Arrays.toString(widths);
            return offsets.length == 0 ? base : base + " at offsets " + Arrays.toString(offsets);
        }
    }

    /** base cut by a pair band: only tuples with max_t j_t - min_t j_t < band. */
    record Banded(Mask base, int band) implements Mask {
        public Banded {
            if (band < 1) {
                throw new IllegalArgumentException("the band must be at least 1, got " + band);
            }
            if (base instanceof Banded) {
                throw new IllegalArgumentException("a band applies to a full or window mask");
            }
        }

        @Override
        public int lo(int t, int i) {
            return base.lo(t, i);
        }

        @Override
        public int hi(int t, int i, int nk) {
            return base.hi(t, i, nk);
        }

        @Override
        public String toString() {
            return base + " band " + band;
        }
    }

    /** The interval shape as a tag, for callers that still branch on it (new code switches on the type). */
    @Deprecated
    enum Kind { FULL, CAUSAL, WINDOW }

    /** The tag of {@link #intervals()}: full, causal (every width unbounded) or window. */
    @Deprecated
    default Kind kind() {
        return switch (intervals()) {
            case Full f -> Kind.FULL;
            case Window w -> w.causal() ? Kind.CAUSAL : Kind.WINDOW;
            case Banded b -> throw new IllegalStateException("a band inside a band");
        };
    }

    /** The window widths (empty unless {@link #kind()} is WINDOW). */
    @Deprecated
    default int[] windows() {
        return intervals() instanceof Window w && !w.causal() ? w.widths().clone() : new int[0];
    }

    /** A sliding window, one width per key factor (implies causal). */
    static Mask window(int... widths) {
        if (widths.length == 0) {
            throw new IllegalArgumentException("a window mask needs one width per key factor");
        }
        return new Window(widths, new int[0]);
    }

    /** First allowed index of key factor t for query i (the band aside). */
    int lo(int t, int i);

    /** Last allowed index (inclusive) of key factor t, of length nk, for query i; below lo when none is. */
    int hi(int t, int i, int nk);

    /** The pair band B (tuples with max_t j_t - min_t j_t < B); UNBOUNDED when none. */
    default int band() {
        return this instanceof Banded b ? b.band() : UNBOUNDED;
    }

    /** Lowest index a band allows beside indices up to max: max - B + 1 (0 without a band). */
    static int bandLo(int band, int max) {
        return band == UNBOUNDED ? 0 : Math.max(0, max - band + 1);
    }

    /** Highest index a band allows beside indices from min: min + B - 1 (MAX_VALUE without a band). */
    static int bandHi(int band, int min) {
        return band == UNBOUNDED ? Integer.MAX_VALUE : (int) Math.min(Integer.MAX_VALUE, (long) min + band - 1);
    }

    /** The per-factor interval mask under the band. */
    default Mask intervals() {
        return this instanceof Banded b ? b.base() : this;
    }

    /** This mask cut by a pair band B >= 1. */
    default Mask withBand(int band) {
        return new Banded(intervals(), band);
    }

    default boolean isCausal() {
        return intervals() instanceof Window;
    }

    /** Whether the positions were placed explicitly (a slice of a larger problem, or aligned). */
    default boolean isShifted() {
        return intervals() instanceof Window w && w.offsets().length != 0;
    }

    /**
     * This mask for a slice: query row i of the call stands at position {@code i + offsets[t]} against the rows
     * of key factor t. A full mask is unchanged. A shifted mask is not aligned again.
     */
    default Mask shifted(int... offsets) {
        return switch (this) {
            case Full f -> f;
            case Window w -> new Window(w.widths(), offsets);
            case Banded b -> new Banded(b.base().shifted(offsets), b.band());
        };
    }

    /**
     * Aligned bottom-right for nq queries against factors of nk_t rows: query i at position nk_t - nq + i.
     * Unchanged when nq = nk_t for every factor or when already shifted.
     */
    default Mask aligned(int nq, int[] nk) {
        if (isShifted() || intervals() instanceof Full || nq == 0) {
            return this;
        }
        int[] off = new int[nk.length];
        boolean any = false;
        for (int t = 0; t < nk.length; t++) {
            off[t] = nk[t] - nq;
            any |= off[t] != 0;
        }
        return any ? shifted(off) : this;
    }

    /** Checks the mask against the order: a window needs exactly k - 1 widths, a shift k - 1 offsets. */
    default void checkOrder(int order) {
        if (intervals() instanceof Window w) {
            if (w.widths().length != 0 && w.widths().length != order - 1) {
                throw new IllegalArgumentException("the window has " + w.widths().length + " widths but order "
                        + order + " has " + (order - 1) + " key factors");
            }
            if (w.offsets().length != 0 && w.offsets().length != order - 1) {
                throw new IllegalArgumentException("a shifted mask needs one offset per key factor, got "
                        + w.offsets().length + " for order " + order);
            }
        }
    }

    /** Checks the monotone-interval contract for nq queries: lo and hi never decrease as i grows. */
    default void checkMonotone(int nq, int[] nk) {
        for (int t = 0; t < nk.length; t++) {
            for (int i = 1; i < nq; i++) {
                if (lo(t, i) < lo(t, i - 1) || hi(t, i, nk[t]) < hi(t, i - 1, nk[t])) {
                    throw new IllegalStateException("mask " + this + " breaks the monotone-interval contract at"
                            + " factor " + t + ", query " + i);
                }
            }
        }
    }

    /** Number of allowed tuples for query i (as a double: it can pass 2^63 for large n and k). */
    default double allowed(int i, int[] nk) {
        int b = band();
        if (b == UNBOUNDED || nk.length == 1) {
            double count = 1;
            for (int t = 0; t < nk.length; t++) {
                count *= Math.max(0, hi(t, i, nk[t]) - lo(t, i) + 1);
            }
            return count;
        }
        // Tuples whose smallest index is m and all indices lie in [m, m + B - 1], summed over m.
        int from = Integer.MAX_VALUE;
        int to = -1;
        for (int t = 0; t < nk.length; t++) {
            from = Math.min(from, lo(t, i));
            to = Math.max(to, hi(t, i, nk[t]));
        }
        double count = 0;
        for (int m = from; m <= to; m++) {
            count += inside(i, nk, m, m + b - 1) - inside(i, nk, m + 1, m + b - 1);
        }
        return count;
    }

    private double inside(int i, int[] nk, int a, int z) {
        double c = 1;
        for (int t = 0; t < nk.length; t++) {
            c *= Math.max(0, Math.min(z, hi(t, i, nk[t])) - Math.max(a, lo(t, i)) + 1);
        }
        return c;
    }
}
