package org.tensorattention.core;

/** How attention is computed. */
public enum Method {
    /** The exact softmax over every allowed key tuple: about 2 n^k (d + dv) flops. */
    EXACT,
    /** The polynomial method: a low-rank CP form with a certified error bound, O(n r (d + k dv)). */
    POLY,
    /** Whichever of the two a cost model says is cheaper for the requested error. */
    AUTO;

    /** Parses {@code exact|poly|auto} (any case). */
    public static Method parse(String s) {
        for (Method m : values()) {
            if (m.name().equalsIgnoreCase(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown method '" + s + "' (expected exact, poly or auto)");
    }

    public String label() {
        return name().toLowerCase();
    }
}
