package org.tensorattention.core;

/** How attention is computed. */
public enum Method {
    /** The exact softmax over every allowed key tuple: about 2 n^k (d + dv) flops. */
    EXACT,
    /** The polynomial method: a low-rank CP form with a certified error bound, O(n r (d + k dv)). */
    POLY,
    /**
     * Poly when its certified plan is cheaper than exact; else the exact kernel in float64 (float32 inputs
     * widened, the output rounded back) when its rounding bound keeps epsilon; else a refusal. Either way
     * max |O - O_true| <= epsilon * Vinf, the final rounding to q's dtype included (docs/RELIABILITY.md).
     */
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
