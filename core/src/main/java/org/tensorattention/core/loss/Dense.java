package org.tensorattention.core.loss;

/** The few plain dense products the loss gradient needs around its attention call (float64, row-major). */
final class Dense {
    private Dense() {
    }

    /** (m x k) times (k x n). */
    static double[] times(double[] a, double[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int p = 0; p < k; p++) {
                double x = a[i * k + p];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += x * b[p * n + j];
                }
            }
        }
        return c;
    }

    /** (m x k) times the transpose of (n x k). */
    static double[] timesTransposed(double[] a, double[] b, int m, int k, int n) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) {
                    s += a[i * k + p] * b[j * k + p];
                }
                c[i * n + j] = s;
            }
        }
        return c;
    }

    /** The transpose of (k x m) times (k x n). */
    static double[] transposedTimes(double[] a, double[] b, int k, int m, int n) {
        return times(transpose(a, k, m), b, m, k, n);
    }

    /** The transpose of (rows x cols). */
    static double[] transpose(double[] a, int rows, int cols) {
        double[] t = new double[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }
}
