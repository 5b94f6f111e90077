package org.tensorattention.core;

import java.util.List;

/**
 * Where attention runs. {@link TensorAttention} validates nothing itself and hands every call to a backend;
 * {@link TensorAttention#backend()} is the CPU one. Another backend (a GPU, a cluster) implements these four
 * methods and callers that take a Backend (the nn layers, the loss gradient) use it unchanged.
 *
 * <p>A backend answers with the same contract as the CPU one: the shapes, dtypes and result records of
 * {@link TensorAttention}, one-line IllegalArgumentExceptions for bad input, and results within the documented
 * error of the exact attention (or, for poly, within its certified bound).
 */
public interface Backend {

    /** Whether this backend can run the call as asked (dtype, order, mask, method), without validating it. */
    boolean supports(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options);

    /** What {@link #forward} would do on this call (method resolved, cost), without doing it. */
    Estimate estimate(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options);

    /** O and, for the exact method, the log-sum-exp. */
    AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options);

    /**
     * Gradients given dout = dL/dO.
     *
     * @param forward this backend's forward result on the same call, whose resolved method, output and
     *                log-sum-exp are reused; null to recompute them
     */
    GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, AttentionResult forward,
                            AttentionOptions options);
}
