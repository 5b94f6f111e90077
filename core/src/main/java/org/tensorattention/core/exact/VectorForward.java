package org.tensorattention.core.exact;

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
}
