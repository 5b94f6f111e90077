package org.tensorattention.core.exact;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

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

    /** One implementation of the exact forward, for both dtypes (the same entry points as this class's). */
    interface Kernel {
        void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v, double[] out,
                     double[] lse, int threads);

        void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v, float[] out,
                     double[] lse, int threads);
    }

    /** Looked up once: the Vector API classes may only be touched when the module is in the boot layer. */
    static final boolean VECTOR_AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private ExactForward() {
    }

    /**
     * One validated exact call: O in q's dtype and the float64 log-sum-exp. Inputs whose magnitudes would
     * overflow an intermediate are rebalanced first ({@link ExactRange}); a call whose results cannot be
     * represented is refused with an IllegalArgumentException that names the array.
     */
    public static AttentionResult run(Tensor q, Geometry g, List<Tensor> keys, List<Tensor> values,
                                      AttentionOptions options) {
        ExactRange range = ExactRange.forward(q, keys, values, g, options.scaleFor(g.d()));
        double scale = range.kernelScale();
        int[] shape = Geometry.concat(Geometry.leading(q), g.nq(), g.dv());
        Tensor lse = Tensor.zeros(DType.FLOAT64, Geometry.concat(Geometry.leading(q), g.nq()));
        long start = System.nanoTime();
        Tensor out;
        if (range.compute() == DType.FLOAT64) {
            double[] o = new double[lse.size() * g.dv()];
            forward(g, scale, options.mask(), range.q64(), range.keys64(), range.values64(), o, lse.doubles(),
                    options.threadCount());
            out = range.output(o, shape);
        } else {
            float[] o = new float[lse.size() * g.dv()];
            forward(g, scale, options.mask(), range.q32(), range.keys32(), range.values32(), o, lse.doubles(),
                    options.threadCount());
            out = range.output(o, shape);
        }
        double seconds = (System.nanoTime() - start) * 1e-9;
        return new AttentionResult(out, lse, Method.EXACT, seconds, g.exactFlops(options.mask()), null,
                "exact requested");
    }

    static Path defaultPath() {
        return VECTOR_AVAILABLE ? Path.VECTOR : Path.SCALAR;
    }

    /** The kernel of a path; VectorForward is loaded only when the vector path is asked for. */
    static Kernel kernel(Path path) {
        return path == Path.VECTOR ? VectorForward.KERNEL : ScalarForward.KERNEL;
    }

    /** float64: fills out (problems x nq x dv) and lse (problems x nq). */
    public static void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                               double[] out, double[] lse, int threads) {
        kernel(defaultPath()).forward(g, scale, mask, q, k, v, out, lse, threads);
    }

    /** float32 in and out (lse in float64); partial sums in float, sums across outer tuples in double. */
    public static void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                               float[] out, double[] lse, int threads) {
        kernel(defaultPath()).forward(g, scale, mask, q, k, v, out, lse, threads);
    }

    /**
     * float64 with the last key factor's rows 0..nk-1 also in last, already packed: the kernel reads last instead
     * of packing k[inner] and v[inner] again (the scalar path reads those). One key/value problem, bhsd rows.
     */
    public static void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                               PackedFactor last, double[] out, double[] lse, int threads) {
        if (usePacked(g, last, DType.FLOAT64)) {
            VectorForward.forward(g, scale, mask, q, k, v, last, out, lse, threads);
        } else {
            forward(g, scale, mask, q, k, v, out, lse, threads);
        }
    }

    /** float32 with the last factor already packed. */
    public static void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                               PackedFactor last, float[] out, double[] lse, int threads) {
        if (usePacked(g, last, DType.FLOAT32)) {
            VectorForward.forward(g, scale, mask, q, k, v, last, out, lse, threads);
        } else {
            forward(g, scale, mask, q, k, v, out, lse, threads);
        }
    }

    private static boolean usePacked(Geometry g, PackedFactor last, DType dtype) {
        int nk = g.nk()[g.nk().length - 1];
        if (last.dtype() != dtype || g.kvProblems() != 1 || g.keyStride() != g.d() || last.rows() < nk) {
            throw new IllegalArgumentException("the packed factor (" + last.rows() + " rows of "
                    + last.dtype().numpyName() + ") does not fit a call with " + g.kvProblems()
                    + " key/value problems and " + nk + " keys of " + dtype.numpyName());
        }
        return last.packed() && defaultPath() == Path.VECTOR;
    }
}
