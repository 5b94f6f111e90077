package org.tensorattention.nn;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * The attention computation a {@link MultiHeadAttention} layer calls: the library's kernels by default
 * ({@link #LIBRARY}); tests may pass a separately written reference instead.
 */
public interface AttentionKernel {
    AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options);

    GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, AttentionResult forward,
                            AttentionOptions options);

    /** {@link TensorAttention#forward} and {@link TensorAttention#backward}. */
    AttentionKernel LIBRARY = new AttentionKernel() {
        @Override
        public AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
            return TensorAttention.forward(q, keys, values, options);
        }

        @Override
        public GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                       AttentionResult forward, AttentionOptions options) {
            return TensorAttention.backward(q, keys, values, dout, forward, options);
        }
    };
}
