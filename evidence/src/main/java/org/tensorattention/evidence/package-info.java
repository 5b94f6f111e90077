/**
 * Measurements behind the project's claims, each written as CSV and PNG: the scaling benchmark of the exact
 * kernel and the polynomial method against the machine's measured FMA peak ({@link
 * org.tensorattention.evidence.Bench}), the certified error bound checked on many random problems ({@link
 * org.tensorattention.evidence.ErrorExperiment}), where the polynomial method stops paying as the entry bound
 * grows ({@link org.tensorattention.evidence.ThresholdExperiment}), and the 3-MaxIP reduction that makes the
 * hardness line visible ({@link org.tensorattention.evidence.HardnessExperiment}).
 */
package org.tensorattention.evidence;
