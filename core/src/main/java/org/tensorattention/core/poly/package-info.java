/**
 * The polynomial method: e^x replaced on [-R, R] by a polynomial with a certified relative error, whose
 * expansion is a low-rank CP form, so attention of any order costs O(n r (d + k dv)) for rank
 * r = C(d + g, g) (SPEC.md section 2), with the certified bound max |O~ - O| &lt;= eps * Vinf.
 *
 * <p>{@link org.tensorattention.core.poly.PolyPlan} says up front what a call would need;
 * {@link org.tensorattention.core.poly.PolyAttention} runs it (or the exact kernel, for auto);
 * {@link org.tensorattention.core.poly.PolyDecoder} runs the causal form one token at a time;
 * {@link org.tensorattention.core.poly.PolyBackward} differentiates the approximation.
 */
package org.tensorattention.core.poly;
