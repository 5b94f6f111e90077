package org.tensorattention.evidence;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * A random attention problem: Q, keys and values with entries uniform in [-B, B] (the bounded-entry regime
 * of the polynomial method), in the requested dtype.
 */
public record Problems(Tensor q, List<Tensor> keys, List<Tensor> values) {

    public static Problems random(SplittableRandom rnd, int order, int n, int d, int dv, double bound, DType dtype) {
        if (order < 2) {
            throw new IllegalArgumentException("order must be at least 2, got " + order);
        }
        Tensor q = uniform(rnd, n, d, bound, dtype);
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            keys.add(uniform(rnd, n, d, bound, dtype));
            values.add(uniform(rnd, n, dv, bound, dtype));
        }
        return new Problems(q, keys, values);
    }

    /**
     * Sets the first row of Q and of every key factor to B: the score radius R = |c| max_i sum_l |Q[i,l]|
     * prod_t max_j |K_t[j,l]| then equals its worst case c d B^k whatever n is, so the polynomial method
     * picks the same degree and rank at every n (a clean scaling curve).
     */
    public Problems withWorstCaseRadius(double bound) {
        fillFirstRow(q, bound);
        for (Tensor k : keys) {
            fillFirstRow(k, bound);
        }
        return this;
    }

    private static void fillFirstRow(Tensor t, double b) {
        int w = t.dim(-1);
        if (t.dtype() == DType.FLOAT32) {
            java.util.Arrays.fill(t.floats(), 0, w, (float) b);
        } else {
            java.util.Arrays.fill(t.doubles(), 0, w, b);
        }
    }

    static Tensor uniform(SplittableRandom rnd, int rows, int cols, double bound, DType dtype) {
        int size = Math.multiplyExact(rows, cols);
        if (dtype == DType.FLOAT32) {
            float[] a = new float[size];
            for (int i = 0; i < size; i++) {
                a[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
            }
            return Tensor.of(a, rows, cols);
        }
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = (2 * rnd.nextDouble() - 1) * bound;
        }
        return Tensor.of(a, rows, cols);
    }

    /** Vinf = max_l prod_t max_j |V_t[j, l]|, the scale of the error guarantee. */
    public static double vinf(List<Tensor> values) {
        int dv = values.get(0).dim(-1);
        double best = 0;
        for (int l = 0; l < dv; l++) {
            double prod = 1;
            for (Tensor v : values) {
                double m = 0;
                int rows = v.size() / dv;
                for (int j = 0; j < rows; j++) {
                    m = Math.max(m, Math.abs(v.get(j * dv + l)));
                }
                prod *= m;
            }
            best = Math.max(best, prod);
        }
        return best;
    }

    /** Largest |a - b| over all entries. */
    public static double maxAbsDiff(Tensor a, Tensor b) {
        if (a.size() != b.size()) {
            throw new IllegalArgumentException("sizes differ: " + a.size() + " and " + b.size());
        }
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            worst = Math.max(worst, Math.abs(a.get(i) - b.get(i)));
        }
        return worst;
    }
}
