package org.tensorattention.core;

/**
 * The options of one attention call, as one small immutable value.
 *
 * @param scale   c in s(i,J) = c * sum_l Q[i,l] prod_t K_t[j_t,l]; NaN means the default 1/d
 * @param mask    which key tuples each query sees
 * @param method  exact, poly or auto
 * @param epsilon for poly and auto: the guaranteed bound max |O~ - O| &lt;= epsilon * Vinf
 * @param threads worker threads; 0 means one per available processor
 */
public record AttentionOptions(double scale, Mask mask, Method method, double epsilon, int threads) {
    public static final double DEFAULT_EPSILON = 1e-4;

    public AttentionOptions {
        if (mask == null) {
            throw new IllegalArgumentException("mask must not be null");
        }
        if (method == null) {
            throw new IllegalArgumentException("method must not be null");
        }
        if (!Double.isNaN(scale) && !Double.isFinite(scale)) {
            throw new IllegalArgumentException("scale must be finite, got " + scale);
        }
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon must lie in (0, 1), got " + epsilon);
        }
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0, got " + threads);
        }
    }

    /** Scale 1/d, full mask, exact, epsilon 1e-4, all processors. */
    public static AttentionOptions defaults() {
        return new AttentionOptions(Double.NaN, Mask.FULL, Method.EXACT, DEFAULT_EPSILON, 0);
    }

    public AttentionOptions withScale(double c) {
        return new AttentionOptions(c, mask, method, epsilon, threads);
    }

    public AttentionOptions withMask(Mask m) {
        return new AttentionOptions(scale, m, method, epsilon, threads);
    }

    public AttentionOptions causal() {
        return withMask(Mask.CAUSAL);
    }

    public AttentionOptions window(int... widths) {
        return withMask(Mask.window(widths));
    }

    public AttentionOptions withMethod(Method m) {
        return new AttentionOptions(scale, mask, m, epsilon, threads);
    }

    public AttentionOptions withEpsilon(double e) {
        return new AttentionOptions(scale, mask, method, e, threads);
    }

    public AttentionOptions withThreads(int t) {
        return new AttentionOptions(scale, mask, method, epsilon, t);
    }

    /** The scale in effect for head width d. */
    public double scaleFor(int d) {
        return Double.isNaN(scale) ? 1.0 / d : scale;
    }

    /** The thread count in effect. */
    public int threadCount() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
