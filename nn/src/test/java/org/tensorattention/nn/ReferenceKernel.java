package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.List;
import org.tensorattention.core.Backend;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

/**
 * Attention and its gradients written directly from SPEC.md sections 1 and 3 for tests: full mask,
 * float64, every tuple J enumerated, q of shape (batch, heads, n, d) with keys and values of the same
 * leading shape. Shares nothing with the library's kernels.
 */
final class ReferenceKernel implements Backend {

    /** Full mask, float64, equal leading shapes: what {@link #run} enumerates. */
    @Override
    public boolean supports(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        return !options.mask().isCausal()
                && q.dtype() == org.tensorattention.core.DType.FLOAT64;
    }

    @Override
    public org.tensorattention.core.Estimate estimate(Tensor q, List<Tensor> keys, List<Tensor> values,
                                                      AttentionOptions options) {
        int[] s = q.shape();
        double tuples = Math.pow(s[s.length - 2], keys.size());
        double flops = 2.0 * (s[s.length - 1] + values.get(0).dim(-1)) * tuples * (q.size() / s[s.length - 1]);
        return new org.tensorattention.core.Estimate(Method.EXACT, flops, null, "reference: every tuple");
    }

    @Override
    public AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        return run(q, keys, values, null, options).forward;
    }

    @Override
    public GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                   AttentionResult forward, AttentionOptions options) {
        return run(q, keys, values, dout, options).gradients;
    }

    private record Out(AttentionResult forward, GradientResult gradients) {
    }

    private static Out run(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, AttentionOptions options) {
        int[] s = q.shape();
        int n = s[s.length - 2];
        int d = s[s.length - 1];
        int dv = values.get(0).dim(-1);
        int f = keys.size();
        int problems = q.size() / (n * d);
        double c = options.scaleFor(d);
        double[] qa = q.doubles();
        double[][] ka = new double[f][];
        double[][] va = new double[f][];
        for (int t = 0; t < f; t++) {
            ka[t] = keys.get(t).doubles();
            va[t] = values.get(t).doubles();
        }
        double[] o = new double[problems * n * dv];
        double[] dq = new double[qa.length];
        double[][] dk = new double[f][qa.length];
        double[][] dvv = new double[f][problems * n * dv];
        int tuples = (int) Math.pow(n, f);
        for (int p = 0; p < problems; p++) {
            int qo = p * n * d;
            int vo = p * n * dv;
            for (int i = 0; i < n; i++) {
                double[] score = new double[tuples];
                double max = Double.NEGATIVE_INFINITY;
                for (int J = 0; J < tuples; J++) {
                    int[] j = digits(J, n, f);
                    double sc = 0;
                    for (int l = 0; l < d; l++) {
                        double prod = qa[qo + i * d + l];
                        for (int t = 0; t < f; t++) {
                            prod *= ka[t][qo + j[t] * d + l];
                        }
                        sc += prod;
                    }
                    score[J] = c * sc;
                    max = Math.max(max, score[J]);
                }
                double sum = 0;
                for (int J = 0; J < tuples; J++) {
                    sum += Math.exp(score[J] - max);
                }
                double[] prob = new double[tuples];
                for (int J = 0; J < tuples; J++) {
                    prob[J] = Math.exp(score[J] - max) / sum;
                    int[] j = digits(J, n, f);
                    for (int l = 0; l < dv; l++) {
                        double prod = prob[J];
                        for (int t = 0; t < f; t++) {
                            prod *= va[t][vo + j[t] * dv + l];
                        }
                        o[vo + i * dv + l] += prod;
                    }
                }
                if (dout == null) {
                    continue;
                }
                double[] g = dout.doubles();
                double delta = 0;
                for (int l = 0; l < dv; l++) {
                    delta += g[vo + i * dv + l] * o[vo + i * dv + l];
                }
                for (int J = 0; J < tuples; J++) {
                    int[] j = digits(J, n, f);
                    double dp = 0;
                    for (int l = 0; l < dv; l++) {
                        double prod = g[vo + i * dv + l];
                        for (int t = 0; t < f; t++) {
                            prod *= va[t][vo + j[t] * dv + l];
                        }
                        dp += prod;
                    }
                    double ds = prob[J] * (dp - delta);
                    for (int l = 0; l < d; l++) {
                        double kp = 1;
                        for (int t = 0; t < f; t++) {
                            kp *= ka[t][qo + j[t] * d + l];
                        }
                        dq[qo + i * d + l] += c * ds * kp;
                        for (int t = 0; t < f; t++) {
                            double others = qa[qo + i * d + l];
                            for (int u = 0; u < f; u++) {
                                if (u != t) {
                                    others *= ka[u][qo + j[u] * d + l];
                                }
                            }
                            dk[t][qo + j[t] * d + l] += c * ds * others;
                        }
                    }
                    for (int l = 0; l < dv; l++) {
                        for (int t = 0; t < f; t++) {
                            double others = prob[J] * g[vo + i * dv + l];
                            for (int u = 0; u < f; u++) {
                                if (u != t) {
                                    others *= va[u][vo + j[u] * dv + l];
                                }
                            }
                            dvv[t][vo + j[t] * dv + l] += others;
                        }
                    }
                }
            }
        }
        int[] os = s.clone();
        os[os.length - 1] = dv;
        Tensor out = Tensor.of(o, os);
        AttentionResult fr = new AttentionResult(out, null, Method.EXACT, 0, 0, null, "reference");
        if (dout == null) {
            return new Out(fr, null);
        }
        List<Tensor> dks = new ArrayList<>();
        List<Tensor> dvs = new ArrayList<>();
        for (int t = 0; t < f; t++) {
            dks.add(Tensor.of(dk[t], keys.get(t).shape()));
            dvs.add(Tensor.of(dvv[t], values.get(t).shape()));
        }
        return new Out(fr, new GradientResult(out, Tensor.of(dq, s), dks, dvs, Method.EXACT, 0, 0, null, "reference"));
    }

    private static int[] digits(int index, int n, int f) {
        int[] j = new int[f];
        for (int t = f - 1; t >= 0; t--) {
            j[t] = index % n;
            index /= n;
        }
        return j;
    }
}
