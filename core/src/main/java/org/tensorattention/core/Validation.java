package org.tensorattention.core;

import java.util.Arrays;
import java.util.List;

/**
 * The checks every attention call passes before any kernel runs: shapes that fit together, finite values,
 * and sizes that fit in memory. Each refusal is an IllegalArgumentException whose one-line message names the
 * array and what is wrong with it. Kernels receive the resulting {@link Geometry} and trust it.
 */
public final class Validation {
    private Validation() {
    }

    /**
     * Checks that q, keys and values fit together and resolves their leading dimensions.
     *
     * @throws IllegalArgumentException naming the first array that does not fit, and why
     */
    public static Geometry geometry(Tensor q, List<Tensor> keys, List<Tensor> values) {
        return geometry(q, keys, values, false);
    }

    private static Geometry geometry(Tensor q, List<Tensor> keys, List<Tensor> values, boolean packed) {
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
            if (nk[t] == 0 && !packed && nq > 0) {
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
            int[] kl = Geometry.leading(k);
            if (kvLead == null) {
                kvLead = kl;
            } else if (!Arrays.equals(kl, kvLead)) {
                throw new IllegalArgumentException(kn + " has leading shape " + Tensor.shapeString(kl)
                        + " but k1 has " + Tensor.shapeString(kvLead));
            }
            if (!Arrays.equals(Geometry.leading(v), kl)) {
                throw new IllegalArgumentException(vn + " has leading shape " + Tensor.shapeString(Geometry.leading(v))
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
        int[] ql = Geometry.leading(q);
        int[] kvProblem = mapLeading(ql, kvLead);
        requireRoom(q, keys, Geometry.concat(ql, nq, dv), d);
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
                    "the output o of shape %s (%s) needs %.1f GB, more than the %.1f GB of heap left (raise -Xmx through JAVA_OPTS)",
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

    private static void requireMatrix(String name, Tensor t) {
        if (t.rank() < 2) {
            throw new IllegalArgumentException(name + " must have at least 2 dimensions (..., n, width), got shape "
                    + Tensor.shapeString(t.shape()));
        }
    }

    /**
     * t, a result cast to q's dtype, refused (naming it) when a value passed that dtype's range on the way.
     *
     * @throws IllegalArgumentException naming the result and where it first overflowed
     */
    public static Tensor requireInRange(String name, Tensor t) {
        int bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException(name + " would pass the range of " + t.dtype().numpyName()
                    + " (the dtype of q) at flat index " + bad + "; scale the inputs down");
        }
        return t;
    }

    /** @throws IllegalArgumentException naming the array and its first non-finite value */
    public static void requireFinite(String name, Tensor t) {
        int bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException(name + " contains a non-finite value (" + t.get(bad)
                    + " at flat index " + bad + ")");
        }
    }

    /**
     * Checks that dout has the output's shape and finite values.
     *
     * @throws IllegalArgumentException naming dout
     */
    public static void requireDout(Tensor q, Geometry g, Tensor dout) {
        int[] expected = Geometry.concat(Geometry.leading(q), g.nq(), g.dv());
        if (!Arrays.equals(dout.shape(), expected)) {
            throw new IllegalArgumentException("dout has shape " + Tensor.shapeString(dout.shape())
                    + " but the output has shape " + Tensor.shapeString(expected));
        }
        requireFinite("dout", dout);
    }

    /**
     * As {@link #geometry(Tensor, List, List)}, for arrays in the given layout. bshd: the shapes are checked with
     * seq and heads relabelled ({@link Layouts#headsFirst}, no copy), and the geometry interleaves the heads' rows.
     */
    public static Geometry geometry(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions.Layout layout) {
        return geometry(q, keys, values, layout, false);
    }

    /**
     * As {@link #geometry(Tensor, List, List, AttentionOptions.Layout)} for a packed batch, whose rows may be
     * none at all: every sequence is then empty (or has queries but no keys) and gets o = 0 and lse = -inf.
     */
    public static Geometry packedGeometry(Tensor q, List<Tensor> keys, List<Tensor> values,
                                          AttentionOptions.Layout layout) {
        return geometry(q, keys, values, layout, true);
    }

    private static Geometry geometry(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions.Layout layout,
                                     boolean packed) {
        if (layout == AttentionOptions.Layout.BSHD) {
            return geometry(Layouts.headsFirst("q", q), Layouts.headsFirst("k", keys), Layouts.headsFirst("v", values),
                    packed).interleaved(q.dim(-2), keys.get(0).dim(-2));
        }
        return geometry(q, keys, values, packed);
    }

    /**
     * The options as the kernels take them: the mask checked against the order, aligned bottom-right (query i
     * at position nk_t - nq + i) and checked to keep the monotone-interval contract.
     */
    public static AttentionOptions align(Geometry g, AttentionOptions options) {
        Mask mask = options.mask();
        mask.checkOrder(g.order());
        Mask aligned = mask.aligned(g.nq(), g.nk());
        aligned.checkMonotone(g.nq(), g.nk());
        return aligned == mask ? options : options.withMask(aligned);
    }
}
