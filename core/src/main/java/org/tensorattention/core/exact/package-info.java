/**
 * The exact forward pass: a blocked, fused SIMD kernel (online softmax over blocks of the last key factor, an
 * odometer over the outer factors) and the portable scalar kernel it falls back to without the Vector API.
 */
package org.tensorattention.core.exact;
