package org.tensorattention.core.poly;

import org.tensorattention.core.Mask;

/**
 * The masks the polynomial method's scans run: full, causal (a running prefix per factor) and a window with a
 * finite width per factor (a prefix with keys leaving), all with query i at position i. Anything else is
 * refused by {@link #unsupported} before a scan starts.
 */
final class PolyScans {
    private PolyScans() {
    }

    /** Why poly cannot run this mask for an nq-query call, or null when it can. */
    static String unsupported(Mask mask) {
        return switch (mask) {
            case Mask.Full f -> null;
            case Mask.Window w when w.isShifted() && java.util.Arrays.stream(w.offsets()).anyMatch(x -> x != 0) ->
                    "poly runs a causal or window mask only with query i at position i (as many queries as keys: its prefix"
                            + " sums start at row 0)";
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

    static int[] widths(Mask mask) {
        return mask instanceof Mask.Window w ? w.widths() : new int[0];
    }
}
