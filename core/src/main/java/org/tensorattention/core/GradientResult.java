package org.tensorattention.core;

import java.util.List;

/**
 * Gradients of one attention call with respect to its inputs, and an account of what was done.
 *
 * @param output  O of the forward pass (recomputed or passed in)
 * @param dq      dL/dQ, shape and dtype of q
 * @param dk      dL/dK_t for each key factor, shapes of the keys (summed over grouped query heads)
 * @param dv      dL/dV_t for each value factor
 * @param method  the method that ran (never AUTO)
 * @param seconds kernel wall time
 * @param flops   model flop count
 * @param poly    degree, rank and bound when the polynomial method ran, else null
 * @param reason  why this method ran
 */
public record GradientResult(Tensor output, Tensor dq, List<Tensor> dk, List<Tensor> dv, Method method,
                             double seconds, double flops, AttentionResult.PolyInfo poly, String reason) {
}
