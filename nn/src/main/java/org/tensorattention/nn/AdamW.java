package org.tensorattention.nn;

import java.util.List;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): per parameter, first and second moment
 * estimates with bias correction; decay {@code lr * weightDecay * w} only on parameters marked for it.
 * The gradient may first be clipped to a global norm. The step count and both moments are state that a
 * checkpoint saves, so a resumed run continues exactly.
 */
public final class AdamW {
    private final List<Param> params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final double clipNorm;
    final double[][] m;
    final double[][] v;
    long step;

    public AdamW(List<Param> params, double beta1, double beta2, double eps, double weightDecay, double clipNorm) {
        this.params = List.copyOf(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.clipNorm = clipNorm;
        this.m = new double[params.size()][];
        this.v = new double[params.size()][];
        for (int p = 0; p < params.size(); p++) {
            m[p] = new double[params.get(p).size()];
            v[p] = new double[params.get(p).size()];
        }
    }

    /** beta1 0.9, beta2 0.999, eps 1e-8, clipping at global norm 1. */
    public static AdamW standard(List<Param> params, double weightDecay) {
        return new AdamW(params, 0.9, 0.999, 1e-8, weightDecay, 1.0);
    }

    public long step() {
        return step;
    }

    /** The global L2 norm of all gradients. */
    public double gradNorm() {
        double s = 0;
        for (Param p : params) {
            for (double g : p.grad) {
                s += g * g;
            }
        }
        return Math.sqrt(s);
    }

    /** One update with learning rate lr; gradients are left as they are (zero them before the next batch). */
    public void update(double lr) {
        double scale = 1;
        if (clipNorm > 0) {
            double norm = gradNorm();
            if (norm > clipNorm) {
                scale = clipNorm / norm;
            }
        }
        step++;
        double c1 = 1 - Math.pow(beta1, step);
        double c2 = 1 - Math.pow(beta2, step);
        for (int p = 0; p < params.size(); p++) {
            Param param = params.get(p);
            double[] w = param.value;
            double[] g = param.grad;
            double[] mp = m[p];
            double[] vp = v[p];
            double decay = param.decay() ? lr * weightDecay : 0;
            for (int i = 0; i < w.length; i++) {
                double gi = g[i] * scale;
                mp[i] = beta1 * mp[i] + (1 - beta1) * gi;
                vp[i] = beta2 * vp[i] + (1 - beta2) * gi * gi;
                w[i] -= decay * w[i] + lr * (mp[i] / c1) / (Math.sqrt(vp[i] / c2) + eps);
            }
        }
    }

    public void zeroGrad() {
        for (Param p : params) {
            p.zeroGrad();
        }
    }

    List<Param> params() {
        return params;
    }
}
