package org.tensorattention.nn;

import org.tensorattention.core.Parallel;

/**
 * The three products of a dense layer y = x W + b, with W stored (in x out) row-major. Rows are split into
 * blocks over threads; the weight gradient is split over input columns so no two threads write one entry.
 */
final class MatMul {
    private static final int BLOCK = 32;

    private MatMul() {
    }

    /** y[r, o] = b[o] + sum_i x[r, i] w[i, o]; b may be null. */
    static void forward(double[] x, int rows, int in, double[] w, double[] b, int out, double[] y, int threads) {
        int blocks = (rows + BLOCK - 1) / BLOCK;
        Parallel.forEach(blocks, threads, blk -> {
            for (int r = blk * BLOCK; r < Math.min(rows, (blk + 1) * BLOCK); r++) {
                int yo = r * out;
                for (int o = 0; o < out; o++) {
                    y[yo + o] = b == null ? 0 : b[o];
                }
                int xo = r * in;
                for (int i = 0; i < in; i++) {
                    double xi = x[xo + i];
                    int wo = i * out;
                    for (int o = 0; o < out; o++) {
                        y[yo + o] += xi * w[wo + o];
                    }
                }
            }
        });
    }

    /** dx[r, i] = sum_o dy[r, o] w[i, o] (overwrites dx). */
    static void backwardInput(double[] dy, int rows, int out, double[] w, int in, double[] dx, int threads) {
        int blocks = (rows + BLOCK - 1) / BLOCK;
        Parallel.forEach(blocks, threads, blk -> {
            for (int r = blk * BLOCK; r < Math.min(rows, (blk + 1) * BLOCK); r++) {
                for (int i = 0; i < in; i++) {
                    double s = 0;
                    int wo = i * out;
                    int yo = r * out;
                    for (int o = 0; o < out; o++) {
                        s += dy[yo + o] * w[wo + o];
                    }
                    dx[r * in + i] = s;
                }
            }
        });
    }

    /** dw[i, o] += sum_r x[r, i] dy[r, o]; db[o] += sum_r dy[r, o] when db is not null. */
    static void backwardWeight(double[] x, double[] dy, int rows, int in, int out, double[] dw, double[] db, int threads) {
        int blocks = (in + 7) / 8;
        Parallel.forEach(blocks, threads, blk -> {
            for (int i = blk * 8; i < Math.min(in, (blk + 1) * 8); i++) {
                int wo = i * out;
                for (int r = 0; r < rows; r++) {
                    double xi = x[r * in + i];
                    if (xi == 0) {
                        continue;
                    }
                    int yo = r * out;
                    for (int o = 0; o < out; o++) {
                        dw[wo + o] += xi * dy[yo + o];
                    }
                }
            }
        });
        if (db != null) {
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    db[o] += dy[r * out + o];
                }
            }
        }
    }
}
