package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/** Random attention problems and the comparison of results. */
final class Problems {
    /** q, keys, values and dout of one random call. */
    record Case(Tensor q, List<Tensor> k, List<Tensor> v, Tensor dout) {
    }

    private Problems() {
    }

    /**
     * Entries uniform in [-1, 1]; q has leading shape qLead, keys and values kvLead (e.g. grouped heads).
     */
    static Case random(long seed, DType dtype, int order, int n, int d, int dv, int[] qLead, int[] kvLead) {
        Random rnd = new Random(seed);
        Tensor q = tensor(rnd, dtype, qLead, n, d);
        List<Tensor> k = new ArrayList<>();
        List<Tensor> v = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            k.add(tensor(rnd, dtype, kvLead, n, d));
            v.add(tensor(rnd, dtype, kvLead, n, dv));
        }
        return new Case(q, k, v, tensor(rnd, dtype, qLead, n, dv));
    }

    static Tensor tensor(Random rnd, DType dtype, int[] lead, int rows, int cols) {
        int[] shape = java.util.Arrays.copyOf(lead, lead.length + 2);
        shape[lead.length] = rows;
        shape[lead.length + 1] = cols;
        int size = Math.toIntExact(Tensor.sizeOf(shape));
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextDouble() * 2 - 1;
        }
        return Tensor.of(x, shape).to(dtype);
    }

    /**
     * Asserts max |a - b| <= tol * max |expected|: the kernels sum in different orders on one machine and on
     * Spark, so each value may differ by rounding relative to the size of the values summed.
     */
    static void close(String what, Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        assertTrue(expected.dtype() == actual.dtype(), what + " dtype");
        double scale = Math.max(expected.maxAbs(), Double.MIN_NORMAL);
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            worst = Math.max(worst, Math.abs(expected.get(i) - actual.get(i)));
        }
        assertTrue(worst <= tol * scale, what + ": max |difference| " + worst + " > " + tol + " * " + scale);
    }

    /**
     * As {@link #close} for log-sum-exps: a row that sees nothing has -inf in both, every other row is finite
     * in both and within tol of the largest finite |expected|.
     */
    static void closeLse(String what, Tensor expected, Tensor actual, double tol) {
        assertArrayEquals(expected.shape(), actual.shape(), what + " shape");
        double scale = Double.MIN_NORMAL;
        for (int i = 0; i < expected.size(); i++) {
            if (Double.isFinite(expected.get(i))) {
                scale = Math.max(scale, Math.abs(expected.get(i)));
            }
        }
        for (int i = 0; i < expected.size(); i++) {
            double e = expected.get(i);
            double a = actual.get(i);
            if (e == Double.NEGATIVE_INFINITY) {
                assertTrue(a == Double.NEGATIVE_INFINITY, what + "[" + i + "] = " + a + ", not -inf");
            } else {
                assertTrue(Math.abs(e - a) <= tol * scale, what + "[" + i + "]: " + a + " against " + e);
            }
        }
    }

    /** Tolerance by dtype: 1e-12 for float64; for float32 a few hundred rounding units (2^-24) of sums. */
    static double tolerance(DType dtype) {
        return dtype == DType.FLOAT64 ? 1e-12 : 256 * 0x1p-24;
    }
}
