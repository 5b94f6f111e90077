package org.tensorattention.core;

/**
 * The options of one attention call, as one small immutable value.
 *
 * @param scale   c in s(i,J) = c * sum_l Q[i,l] prod_t K_t[j_t,l]; NaN means the default of {@code rule}
 * @param mask    which key tuples each query sees (a pair band is part of the mask)
 * @param method  exact, poly or auto
 * @param epsilon for poly and auto: the guaranteed bound max |O~ - O| &lt;= epsilon * Vinf
 * @param threads worker threads; 0 means one per available processor
 * @param rule    the default scale when none is given: 1/d (the seeds) or 1/sqrt(d) (Meta's 2-simplicial)
 * @param layout  how q, the keys, the values and the outputs are laid out
 */
public record AttentionOptions(double scale, Mask mask, Method method, double epsilon, int threads, ScaleRule rule,
                               Layout layout) {
    public static final double DEFAULT_EPSILON = 1e-4;

    /** The default scale when no number is given. */
    public enum ScaleRule {
        /** 1/d, as in the seeds. */
        INVERSE_D,
        /** 1/sqrt(d), as Meta's 2-simplicial kernels and flash_attn use. */
        INVERSE_SQRT_D
    }

    /** The order of the axes of every array of the call. */
    public enum Layout {
        /** (..., heads, seq, dim): the default. */
        BHSD,
        /** (batch, seq, heads, dim), as FBGEMM and flash_attn use; the lse is (batch, seq, heads). */
        BSHD
    }

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
        rule = rule == null ? ScaleRule.INVERSE_D : rule;
        layout = layout == null ? Layout.BHSD : layout;
    }

    public AttentionOptions(double scale, Mask mask, Method method, double epsilon, int threads) {
        this(scale, mask, method, epsilon, threads, ScaleRule.INVERSE_D, Layout.BHSD);
    }

    /** Scale 1/d, full mask, exact, epsilon 1e-4, all processors, bhsd. */
    public static AttentionOptions defaults() {
        return new AttentionOptions(Double.NaN, Mask.FULL, Method.EXACT, DEFAULT_EPSILON, 0);
    }

    public AttentionOptions withScale(double c) {
        return new AttentionOptions(c, mask, method, epsilon, threads, rule, layout);
    }

    /** Scale 1/sqrt(d). */
    public AttentionOptions withSqrtScale() {
        return new AttentionOptions(Double.NaN, mask, method, epsilon, threads, ScaleRule.INVERSE_SQRT_D, layout);
    }

    public AttentionOptions withMask(Mask m) {
        return new AttentionOptions(scale, m, method, epsilon, threads, rule, layout);
    }

    public AttentionOptions causal() {
        return withMask(mask.band() == Mask.UNBOUNDED ? Mask.CAUSAL : Mask.CAUSAL.withBand(mask.band()));
    }

    public AttentionOptions window(int... widths) {
        Mask w = Mask.window(widths);
        return withMask(mask.band() == Mask.UNBOUNDED ? w : w.withBand(mask.band()));
    }

    /** Keeps only tuples with max_t j_t - min_t j_t &lt; band, on top of the mask. */
    public AttentionOptions withBand(int band) {
        return withMask(mask.withBand(band));
    }

    public AttentionOptions withLayout(Layout l) {
        return new AttentionOptions(scale, mask, method, epsilon, threads, rule, l);
    }

    public AttentionOptions withMethod(Method m) {
        return new AttentionOptions(scale, mask, m, epsilon, threads, rule, layout);
    }

    public AttentionOptions withEpsilon(double e) {
        return new AttentionOptions(scale, mask, method, e, threads, rule, layout);
    }

    public AttentionOptions withThreads(int t) {
        return new AttentionOptions(scale, mask, method, epsilon, t, rule, layout);
    }

    /** The scale in effect for head width d. */
    public double scaleFor(int d) {
        if (!Double.isNaN(scale)) {
            return scale;
        }
        return rule == ScaleRule.INVERSE_SQRT_D ? 1.0 / Math.sqrt(d) : 1.0 / d;
    }

    /** The thread count in effect. */
    public int threadCount() {
        return threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
    }
}
