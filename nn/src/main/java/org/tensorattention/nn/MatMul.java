package org.tensorattention.nn;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;
import org.tensorattention.core.Parallel;

/**
 * The three products of a dense layer y = x W + b, with W stored (in x out) row-major, all through one
 * register-blocked product C (+)= A B: four rows of C times two vectors of columns stay in registers while
 * the shared dimension streams by. The input gradient multiplies by W transposed and the weight gradient by
 * x transposed (both transposed once per call, which is cheap next to the product). Rows of C are split
 * into blocks over threads, so no two threads write one entry.
 */
final class MatMul {
    private static final VectorSpecies<Double> S = DoubleVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final int ROWS = 4;

    private MatMul() {
    }

    /** y[r, o] = b[o] + sum_i x[r, i] w[i, o]; b may be null. */
    static void forward(double[] x, int rows, int in, double[] w, double[] b, int out, double[] y, int threads) {
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                y[r * out + o] = b == null ? 0 : b[o];
            }
        }
        gemm(x, rows, in, w, out, y, threads);
    }

    /** dx[r, i] = sum_o dy[r, o] w[i, o] (overwrites dx). */
    static void backwardInput(double[] dy, int rows, int out, double[] w, int in, double[] dx, int threads) {
        java.util.Arrays.fill(dx, 0, rows * in, 0);
        gemm(dy, rows, out, transpose(w, in, out), in, dx, threads);
    }

    /** dw[i, o] += sum_r x[r, i] dy[r, o]; db[o] += sum_r dy[r, o] when db is not null. */
    static void backwardWeight(double[] x, double[] dy, int rows, int in, int out, double[] dw, double[] db, int threads) {
        gemm(transpose(x, rows, in), in, rows, dy, out, dw, threads);
        if (db != null) {
            for (int r = 0; r < rows; r++) {
                for (int o = 0; o < out; o++) {
                    db[o] += dy[r * out + o];
                }
            }
        }
    }

    /** The (cols x rows) transpose of a (rows x cols) matrix. */
    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    /** c[m x n] += a[m x k] b[k x n]. */
    static void gemm(double[] a, int m, int k, double[] b, int n, double[] c, int threads) {
        int blocks = (m + ROWS - 1) / ROWS;
        int perTask = Math.max(1, Math.min(8, blocks / Math.max(1, 4 * threads)));
        int tasks = (blocks + perTask - 1) / perTask;
        Parallel.forEach(tasks, threads, task -> {
            for (int blk = task * perTask; blk < Math.min(blocks, (task + 1) * perTask); blk++) {
                int r0 = blk * ROWS;
                if (r0 + ROWS <= m) {
                    block4(a, k, b, n, c, r0);
                } else {
                    for (int r = r0; r < m; r++) {
                        row(a, k, b, n, c, r);
                    }
                }
            }
        });
    }

    /** Rows r0..r0+3 of c: two vectors of columns at a time held in eight accumulators. */
    private static void block4(double[] a, int k, double[] b, int n, double[] c, int r0) {
        int a0 = r0 * k;
        int a1 = a0 + k;
        int a2 = a1 + k;
        int a3 = a2 + k;
        int o = 0;
        for (; o + 2 * L <= n; o += 2 * L) {
            DoubleVector c00 = DoubleVector.zero(S);
            DoubleVector c01 = DoubleVector.zero(S);
            DoubleVector c10 = DoubleVector.zero(S);
            DoubleVector c11 = DoubleVector.zero(S);
            DoubleVector c20 = DoubleVector.zero(S);
            DoubleVector c21 = DoubleVector.zero(S);
            DoubleVector c30 = DoubleVector.zero(S);
            DoubleVector c31 = DoubleVector.zero(S);
            for (int i = 0; i < k; i++) {
                DoubleVector b0 = DoubleVector.fromArray(S, b, i * n + o);
                DoubleVector b1 = DoubleVector.fromArray(S, b, i * n + o + L);
                DoubleVector x0 = DoubleVector.broadcast(S, a[a0 + i]);
                DoubleVector x1 = DoubleVector.broadcast(S, a[a1 + i]);
                DoubleVector x2 = DoubleVector.broadcast(S, a[a2 + i]);
                DoubleVector x3 = DoubleVector.broadcast(S, a[a3 + i]);
                c00 = x0.fma(b0, c00);
                c01 = x0.fma(b1, c01);
                c10 = x1.fma(b0, c10);
                c11 = x1.fma(b1, c11);
                c20 = x2.fma(b0, c20);
                c21 = x2.fma(b1, c21);
                c30 = x3.fma(b0, c30);
                c31 = x3.fma(b1, c31);
            }
            add(c, r0 * n + o, c00, c01);
            add(c, (r0 + 1) * n + o, c10, c11);
            add(c, (r0 + 2) * n + o, c20, c21);
            add(c, (r0 + 3) * n + o, c30, c31);
        }
        for (; o < n; o++) {
            for (int r = r0; r < r0 + ROWS; r++) {
                double s = 0;
                for (int i = 0; i < k; i++) {
                    s += a[r * k + i] * b[i * n + o];
                }
                c[r * n + o] += s;
            }
        }
    }

    private static void add(double[] c, int at, DoubleVector v0, DoubleVector v1) {
        DoubleVector.fromArray(S, c, at).add(v0).intoArray(c, at);
        DoubleVector.fromArray(S, c, at + L).add(v1).intoArray(c, at + L);
    }

    /** One row of c, plain axpy form (for the last rows that do not fill a block). */
    private static void row(double[] a, int k, double[] b, int n, double[] c, int r) {
        for (int i = 0; i < k; i++) {
            double x = a[r * k + i];
            for (int o = 0; o < n; o++) {
                c[r * n + o] += x * b[i * n + o];
            }
        }
    }
}
