package org.tensorattention.core.exact;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The exact forward pass of order-k tensor attention: O and the per-query log-sum-exp.
 *
 * <p>With the jdk.incubator.vector module present this runs the blocked SIMD kernel ({@link VectorForward});
 * without it, the portable scalar kernel ({@link ScalarForward}). Both stream keys with a running maximum and
 * sum, so extra memory stays O(block (d + dv)) per thread.
 */
public final class ExactForward {
    /** Which implementation runs; selectable so that tests cover both. */
    enum Path { SCALAR, VECTOR }

    /** Looked up once: the Vector API classes may only be touched when the module is in the boot layer. */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private ExactForward() {
    }

    static Path defaultPath() {
        return VECTOR_AVAILABLE ? Path.VECTOR : Path.SCALAR;
    }

    /** float64: fills out (problems x nq x dv) and lse (problems x nq). */
    public static void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                               double[] out, double[] lse, int threads) {
        forward(defaultPath(), g, scale, mask, q, k, v, out, lse, threads);
    }

    /** float32 in and out (lse in float64); partial sums in float, sums across outer tuples in double. */
    public static void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                               float[] out, double[] lse, int threads) {
        forward(defaultPath(), g, scale, mask, q, k, v, out, lse, threads);
    }

    static void forward(Path path, Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                        double[] out, double[] lse, int threads) {
        if (path == Path.VECTOR) {
            VectorForward.forward(g, scale, mask, q, k, v, out, lse, threads);
        } else {
            ScalarForward.forward(g, scale, mask, q, k, v, out, lse, threads);
        }
    }

    static void forward(Path path, Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                        float[] out, double[] lse, int threads) {
        if (path == Path.VECTOR) {
            VectorForward.forward(g, scale, mask, q, k, v, out, lse, threads);
        } else {
            ScalarForward.forward(g, scale, mask, q, k, v, out, lse, threads);
        }
    }
}
