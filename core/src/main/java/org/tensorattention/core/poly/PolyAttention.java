package org.tensorattention.core.poly;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Tensor;

/** The polynomial method (SPEC.md section 2) and the auto choice between it and the exact kernel. */
public final class PolyAttention {
    private PolyAttention() {
    }

    /** Runs method poly or auto for an already validated call. */
    public static AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g,
                                          AttentionOptions options) {
        throw new UnsupportedOperationException("method " + options.method().label() + " is not available yet");
    }
}
