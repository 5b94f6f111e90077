package org.tensorattention.nn;

/** Pointwise non-linearities with their derivatives. */
public enum Activation {
    /** max(0, x). */
    RELU,
    /** The tanh form of GELU: x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    GELU;

    private static final double C = Math.sqrt(2 / Math.PI);

    public double apply(double x) {
        if (this == RELU) {
            return x > 0 ? x : 0;
        }
        return 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x * x * x)));
    }

    public double derivative(double x) {
        if (this == RELU) {
            return x > 0 ? 1 : 0;
        }
        double t = Math.tanh(C * (x + 0.044715 * x * x * x));
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x);
    }

    public static Activation parse(String s) {
        for (Activation a : values()) {
            if (a.name().equalsIgnoreCase(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown activation '" + s + "' (expected relu or gelu)");
    }
}
