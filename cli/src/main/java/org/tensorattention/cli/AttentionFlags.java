package org.tensorattention.cli;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;

/** The options shared by forward and backward: method, epsilon, scale, mask, threads. */
final class AttentionFlags {
    private AttentionFlags() {
    }

    static final Args.Option METHOD = Args.Option.value("method", "exact|poly|auto",
            "exact softmax, the polynomial method, or the cheaper (default exact)");
    static final Args.Option EPSILON = Args.Option.value("epsilon", "E",
            "poly/auto: guaranteed max |O~ - O| <= E * Vinf (default 1e-4)");

    static final List<Args.Option> OPTIONS = List.of(
            METHOD,
            EPSILON,
            Args.Option.value("scale", "C", "score scale c (default 1/d)"),
            Args.Option.flag("causal", "each query sees only keys j_t <= i"),
            Args.Option.value("window", "W1,W2,..", "sliding window per key factor: i - W_t < j_t <= i (implies --causal)"),
            Args.THREADS);

    static AttentionOptions parse(Args a) {
        Method method;
        try {
            method = Method.parse(a.string("method", "exact"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        double epsilon = a.number("epsilon", AttentionOptions.DEFAULT_EPSILON);
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new UsageException("--epsilon must lie in (0, 1), got " + epsilon);
        }
        Mask mask = Mask.FULL;
        if (a.has("window")) {
            try {
                mask = Mask.parseWindow(a.required("window"));
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        } else if (a.has("causal")) {
            mask = Mask.CAUSAL;
        }
        int threads = a.integer("threads", 0);
        if (threads < 0) {
            throw new UsageException("--threads must be >= 0, got " + threads);
        }
        double scale = a.number("scale", Double.NaN);
        return new AttentionOptions(scale, mask, method, epsilon, threads);
    }
}
