package org.tensorattention.core.poly;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;

/** The gradient of the polynomial approximation (SPEC.md sections 2 and 3), in O(n r ..) time. */
public final class PolyBackward {
    private PolyBackward() {
    }

    /** Gradients of the polynomial method's output for an already validated call. */
    public static GradientResult run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, Geometry g,
                                     AttentionOptions options) {
        throw new UnsupportedOperationException("the polynomial backward is not available yet");
    }
}
