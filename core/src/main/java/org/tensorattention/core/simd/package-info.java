/**
 * SIMD helpers shared by the exact forward and backward kernels: one exp, the same in every JIT state, with a
 * scalar twin that matches its lanes bit for bit.
 */
package org.tensorattention.core.simd;
