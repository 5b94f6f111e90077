package org.tensorattention.core.grad;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What every thread reads while the gradients of one key/value problem are computed: the float64 inputs,
 * the forward's log-sum-exp, Delta_i = dO_i . O_i, the query problems that share the key/value problem
 * (group), and the last key and value factors transposed tile by tile for the score products.
 * Rows are found through the geometry, so both layouts are read in place.
 * For float32 inputs, f32 holds the float originals that the tiles compute with (else it is null).
 */
record BackwardJob(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v, double[] dout,
                   double[] lse, double[] delta, int kvProblem, int[] group, double[] kT, double[] vT,
                   Float32 f32) {

    /** The float32 inputs of the tiles: queries, the last key factor, dout, and the transposed tiles. */
    record Float32(float[] q, float[] kLast, float[] dout, float[] kT, float[] vT) {
    }

    /** Where row j of key factor t starts, in either layout: every member of the group reads the same rows. */
    int keyRow(int t, int j) {
        return (int) g.keyRow(group[0], t, j);
    }

    int valueRow(int t, int j) {
        return (int) g.valueRow(group[0], t, j);
    }
}
