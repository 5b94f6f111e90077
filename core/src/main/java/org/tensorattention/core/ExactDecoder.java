package org.tensorattention.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Exact incremental decoding with a key/value cache, beside the polynomial decoder: each appended token (its q,
 * its k_t and v_t rows) is attended to by its query together with every earlier token, exactly as row n - 1 of
 * the causal batch result. The new row runs through the exact kernel with the mask aligned bottom-right, so it
 * costs O(n^{k-1} (d + dv)) for n cached tokens (for a window, O(prod_t w_t (d + dv))). {@link #prefill}
 * appends m tokens at once: query i of the chunk sits at position n + i.
 */
public final class ExactDecoder {
    private final int factors;
    private final int d;
    private final int dv;
    private final AttentionOptions options;
    private final DType dtype;
    private final double[][] k;
    private final double[][] v;
    private int n;

    /**
     * @param order   k >= 2
     * @param options scale, threads and mask: full or causal (the same here: a token sees the past) or a window
     *                with k - 1 widths, optionally banded; the method is always exact
     */
    public ExactDecoder(int order, int d, int dv, DType dtype, AttentionOptions options) {
        if (order < 2) {
            throw new IllegalArgumentException("order must be at least 2, got " + order);
        }
        if (d < 1 || dv < 1) {
            throw new IllegalArgumentException("d and dv must be at least 1, got " + d + " and " + dv);
        }
        Mask mask = options.mask();
        mask.checkOrder(order);
        if (mask.isShifted()) {
            throw new IllegalArgumentException("the decoder places its own queries: give an unshifted mask");
        }
        if (mask.intervals() instanceof Mask.Full) {
            mask = mask.band() == Mask.UNBOUNDED ? Mask.CAUSAL : Mask.CAUSAL.withBand(mask.band());
        }
        factors = order - 1;
        this.d = d;
        this.dv = dv;
        this.dtype = dtype;
        this.options = options.withMask(mask).withMethod(Method.EXACT).withLayout(AttentionOptions.Layout.BHSD);
        k = new double[factors][64 * d];
        v = new double[factors][64 * dv];
    }

    /** Tokens in the cache. */
    public int length() {
        return n;
    }

    /**
     * Appends m tokens' keys and values (k_t (m, d), v_t (m, dv)) without computing their outputs: a cache
     * restored from elsewhere, or whose outputs are not needed.
     */
    public void cache(List<Tensor> keys, List<Tensor> values) {
        store(keys, values, keys.isEmpty() ? 0 : keys.get(0).dim(0));
    }

    /** Appends one token and returns its output row (dv values). */
    public double[] append(double[] q, double[][] keys, double[][] values) {
        List<Tensor> ks = new ArrayList<>();
        List<Tensor> vs = new ArrayList<>();
        for (int t = 0; t < factors; t++) {
            ks.add(Tensor.of(keys[t], 1, d));
            vs.add(Tensor.of(values[t], 1, dv));
        }
        return prefill(Tensor.of(q, 1, d), ks, vs).output().to(DType.FLOAT64).doubles();
    }

    /** Appends m tokens (q (m, d), k_t (m, d), v_t (m, dv)) and returns their outputs (m, dv) and lse (m). */
    public AttentionResult prefill(Tensor q, List<Tensor> keys, List<Tensor> values) {
        int m = q.dim(0);
        if (q.rank() != 2 || q.dim(1) != d) {
            throw new IllegalArgumentException("q must be (" + m + ", " + d + "), got " + Tensor.shapeString(q.shape()));
        }
        store(keys, values, m);
        List<Tensor> ks = new ArrayList<>();
        List<Tensor> vs = new ArrayList<>();
        for (int t = 0; t < factors; t++) {
            ks.add(Tensor.of(Arrays.copyOf(k[t], n * d), n, d).to(dtype));
            vs.add(Tensor.of(Arrays.copyOf(v[t], n * dv), n, dv).to(dtype));
        }
        return TensorAttention.forward(q.to(dtype), ks, vs, options);
    }

    private void store(List<Tensor> keys, List<Tensor> values, int m) {
        if (keys.size() != factors || values.size() != factors) {
            throw new IllegalArgumentException("the decoder has " + factors + " key factors, got " + keys.size()
                    + " keys and " + values.size() + " values");
        }
        for (int t = 0; t < factors; t++) {
            if (keys.get(t).rank() != 2 || keys.get(t).dim(0) != m || keys.get(t).dim(1) != d
                    || values.get(t).rank() != 2 || values.get(t).dim(0) != m || values.get(t).dim(1) != dv) {
                throw new IllegalArgumentException("token " + (t + 1) + "'s keys and values must be (" + m + ", "
                        + d + ") and (" + m + ", " + dv + ")");
            }
        }
        for (int t = 0; t < factors; t++) {
            Validation.requireFinite("k" + (t + 1), keys.get(t));
            Validation.requireFinite("v" + (t + 1), values.get(t));
        }
        int size = n + m;
        for (int t = 0; t < factors; t++) {
            if (k[t].length < size * d) {
                int cap = Math.max(size, 2 * k[t].length / d);
                k[t] = Arrays.copyOf(k[t], cap * d);
                v[t] = Arrays.copyOf(v[t], cap * dv);
            }
            System.arraycopy(keys.get(t).to(DType.FLOAT64).doubles(), 0, k[t], n * d, m * d);
            System.arraycopy(values.get(t).to(DType.FLOAT64).doubles(), 0, v[t], n * dv, m * dv);
        }
        n = size;
    }
}
