/**
 * Higher-order softmax attention: the public API.
 *
 * <p>{@link org.tensorattention.core.TensorAttention} takes tensors ({@link org.tensorattention.core.Tensor},
 * float32 or float64, row-major, any leading batch/head dimensions) and one immutable
 * {@link org.tensorattention.core.AttentionOptions} (scale, {@link org.tensorattention.core.Mask},
 * {@link org.tensorattention.core.Method}, epsilon, threads) and returns an
 * {@link org.tensorattention.core.AttentionResult} or {@link org.tensorattention.core.GradientResult} that also
 * says what was done. {@link org.tensorattention.core.Geometry} is the resolved shape of a call that the kernels
 * in {@code exact}, {@code poly} and {@code grad} work on. The package depends on the JDK alone.
 */
package org.tensorattention.core;
