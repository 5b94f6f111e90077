package org.tensorattention.core.grad;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.poly.PolyBackward;

/** The backward pass (SPEC.md section 3): exact, polynomial, or the auto choice. */
public final class Backward {
    private Backward() {
    }

    /** Gradients for an already validated call; forward may be null (then it is recomputed). */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     AttentionResult forward, Geometry g, AttentionOptions options) {
        return switch (options.method()) {
            case EXACT -> ExactBackward.run(q, keys, values, dout, forward, g, options, "exact requested");
            case POLY -> PolyBackward.run(q, keys, values, dout, g, options);
            // No backward cost model yet: the exact gradient is always correct, so auto takes it.
            case AUTO -> ExactBackward.run(q, keys, values, dout, forward, g, options,
                    "auto: exact (no cost model for the polynomial backward)");
        };
    }
}
