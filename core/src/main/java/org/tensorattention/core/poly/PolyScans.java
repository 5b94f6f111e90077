package org.tensorattention.core.poly;

import org.tensorattention.core.Mask;

/**
 * The masks the polynomial method's scans run: full, causal (a running prefix per factor) and a window with a
 * finite width per factor (a prefix with keys leaving). Query i stands at position i + offset_t against key
 * factor t (bottom-right alignment gives offset_t = nk_t - nq), so row i adds key i + offset_t when it exists.
 * A pair band is refused by {@link #unsupported} before a scan starts.
 */
final class PolyScans {
    private PolyScans() {
    }

    /** Why poly cannot run this mask for an nq-query call, or null when it can. */
    static String unsupported(Mask mask) {
        return switch (mask) {
            case Mask.Full f -> null;
            case Mask.Window w -> mixed(w) ? "poly runs a window only when every width is finite" : null;
            case Mask.Banded b -> "poly does not run a pair band (it would need one prefix sum per band offset)";
        };
    }

    private static boolean mixed(Mask.Window w) {
        return !w.causal() && widths(w).length > 0 && java.util.Arrays.stream(widths(w)).anyMatch(x -> x == Mask.UNBOUNDED);
    }

    static boolean causal(Mask mask) {
        return mask instanceof Mask.Window w && w.causal();
    }

    static boolean windowed(Mask mask) {
        return mask instanceof Mask.Window w && !w.causal();
    }

    static int width(Mask mask, int t) {
        return ((Mask.Window) mask).width(t);
    }

    /** Query i's position against factor t is i + offset(mask, t). */
    static int offset(Mask mask, int t) {
        return ((Mask.Window) mask).offset(t);
    }

    /** The key rows of factor t (nk of them) that query i's prefix holds before row i adds its own: [0, this). */
    static int keysBefore(Mask mask, int t, int i, int nk) {
        return (int) Math.max(0, Math.min(nk, (long) i + offset(mask, t)));
    }

    /** The widest finite window (0 unless the mask is a window): how far past a row its keys are still seen. */
    static int reach(Mask mask) {
        int reach = 0;
        if (windowed(mask)) {
            for (int w : widths(mask)) {
                reach = Math.max(reach, w);
            }
        }
        return reach;
    }

    static int[] widths(Mask mask) {
        return mask instanceof Mask.Window w ? w.widths() : new int[0];
    }
}
