/**
 * Gradients: the exact backward pass of order-k attention (tiles recomputed from the forward's
 * log-sum-exp), the dispatch between exact and polynomial gradients, and the training-loss gradient
 * dL/dX, which reduces to an order-3 backward with head width d^2.
 */
package org.tensorattention.core.grad;
