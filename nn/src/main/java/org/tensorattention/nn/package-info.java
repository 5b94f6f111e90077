/**
 * Training with higher-order attention: layers with hand-written backward passes (embeddings, linear,
 * layer norm, MLP, residual, multi-head attention of any order k that calls the library's kernels, a
 * per-position classifier with softmax cross-entropy), AdamW, a small pre-norm {@link
 * org.tensorattention.nn.Transformer}, a {@link org.tensorattention.nn.Trainer} for the Match tasks,
 * {@link org.tensorattention.nn.Checkpoint}s in .npz that resume exactly, and the Match3 {@link
 * org.tensorattention.nn.Experiment}. Everything is float64 and seeded.
 */
package org.tensorattention.nn;
