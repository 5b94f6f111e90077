package org.tensorattention.nn;

import java.util.List;

/** Per row: (x - mean) / sqrt(var + 1e-5), then gain and bias (initialised 1 and 0). */
public final class LayerNorm implements Layer {
    private static final double EPS = 1e-5;
    private final int width;
    private final Param gain;
    private final Param bias;
    private double[] normed;
    private double[] inverseStd;

    public LayerNorm(String name, int width) {
        this.width = width;
        this.gain = new Param(name + ".gain", false, width);
        this.bias = new Param(name + ".bias", false, width);
        gain.fill(1);
    }

    @Override
    public Hidden forward(Hidden x) {
        int rows = x.rows();
        double[] a = x.data();
        Hidden y = x.like(width);
        normed = new double[a.length];
        inverseStd = new double[rows];
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double mean = 0;
            for (int c = 0; c < width; c++) {
                mean += a[o + c];
            }
            mean /= width;
            double var = 0;
            for (int c = 0; c < width; c++) {
                double z = a[o + c] - mean;
                var += z * z;
            }
            double inv = 1 / Math.sqrt(var / width + EPS);
            inverseStd[r] = inv;
            for (int c = 0; c < width; c++) {
                double z = (a[o + c] - mean) * inv;
                normed[o + c] = z;
                y.data()[o + c] = z * gain.value[c] + bias.value[c];
            }
        }
        return y;
    }

    @Override
    public Hidden backward(Hidden dy) {
        int rows = dy.rows();
        double[] g = dy.data();
        Hidden dx = dy.like(width);
        for (int r = 0; r < rows; r++) {
            int o = r * width;
            double meanD = 0;
            double meanDz = 0;
            for (int c = 0; c < width; c++) {
                double dz = g[o + c] * gain.value[c];
                gain.grad[c] += g[o + c] * normed[o + c];
                bias.grad[c] += g[o + c];
                meanD += dz;
                meanDz += dz * normed[o + c];
            }
            meanD /= width;
            meanDz /= width;
            for (int c = 0; c < width; c++) {
                double dz = g[o + c] * gain.value[c];
                dx.data()[o + c] = inverseStd[r] * (dz - meanD - normed[o + c] * meanDz);
            }
        }
        return dx;
    }

    @Override
    public List<Param> params() {
        return List.of(gain, bias);
    }
}
