/**
 * The Match3 and Match2 tasks of Sanford, Hsu and Telgarsky (SPEC.md section 6): seeded generators with a
 * sampling scheme that balances the labels, and the labels computed in O(n^2 + M) per sequence.
 */
package org.tensorattention.nn.task;
