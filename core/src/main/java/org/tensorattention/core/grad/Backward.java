package org.tensorattention.core.grad;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.poly.PolyAttention;
import org.tensorattention.core.poly.PolyBackward;
import org.tensorattention.core.poly.PolyPlan;

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
            case AUTO -> auto(q, keys, values, dout, forward, g, options);
        };
    }

    /**
     * The forward's choice, by the same plan: poly when it can run and its model cost is below the exact
     * kernel's. Both backward passes cost about three of their forward passes, so the comparison carries over.
     */
    private static GradientResult auto(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                       AttentionResult forward, Geometry g, AttentionOptions options) {
        PolyPlan plan = PolyAttention.plan(q, keys, values, options);
        if (plan.cheaperThanExact()) {
            GradientResult r = PolyBackward.run(q, keys, values, dout, g, options);
            return new GradientResult(r.output(), r.dq(), r.dk(), r.dv(), r.method(), r.seconds(), r.flops(),
                    r.poly(), "poly: " + plan.verdict());
        }
        return ExactBackward.run(q, keys, values, dout, forward, g, options, "exact: poly " + plan.verdict());
    }
}
