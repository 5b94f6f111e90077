package org.tensorattention.core.exact;

import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The SIMD path. Only loaded when jdk.incubator.vector is present: this class and the kernels it calls hold
 * every Vector API reference of the package.
 */
enum VectorForward implements ExactForward.Kernel {
    KERNEL;

    @Override
    public void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                        double[] out, double[] lse, int threads) {
        DoubleBlockKernel.forward(g, scale, mask, q, k, v, out, lse, threads);
    }

    @Override
    public void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                        float[] out, double[] lse, int threads) {
        FloatBlockKernel.forward(g, scale, mask, q, k, v, out, lse, threads);
    }

    /** The blocked kernel's keys per block, for a {@link PackedFactor}. */
    static int keyBlock(DType dtype) {
        return dtype == DType.FLOAT32 ? FloatBlockKernel.BK : DoubleBlockKernel.BK;
    }

    /** The value row width the blocked kernel packs to. */
    static int paddedWidth(DType dtype, int dv) {
        return dtype == DType.FLOAT32 ? FloatBlockKernel.paddedWidth(dv) : DoubleBlockKernel.paddedWidth(dv);
    }

    static void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                        PackedFactor last, double[] out, double[] lse, int threads) {
        DoubleBlockKernel.forward(g, scale, mask, q, k, v, (double[]) last.keys(), (double[]) last.values(), out,
                lse, threads);
    }

    static void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                        PackedFactor last, float[] out, double[] lse, int threads) {
        FloatBlockKernel.forward(g, scale, mask, q, k, v, (float[]) last.keys(), (float[]) last.values(), out,
                lse, threads);
    }
}
