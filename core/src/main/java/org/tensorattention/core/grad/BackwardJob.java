package org.tensorattention.core.grad;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What every thread reads while the gradients of one key/value problem are computed: the float64 inputs,
 * the forward's log-sum-exp, Delta_i = dO_i . O_i, the query problems that share the key/value problem
 * (group), and the last key and value factors transposed tile by tile for the score products.
 * For float32 inputs, f32 holds the float originals that the tiles compute with (else it is null).
 */
record BackwardJob(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v, double[] dout,
                   double[] lse, double[] delta, int kvProblem, int[] group, double[] kT, double[] vT,
                   Float32 f32) {

    /** The float32 inputs of the tiles: queries, the last key factor, dout, and the transposed tiles. */
    record Float32(float[] q, float[] kLast, float[] dout, float[] kT, float[] vT) {
    }

    int keyOffset(int t) {
        return kvProblem * g.nk()[t] * g.d();
    }

    int valueOffset(int t) {
        return kvProblem * g.nk()[t] * g.dv();
    }

    /**
     * Rows [offset, offset + rows) of a row-major (rows x width) block, transposed one tile of tileRows rows
     * at a time: tile m is a contiguous (width x tileRows) block at m * width * tileRows. Transposing the
     * whole block instead would put the rows a tile reads n values apart, and for n a multiple of 512 they
     * would all fall into the same few cache sets.
     */
    static double[] transposeTiles(double[] a, int offset, int rows, int width, int tileRows) {
        int tiles = (rows + tileRows - 1) / tileRows;
        double[] t = new double[tiles * width * tileRows];
        for (int r = 0; r < rows; r++) {
            int base = (r / tileRows) * width * tileRows + r % tileRows;
            for (int c = 0; c < width; c++) {
                t[base + c * tileRows] = a[offset + r * width + c];
            }
        }
        return t;
    }

    /** {@link #transposeTiles(double[], int, int, int, int)} for float32. */
    static float[] transposeTiles(float[] a, int offset, int rows, int width, int tileRows) {
        int tiles = (rows + tileRows - 1) / tileRows;
        float[] t = new float[tiles * width * tileRows];
        for (int r = 0; r < rows; r++) {
            int base = (r / tileRows) * width * tileRows + r % tileRows;
            for (int c = 0; c < width; c++) {
                t[base + c * tileRows] = a[offset + r * width + c];
            }
        }
        return t;
    }
}
