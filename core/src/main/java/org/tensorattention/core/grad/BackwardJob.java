package org.tensorattention.core.grad;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What every thread reads while the gradients of one key/value problem are computed: the float64 inputs,
 * the forward's log-sum-exp, Delta_i = dO_i . O_i, the query problems that share the key/value problem
 * (group), and the last key and value factors transposed (d x n, dv x n) for the score products.
 */
record BackwardJob(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v, double[] dout,
                   double[] lse, double[] delta, int kvProblem, int[] group, double[] kT, double[] vT) {

    int keyOffset(int t) {
        return kvProblem * g.nk()[t] * g.d();
    }

    int valueOffset(int t) {
        return kvProblem * g.nk()[t] * g.dv();
    }

    /** Rows [offset, offset + rows) of a row-major (rows x width) block, transposed to (width x rows). */
    static double[] transpose(double[] a, int offset, int rows, int width) {
        double[] t = new double[rows * width];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < width; c++) {
                t[c * rows + r] = a[offset + r * width + c];
            }
        }
        return t;
    }
}
