/**
 * The CPU backend: validates a call once, resolves its method (exact, poly, auto) once into a plan, and runs
 * the kernels of {@code exact}, {@code poly} and {@code grad} from that plan. It depends on the API types of
 * {@code org.tensorattention.core} and on the kernels, never on the facade.
 */
package org.tensorattention.core.cpu;
