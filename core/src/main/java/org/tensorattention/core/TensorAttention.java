package org.tensorattention.core;

import java.util.Arrays;
import java.util.List;
import org.tensorattention.core.exact.ExactForward;
import org.tensorattention.core.grad.Backward;
import org.tensorattention.core.poly.PolyAttention;

/**
 * Higher-order softmax attention, shaped like PyTorch's {@code scaled_dot_product_attention}:
 *
 * <pre>{@code
 * AttentionResult r = TensorAttention.forward(q, List.of(k1, k2), List.of(v1, v2),
 *         AttentionOptions.defaults().causal());
 * Tensor o = r.output();
 * }</pre>
 *
 * <p>q is (..., H, n, d); each key K_t is (..., G, n_t, d) and each value V_t is (..., G, n_t, dv), with the
 * same leading shape for all keys and values. Leading dimensions are independent problems; a key dimension of
 * 1 broadcasts, and the last leading dimension may group heads (H a multiple of G: query head h reads key
 * head h / (H / G)). The order k is {@code keys.size() + 1}. The exact method computes in q's dtype; poly,
 * and auto's exact fallback, in float64; results come back in q's dtype.
 */
public final class TensorAttention {
    private TensorAttention() {
    }

    /** Computes O for the given queries, keys and values. */
    public static AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        Geometry g = geometry(q, keys, values);
        options.mask().checkOrder(g.order());
        requireWholeProblem(options);
        if (options.method() != Method.EXACT) {
            return PolyAttention.forward(q, keys, values, g, options);
        }
        return exact(q, g, keys, values, options);
    }

    /** The exact kernel on an already validated call (also what auto falls back to). */
    public static AttentionResult exact(Tensor q, Geometry g, List<Tensor> keys, List<Tensor> values,
                                        AttentionOptions options) {
        return ExactForward.run(q, g, keys, values, options);
    }

    /**
     * Gradients of L with respect to q, keys and values, given dout = dL/dO.
     *
     * @param forward the result of {@link #forward} on the same inputs and options, whose output and
     *                log-sum-exp are reused; null to recompute them
     */
    public static GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                          AttentionResult forward, AttentionOptions options) {
        Geometry g = geometry(q, keys, values);
        options.mask().checkOrder(g.order());
        requireWholeProblem(options);
        int[] expected = concat(leading(q), g.nq(), g.dv());
        if (!Arrays.equals(dout.shape(), expected)) {
            throw new IllegalArgumentException("dout has shape " + Tensor.shapeString(dout.shape())
                    + " but the output has shape " + Tensor.shapeString(expected));
        }
        requireFinite("dout", dout);
        return Backward.run(q, keys, values, dout, forward, g, options);
    }

    /**
     * Checks that q, keys and values fit together and resolves their leading dimensions.
     *
     * @throws IllegalArgumentException naming the first array that does not fit, and why
     */
    public static Geometry geometry(Tensor q, List<Tensor> keys, List<Tensor> values) {
        if (keys.isEmpty()) {
            throw new IllegalArgumentException("no keys: order k >= 2 needs k1 and v1");
        }
        if (keys.size() != values.size()) {
            throw new IllegalArgumentException(keys.size() + " key arrays but " + values.size()
                    + " value arrays: each k<t> needs a v<t>");
        }
        requireMatrix("q", q);
        int d = q.dim(-1);
        int nq = q.dim(-2);
        int factors = keys.size();
        int[] nk = new int[factors];
        int dv = -1;
        int[] kvLead = null;
        for (int t = 0; t < factors; t++) {
            String kn = "k" + (t + 1);
            String vn = "v" + (t + 1);
            Tensor k = keys.get(t);
            Tensor v = values.get(t);
            requireMatrix(kn, k);
            requireMatrix(vn, v);
            if (k.dim(-1) != d) {
                throw new IllegalArgumentException(kn + " has width " + k.dim(-1) + " but q has width " + d
                        + " (shapes " + Tensor.shapeString(k.shape()) + " and " + Tensor.shapeString(q.shape()) + ")");
            }
            nk[t] = k.dim(-2);
            if (nk[t] == 0) {
                throw new IllegalArgumentException(kn + " has no rows");
            }
            if (v.dim(-2) != nk[t]) {
                throw new IllegalArgumentException(vn + " has " + v.dim(-2) + " rows but " + kn + " has " + nk[t]);
            }
            if (dv < 0) {
                dv = v.dim(-1);
            } else if (v.dim(-1) != dv) {
                throw new IllegalArgumentException(vn + " has width " + v.dim(-1) + " but v1 has width " + dv);
            }
            int[] kl = leading(k);
            if (kvLead == null) {
                kvLead = kl;
            } else if (!Arrays.equals(kl, kvLead)) {
                throw new IllegalArgumentException(kn + " has leading shape " + Tensor.shapeString(kl)
                        + " but k1 has " + Tensor.shapeString(kvLead));
            }
            if (!Arrays.equals(leading(v), kl)) {
                throw new IllegalArgumentException(vn + " has leading shape " + Tensor.shapeString(leading(v))
                        + " but " + kn + " has " + Tensor.shapeString(kl));
            }
        }
        if (dv == 0 || d == 0) {
            throw new IllegalArgumentException(d == 0 ? "q has width 0" : "v1 has width 0");
        }
        for (int t = 0; t < factors; t++) {
            requireFinite("k" + (t + 1), keys.get(t));
            requireFinite("v" + (t + 1), values.get(t));
        }
        requireFinite("q", q);
        int[] ql = leading(q);
        int[] kvProblem = mapLeading(ql, kvLead);
        requireRoom(q, keys, concat(ql, nq, dv), d);
        return new Geometry(kvProblem.length, nq, nk, d, dv, kvProblem);
    }

    /**
     * Sizes checked before any work: the output must fit in one array and in the heap that is left, and the
     * kernels' packed copy of each key and value problem (rows rounded up to 64, widths to 16) must fit in
     * one array. Refusals name the array and its size.
     */
    private static void requireRoom(Tensor q, List<Tensor> keys, int[] outShape, int d) {
        long values = Tensor.checkedSize(outShape, "the output o");
        long rows = values / Math.max(1, outShape[outShape.length - 1]);
        long bytes = values * (q.dtype() == DType.FLOAT32 ? 4 : 8) + rows * 8;
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (bytes > free) {
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
                    "the output o of shape %s (%s) needs %.1f GB, more than the %.1f GB of heap left (raise -Xmx)",
                    Tensor.shapeString(outShape), q.dtype().numpyName(), bytes / 1e9, free / 1e9));
        }
        int width = Math.max(d, outShape[outShape.length - 1]);
        for (int t = 0; t < keys.size(); t++) {
            int[] ks = keys.get(t).shape();
            long packed = (ks[ks.length - 2] + 64L) * (width + 16L);
            if (packed > Tensor.MAX_ELEMENTS) {
                throw new IllegalArgumentException("k" + (t + 1) + " of shape " + Tensor.shapeString(ks)
                        + " with value width " + outShape[outShape.length - 1] + " is too large for one array ("
                        + Tensor.MAX_ELEMENTS + " values)");
            }
        }
    }

    /** For each problem (a flat index over q's leading shape), the flat index of its key/value problem. */
    static int[] mapLeading(int[] ql, int[] kl) {
        if (kl.length > ql.length) {
            throw new IllegalArgumentException("keys have more leading dimensions " + Tensor.shapeString(kl)
                    + " than q " + Tensor.shapeString(ql));
        }
        int[] kp = new int[ql.length];
        Arrays.fill(kp, 1);
        System.arraycopy(kl, 0, kp, ql.length - kl.length, kl.length);
        for (int a = 0; a < ql.length; a++) {
            boolean ok = kp[a] == ql[a] || kp[a] == 1
                    || (a == ql.length - 1 && kp[a] > 0 && ql[a] % kp[a] == 0);
            if (!ok) {
                throw new IllegalArgumentException("key leading shape " + Tensor.shapeString(kl)
                        + " does not broadcast against q's " + Tensor.shapeString(ql)
                        + " (dimensions must match, be 1, or group query heads: H a multiple of G)");
            }
        }
        int problems = Math.toIntExact(Tensor.sizeOf(ql));
        int[] map = new int[problems];
        int[] idx = new int[ql.length];
        for (int p = 0; p < problems; p++) {
            int rest = p;
            for (int a = ql.length - 1; a >= 0; a--) {
                idx[a] = rest % ql[a];
                rest /= ql[a];
            }
            int flat = 0;
            for (int a = 0; a < ql.length; a++) {
                int ka = kp[a] == ql[a] ? idx[a] : kp[a] == 1 ? 0 : idx[a] / (ql[a] / kp[a]);
                flat = flat * kp[a] + ka;
            }
            map[p] = flat;
        }
        return map;
    }

    /** The polynomial method's prefix sums start at row 0: a shifted mask (a slice) is for the exact kernel. */
    private static void requireWholeProblem(AttentionOptions options) {
        if (options.mask().isShifted() && options.method() != Method.EXACT) {
            throw new IllegalArgumentException("a shifted mask runs on the exact method only");
        }
    }

    private static void requireMatrix(String name, Tensor t) {
        if (t.rank() < 2) {
            throw new IllegalArgumentException(name + " must have at least 2 dimensions (..., n, width), got shape "
                    + Tensor.shapeString(t.shape()));
        }
    }

    public static void requireFinite(String name, Tensor t) {
        int bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException(name + " contains a non-finite value (" + t.get(bad)
                    + " at flat index " + bad + ")");
        }
    }

    /** The leading (batch, head) shape: all but the last two dimensions. */
    public static int[] leading(Tensor t) {
        return Arrays.copyOf(t.shape(), t.rank() - 2);
    }

    public static int[] concat(int[] lead, int... tail) {
        int[] s = Arrays.copyOf(lead, lead.length + tail.length);
        System.arraycopy(tail, 0, s, lead.length, tail.length);
        return s;
    }

    public static double[][] doubles(List<Tensor> ts) {
        double[][] r = new double[ts.size()][];
        for (int t = 0; t < r.length; t++) {
            r[t] = ts.get(t).to(DType.FLOAT64).doubles();
        }
        return r;
    }

    public static float[][] floats(List<Tensor> ts) {
        float[][] r = new float[ts.size()][];
        for (int t = 0; t < r.length; t++) {
            r[t] = ts.get(t).to(DType.FLOAT32).floats();
        }
        return r;
    }
}
