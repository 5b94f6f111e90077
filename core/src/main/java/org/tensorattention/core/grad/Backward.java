package org.tensorattention.core.grad;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;

/** The backward pass (SPEC.md section 3): exact, polynomial, or the auto choice. */
public final class Backward {
    private Backward() {
    }

    /** Gradients for an already validated call; forward may be null (then it is recomputed). */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                     AttentionResult forward, Geometry g, AttentionOptions options) {
        throw new UnsupportedOperationException("backward is not available yet");
    }
}
