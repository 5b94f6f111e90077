package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;
import org.tensorattention.core.Backend;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;

/**
 * Multi-head attention of order k (k = 2 is ordinary attention): Q = X W_Q, K_t = X W_K_t, V_t = X W_V_t
 * for t = 1..k-1, split into H heads; each head attends over key tuples (SPEC.md section 1); the heads'
 * outputs are concatenated and projected by W_O. All (sequence, head) pairs go to the backend in one call as
 * a (batch, heads, n, width) problem set, which the CPU backend runs in parallel.
 */
public final class MultiHeadAttention implements Layer {
    private final int order;
    private final int width;
    private final int heads;
    private final int headWidth;
    private final Param wq;
    private final List<Param> wk = new ArrayList<>();
    private final List<Param> wv = new ArrayList<>();
    private final Param wo;
    private final AttentionOptions options;
    private final Backend backend;
    private final int threads;

    private Hidden input;
    private Tensor q;
    private List<Tensor> keys;
    private List<Tensor> values;
    private AttentionResult result;
    private Hidden merged;

    /**
     * @param name      parameter prefix (name.wq, name.wk1.., name.wv1.., name.wo)
     * @param order     k >= 2
     * @param width     model width (input and output)
     * @param heads     number of heads
     * @param headWidth query/key/value width per head
     * @param options   scale, mask, method (exact or poly), epsilon and threads of the attention call
     */
    public MultiHeadAttention(String name, int order, int width, int heads, int headWidth, AttentionOptions options,
                              Backend backend, RandomGenerator rnd) {
        if (order < 2) {
            throw new IllegalArgumentException("attention order must be at least 2, got " + order);
        }
        if (heads < 1 || headWidth < 1) {
            throw new IllegalArgumentException("heads and head width must be at least 1");
        }
        this.order = order;
        this.width = width;
        this.heads = heads;
        this.headWidth = headWidth;
        this.options = options;
        this.backend = backend;
        this.threads = options.threadCount();
        int inner = heads * headWidth;
        double std = 1 / Math.sqrt(width);
        wq = new Param(name + ".wq", true, width, inner);
        wq.normal(rnd, std);
        for (int t = 1; t < order; t++) {
            Param k = new Param(name + ".wk" + t, true, width, inner);
            k.normal(rnd, std);
            wk.add(k);
        }
        for (int t = 1; t < order; t++) {
            Param v = new Param(name + ".wv" + t, true, width, inner);
            v.normal(rnd, std);
            wv.add(v);
        }
        wo = new Param(name + ".wo", true, inner, width);
        wo.normal(rnd, 1 / Math.sqrt(inner));
    }

    public int order() {
        return order;
    }

    @Override
    public Hidden forward(Hidden x) {
        if (x.width() != width) {
            throw new IllegalArgumentException("attention expects width " + width + ", got " + x.width());
        }
        input = x;
        q = project(x, wq);
        keys = new ArrayList<>();
        values = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            keys.add(project(x, wk.get(t)));
            values.add(project(x, wv.get(t)));
        }
        result = backend.forward(q, keys, values, options);
        merged = mergeHeads(result.output().to(org.tensorattention.core.DType.FLOAT64).doubles(), x.batch(), x.length());
        Hidden y = x.like(width);
        MatMul.forward(merged.data(), x.rows(), heads * headWidth, wo.value, null, width, y.data(), threads);
        return y;
    }

    @Override
    public Hidden backward(Hidden dy) {
        int inner = heads * headWidth;
        int rows = dy.rows();
        MatMul.backwardWeight(merged.data(), dy.data(), rows, inner, width, wo.grad, null, threads);
        Hidden dMerged = dy.like(inner);
        MatMul.backwardInput(dy.data(), rows, width, wo.value, inner, dMerged.data(), threads);
        Tensor dout = splitHeads(dMerged);
        GradientResult g = backend.backward(q, keys, values, dout, result, options);
        Hidden dx = input.like(width);
        accumulate(g.dq(), wq, dx);
        for (int t = 0; t < order - 1; t++) {
            accumulate(g.dk().get(t), wk.get(t), dx);
            accumulate(g.dv().get(t), wv.get(t), dx);
        }
        return dx;
    }

    /** For a projection P = X W split into heads with gradient dP: W.grad += X^T dP, dx += dP W^T. */
    private void accumulate(Tensor dHeads, Param w, Hidden dx) {
        Hidden dp = mergeHeads(dHeads.to(org.tensorattention.core.DType.FLOAT64).doubles(), input.batch(), input.length());
        int inner = heads * headWidth;
        MatMul.backwardWeight(input.data(), dp.data(), input.rows(), width, inner, w.grad, null, threads);
        double[] part = new double[dx.data().length];
        MatMul.backwardInput(dp.data(), input.rows(), inner, w.value, width, part, threads);
        double[] a = dx.data();
        for (int i = 0; i < a.length; i++) {
            a[i] += part[i];
        }
    }

    /** X W as a (batch, heads, n, headWidth) tensor. */
    private Tensor project(Hidden x, Param w) {
        Hidden p = x.like(heads * headWidth);
        MatMul.forward(x.data(), x.rows(), width, w.value, null, heads * headWidth, p.data(), threads);
        return splitHeads(p);
    }

    /** (batch, n, heads * hw) rows to a (batch, heads, n, hw) tensor. */
    private Tensor splitHeads(Hidden p) {
        int batch = p.batch();
        int n = p.length();
        double[] a = p.data();
        double[] out = new double[a.length];
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < n; i++) {
                for (int h = 0; h < heads; h++) {
                    System.arraycopy(a, ((b * n + i) * heads + h) * headWidth,
                            out, ((b * heads + h) * n + i) * headWidth, headWidth);
                }
            }
        }
        return Tensor.of(out, batch, heads, n, headWidth);
    }

    /** A (batch, heads, n, hw) array back to (batch, n, heads * hw) rows. */
    private Hidden mergeHeads(double[] a, int batch, int n) {
        double[] out = new double[a.length];
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < n; i++) {
                    System.arraycopy(a, ((b * heads + h) * n + i) * headWidth,
                            out, ((b * n + i) * heads + h) * headWidth, headWidth);
                }
            }
        }
        return new Hidden(out, batch, n, heads * headWidth);
    }

    @Override
    public List<Param> params() {
        List<Param> all = new ArrayList<>();
        all.add(wq);
        all.addAll(wk);
        all.addAll(wv);
        all.add(wo);
        return all;
    }
}
