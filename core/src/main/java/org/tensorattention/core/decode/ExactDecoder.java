package org.tensorattention.core.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.core.cpu.CpuBackend;
import org.tensorattention.core.exact.ExactForward;
import org.tensorattention.core.exact.PackedFactor;

/**
 * Exact incremental decoding with a key/value cache, beside the polynomial decoder: each appended token (its q,
 * its k_t and v_t rows) is attended to by its query together with every earlier token, exactly as row n - 1 of
 * the causal batch result, in O(n^{k-1} (d + dv)) for n cached tokens (for a window, O(prod_t w_t (d + dv))).
 * {@link #prefill} appends m tokens at once: query i of the chunk sits at position n + i.
 *
 * <p>One query row would be one block of the batch kernel: one thread, a quarter of its register tile. So a
 * token is scored as an order-2 problem instead. Each outer tuple J' = (j_1 .. j_{k-2}) becomes a query row
 * c q ∘ prod_t K_t[j_t] against the last factor's keys, which the blocked kernel runs at its many-row rate on all
 * threads; the rows' outputs o(J') and log-sum-exps l(J') are then merged in J' order (deterministic):
 * O = sum_J' e^{l(J') - L} prod_t V_t[j_t] ∘ o(J'), L = log sum_J' e^{l(J')}. The cache grows by doubling in the
 * compute dtype, so a call converts nothing, and the last factor is also kept in the kernel's packed layout
 * ({@link PackedFactor}), so a call packs only its new tokens: at order 2 repacking the whole factor per token
 * would cost as much as the token's work. A window on the last factor (its first key past 0) still copies the
 * window's keys per call, O(w (d + dv)) against O(w^{k-1} (d + dv)).
 */
public final class ExactDecoder {
    /** Outer tuples per kernel call: bounds the modulated rows' memory (about 8k rows of d values). */
    private static final int CHUNK_ROWS = 1 << 13;
    /** Query rows per task of the batch kernel: a chunk with fewer rows than this times the threads decodes token by token. */
    private static final int BLOCK_ROWS = 32;

    private final int factors;
    private final int d;
    private final int dv;
    private final AttentionOptions options;
    private final Mask mask;
    private final DType dtype;
    private final double scale;
    private final int threads;
    private final int chunkRows;
    /** The cache in float64 (the outer products are formed in float64) and, for float32, as the kernel reads it. */
    private double[][] k;
    private double[][] v;
    private float[][] kf;
    private float[][] vf;
    /** Column maxima of |K_t| and |V_t|: the range check that lets a call skip the rebalancing. */
    private final double[][] kMax;
    private final double[][] vMax;
    /** The last factor's keys and values as the blocked kernel reads them, grown with the cache. */
    private PackedFactor last;
    private int n;

    /**
     * @param order   k >= 2
     * @param options scale, threads and mask: full or causal (the same here: a token sees the past) or a window
     *                with k - 1 widths, optionally banded; the method is always exact
     */
    public ExactDecoder(int order, int d, int dv, DType dtype, AttentionOptions options) {
        this(order, d, dv, dtype, options, CHUNK_ROWS);
    }

    /** chunkRows: outer tuples per kernel call (small in tests, so that a token merges several calls). */
    ExactDecoder(int order, int d, int dv, DType dtype, AttentionOptions options, int chunkRows) {
        if (order < 2) {
            throw new IllegalArgumentException("order must be at least 2, got " + order);
        }
        if (d < 1 || dv < 1) {
            throw new IllegalArgumentException("d and dv must be at least 1, got " + d + " and " + dv);
        }
        options.mask().checkOrder(order);
        if (options.mask().isShifted()) {
            throw new IllegalArgumentException("the decoder places its own queries: give an unshifted mask");
        }
        if (options.mask().intervals() instanceof Mask.Full) {
            options = options.causal();
        }
        factors = order - 1;
        this.d = d;
        this.dv = dv;
        this.dtype = dtype;
        this.mask = options.mask();
        this.options = options.withMethod(Method.EXACT).withLayout(AttentionOptions.Layout.BHSD);
        scale = options.scaleFor(d);
        threads = options.threadCount();
        this.chunkRows = chunkRows;
        k = new double[factors][64 * d];
        v = new double[factors][64 * dv];
        if (dtype == DType.FLOAT32) {
            kf = new float[factors][64 * d];
            vf = new float[factors][64 * dv];
        }
        kMax = new double[factors][d];
        vMax = new double[factors][dv];
        last = new PackedFactor(dtype, d, dv);
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
        if (q.length != d) {
            throw new IllegalArgumentException("q must have d = " + d + " values, got " + q.length);
        }
        if (keys.length != factors || values.length != factors) {
            throw new IllegalArgumentException("the decoder has " + factors + " key factors, got " + keys.length
                    + " keys and " + values.length + " values");
        }
        List<Tensor> ks = new ArrayList<>();
        List<Tensor> vs = new ArrayList<>();
        for (int t = 0; t < factors; t++) {
            ks.add(Tensor.of(keys[t], 1, keys[t].length));
            vs.add(Tensor.of(values[t], 1, values[t].length));
        }
        return prefill(Tensor.of(q, 1, d), ks, vs).output().to(DType.FLOAT64).doubles();
    }

    /** Appends m tokens (q (m, d), k_t (m, d), v_t (m, dv)) and returns their outputs (m, dv) and lse (m). */
    public AttentionResult prefill(Tensor q, List<Tensor> keys, List<Tensor> values) {
        if (q.rank() != 2 || q.dim(1) != d) {
            throw new IllegalArgumentException("q must be (m, " + d + "), got " + Tensor.shapeString(q.shape()));
        }
        Validation.requireFinite("q", q);
        int m = q.dim(0);
        int first = n;
        double[][] kMax0 = copy(kMax);
        double[][] vMax0 = copy(vMax);
        store(keys, values, m);
        try {
            return compute(q, first, m);
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            // A range check on the cache with the new tokens refused them: take them out again.
            rollBack(first, kMax0, vMax0);
            throw e;
        }
    }

    private AttentionResult compute(Tensor q, int first, int m) {
        long start = System.nanoTime();
        int[] nk = new int[factors];
        Arrays.fill(nk, n);
        Geometry g = Geometry.simple(1, m, nk, d, dv);
        Mask aligned = mask.aligned(m, nk);
        // As a batch call in the dtype would see it: q rounded to the dtype.
        double[] qd = q.to(dtype).toDoubleArray();
        AttentionResult r;
        if (!inRange(qd, m)) {
            // Magnitudes near the dtype's range: the backend's full call rebalances them (ExactRange).
            r = CpuBackend.INSTANCE.forward(q.to(dtype), cacheTensors(k, d), cacheTensors(v, dv),
                    options.withMask(aligned));
        } else if (factors == 1 || m >= BLOCK_ROWS * threads) {
            r = batch(qd, g, aligned);
        } else {
            r = tokenByToken(qd, first, m);
        }
        double seconds = (System.nanoTime() - start) * 1e-9;
        return new AttentionResult(r.output(), r.logSumExp(), Method.EXACT, seconds, g.exactFlops(aligned), null,
                "exact decoding");
    }

    /** Enough rows to fill the batch kernel's tasks: the chunk runs as one call against the whole cache. */
    private AttentionResult batch(double[] q, Geometry g, Mask aligned) {
        int m = g.nq();
        double[] lse = new double[m];
        if (dtype == DType.FLOAT32) {
            float[] out = new float[m * dv];
            ExactForward.forward(g, scale, aligned, toFloats(q), kf, vf, last, out, lse, threads);
            return result(Tensor.of(out, m, dv), lse);
        }
        double[] out = new double[m * dv];
        ExactForward.forward(g, scale, aligned, q, k, v, last, out, lse, threads);
        return result(Tensor.of(out, m, dv), lse);
    }

    private AttentionResult tokenByToken(double[] q, int first, int m) {
        double[] out = new double[m * dv];
        double[] lse = new double[m];
        double[] row = new double[dv];
        for (int i = 0; i < m; i++) {
            lse[i] = token(Arrays.copyOfRange(q, i * d, (i + 1) * d), first + i, row);
            System.arraycopy(row, 0, out, i * dv, dv);
        }
        Tensor o = Tensor.of(out, m, dv);
        return result(dtype == DType.FLOAT32 ? o.to(DType.FLOAT32) : o, lse);
    }

    private static AttentionResult result(Tensor out, double[] lse) {
        return new AttentionResult(out, Tensor.of(lse, lse.length), Method.EXACT, 0, 0, null, "exact decoding");
    }

    /**
     * The query at position pos (keys 0..pos cached) as the order-2 problem over its outer tuples: fills out (dv)
     * and returns the log-sum-exp.
     */
    private double token(double[] q, int pos, double[] out) {
        int inner = factors - 1;
        int band = mask.band();
        int a = mask.lo(inner, pos);
        int keys = pos - a + 1;
        int[] lo = new int[inner];
        int[] hi = new int[inner];
        long rows = 1;
        for (int t = 0; t < inner; t++) {
            lo[t] = mask.lo(t, pos);
            hi[t] = pos;
            rows *= hi[t] - lo[t] + 1;
        }
        if (band != Mask.UNBOUNDED && inner >= 2 || rows > Integer.MAX_VALUE) {
            // A band across several outer factors is no interval per row: the token runs as one batch row.
            return oneRow(q, pos, out);
        }
        if (band != Mask.UNBOUNDED && inner == 1) {
            // Only outer indices within the band of some allowed key of the last factor.
            lo[0] = Math.max(lo[0], a - band + 1);
            hi[0] = (int) Math.min(hi[0], (long) pos + band - 1);
            rows = Math.max(0, hi[0] - lo[0] + 1);
        }
        Object kIn = innerRows(dtype == DType.FLOAT32 ? kf[inner] : k[inner], a, keys, d);
        Object vIn = innerRows(dtype == DType.FLOAT32 ? vf[inner] : v[inner], a, keys, dv);
        // From key 0 the packed cache serves; a window's later start would shift the kernel's blocks.
        PackedFactor packed = a == 0 ? last : null;
        Merge merge = new Merge(dv);
        int[] j = lo.clone();
        for (long done = 0; done < rows; ) {
            int c = (int) Math.min(chunkRows, rows - done);
            // With a band (order 3) the last factor's interval moves with j_1: a window of 2B - 1 keys about it.
            Mask rowMask = band == Mask.UNBOUNDED || inner == 0 ? Mask.FULL
                    : new Mask.Window(new int[] {(int) Math.min(Integer.MAX_VALUE - 1L, 2L * band - 1)},
                            new int[] {j[0] + band - 1 - a});
            double[] qm = new double[c * d];
            double[] vm = new double[c * dv];
            for (int r = 0; r < c; r++) {
                outerRow(q, j, qm, r * d, vm, r * dv);
                next(j, lo, hi);
            }
            Geometry g = Geometry.simple(1, c, new int[] {keys}, d, dv);
            double[] lse = new double[c];
            Object o = order2(g, rowMask, qm, kIn, vIn, packed, lse);
            for (int r = 0; r < c; r++) {
                merge.add(lse[r], vm, o, r * dv);
            }
            done += c;
        }
        return merge.finish(out);
    }

    /**
     * The kernel on c modulated rows against one key/value factor (scale already in qm), reading packed when it
     * is given: returns the outputs (c, dv) in the dtype (float[] or double[]) and fills lse.
     */
    private Object order2(Geometry g, Mask rowMask, double[] qm, Object kIn, Object vIn, PackedFactor packed,
                          double[] lse) {
        int c = g.nq();
        if (dtype == DType.FLOAT32) {
            float[] o = new float[c * dv];
            float[][] kr = {(float[]) kIn};
            float[][] vr = {(float[]) vIn};
            if (packed != null) {
                ExactForward.forward(g, 1, rowMask, toFloats(qm), kr, vr, packed, o, lse, threads);
            } else {
                ExactForward.forward(g, 1, rowMask, toFloats(qm), kr, vr, o, lse, threads);
            }
            return o;
        }
        double[] o = new double[c * dv];
        double[][] kr = {(double[]) kIn};
        double[][] vr = {(double[]) vIn};
        if (packed != null) {
            ExactForward.forward(g, 1, rowMask, qm, kr, vr, packed, o, lse, threads);
        } else {
            ExactForward.forward(g, 1, rowMask, qm, kr, vr, o, lse, threads);
        }
        return o;
    }

    /** Row r of the order-2 problem: c q ∘ prod_t K_t[j_t] and prod_t V_t[j_t] over the outer factors. */
    private void outerRow(double[] q, int[] j, double[] qm, int qo, double[] vm, int vo) {
        for (int l = 0; l < d; l++) {
            double x = scale * q[l];
            for (int t = 0; t < j.length; t++) {
                x *= k[t][j[t] * d + l];
            }
            qm[qo + l] = x;
        }
        for (int l = 0; l < dv; l++) {
            double x = 1;
            for (int t = 0; t < j.length; t++) {
                x *= v[t][j[t] * dv + l];
            }
            vm[vo + l] = x;
        }
    }

    /** The odometer over the outer intervals, last factor fastest. */
    private static void next(int[] j, int[] lo, int[] hi) {
        for (int t = j.length - 1; t >= 0; t--) {
            if (++j[t] <= hi[t]) {
                return;
            }
            j[t] = lo[t];
        }
    }

    /** Rows a .. a + count - 1 of a cache array (the array itself when a is 0: the kernel reads only count rows). */
    private static Object innerRows(Object cache, int a, int count, int width) {
        if (a == 0) {
            return cache;
        }
        return cache instanceof float[] f ? Arrays.copyOfRange(f, a * width, (a + count) * width)
                : Arrays.copyOfRange((double[]) cache, a * width, (a + count) * width);
    }

    /** The token at pos as one query row of the batch kernel (the banded case of order 4 and above). */
    private double oneRow(double[] q, int pos, double[] out) {
        int[] nk = new int[factors];
        Arrays.fill(nk, pos + 1);
        Geometry g = Geometry.simple(1, 1, nk, d, dv);
        double[] lse = new double[1];
        if (dtype == DType.FLOAT32) {
            float[] o = new float[dv];
            ExactForward.forward(g, scale, mask.aligned(1, nk), toFloats(q), kf, vf, last, o, lse, threads);
            for (int l = 0; l < dv; l++) {
                out[l] = o[l];
            }
        } else {
            ExactForward.forward(g, scale, mask.aligned(1, nk), q, k, v, last, out, lse, threads);
        }
        return lse[0];
    }

    /** The running merge of the outer tuples' rows, in their order: max, sum and output relative to the max. */
    private static final class Merge {
        private final double[] acc;
        private double max = Double.NEGATIVE_INFINITY;
        private double sum;

        Merge(int dv) {
            acc = new double[dv];
        }

        void add(double lse, double[] vm, Object o, int at) {
            if (lse == Double.NEGATIVE_INFINITY) {
                return;
            }
            if (lse > max) {
                double alpha = max == Double.NEGATIVE_INFINITY ? 0 : StrictMath.exp(max - lse);
                sum *= alpha;
                for (int l = 0; l < acc.length; l++) {
                    acc[l] *= alpha;
                }
                max = lse;
            }
            double w = StrictMath.exp(lse - max);
            sum += w;
            for (int l = 0; l < acc.length; l++) {
                double ol = o instanceof float[] f ? f[at + l] : ((double[]) o)[at + l];
                acc[l] += w * vm[at + l] * ol;
            }
        }

        double finish(double[] out) {
            for (int l = 0; l < acc.length; l++) {
                out[l] = sum > 0 ? acc[l] / sum : 0;
            }
            return sum > 0 ? max + StrictMath.log(sum) : Double.NEGATIVE_INFINITY;
        }
    }

    /**
     * Whether every intermediate of the m queries stays below a quarter of the dtype's largest value without
     * rebalancing: the scores, the modulated queries and the value products and sums.
     */
    private boolean inRange(double[] q, int m) {
        double limit = (dtype == DType.FLOAT32 ? Float.MAX_VALUE : Double.MAX_VALUE) / 4;
        double qCol = 0;
        double score = 0;
        for (int l = 0; l < d; l++) {
            double col = 0;
            for (int i = 0; i < m; i++) {
                col = Math.max(col, Math.abs(scale * q[i * d + l]));
            }
            double modulated = col;
            for (int t = 0; t < factors - 1; t++) {
                modulated *= kMax[t][l];
            }
            qCol = Math.max(qCol, Math.max(col, modulated));
            score += modulated * kMax[factors - 1][l];
        }
        double values = 0;
        for (int l = 0; l < dv; l++) {
            double prod = n;
            for (int t = 0; t < factors; t++) {
                prod *= vMax[t][l];
            }
            values = Math.max(values, prod);
        }
        return qCol < limit && score < limit && values < limit;
    }

    private List<Tensor> cacheTensors(double[][] cache, int width) {
        List<Tensor> r = new ArrayList<>();
        for (double[] c : cache) {
            r.add(Tensor.of(Arrays.copyOf(c, n * width), n, width).to(dtype));
        }
        return r;
    }

    /** The cache as it was with n tokens: the arrays keep their rows, the packed last factor is packed again. */
    private void rollBack(int tokens, double[][] kMax0, double[][] vMax0) {
        n = tokens;
        for (int t = 0; t < factors; t++) {
            System.arraycopy(kMax0[t], 0, kMax[t], 0, d);
            System.arraycopy(vMax0[t], 0, vMax[t], 0, dv);
        }
        last = new PackedFactor(dtype, d, dv);
        if (kf != null) {
            last.append(kf[factors - 1], 0, vf[factors - 1], 0, n);
        } else {
            last.append(k[factors - 1], 0, v[factors - 1], 0, n);
        }
    }

    private static double[][] copy(double[][] x) {
        double[][] c = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            c[i] = x[i].clone();
        }
        return c;
    }

    private static float[] toFloats(double[] x) {
        float[] f = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            f[i] = (float) x[i];
        }
        return f;
    }

    private void store(List<Tensor> keys, List<Tensor> values, int m) {
        if (keys.size() != factors || values.size() != factors) {
            throw new IllegalArgumentException("the decoder has " + factors + " key factors, got " + keys.size()
                    + " keys and " + values.size() + " values");
        }
        for (int t = 0; t < factors; t++) {
            if (keys.get(t).rank() != 2 || keys.get(t).dim(0) != m || keys.get(t).dim(1) != d
                    || values.get(t).rank() != 2 || values.get(t).dim(0) != m || values.get(t).dim(1) != dv) {
                throw new IllegalArgumentException("k" + (t + 1) + " and v" + (t + 1) + " must be (" + m + ", "
                        + d + ") and (" + m + ", " + dv + "), got " + Tensor.shapeString(keys.get(t).shape())
                        + " and " + Tensor.shapeString(values.get(t).shape()));
            }
        }
        for (int t = 0; t < factors; t++) {
            Validation.requireFinite("k" + (t + 1), keys.get(t));
            Validation.requireFinite("v" + (t + 1), values.get(t));
        }
        int size = n + m;
        for (int t = 0; t < factors; t++) {
            if (k[t].length < (long) size * d) {
                // Doubling: appending n tokens one by one copies O(n (d + dv)) in all.
                int cap = Math.max(size, 2 * (k[t].length / d));
                k[t] = Arrays.copyOf(k[t], cap * d);
                v[t] = Arrays.copyOf(v[t], cap * dv);
                if (kf != null) {
                    kf[t] = Arrays.copyOf(kf[t], cap * d);
                    vf[t] = Arrays.copyOf(vf[t], cap * dv);
                }
            }
            double[] kt = keys.get(t).toDoubleArray();
            double[] vt = values.get(t).toDoubleArray();
            if (kf != null) {
                // The float32 decoder holds what a float32 batch call would: the inputs rounded to float.
                for (int x = 0; x < kt.length; x++) {
                    kt[x] = kf[t][n * d + x] = (float) kt[x];
                }
                for (int x = 0; x < vt.length; x++) {
                    vt[x] = vf[t][n * dv + x] = (float) vt[x];
                }
            }
            System.arraycopy(kt, 0, k[t], n * d, m * d);
            System.arraycopy(vt, 0, v[t], n * dv, m * dv);
            if (t == factors - 1) {
                if (kf != null) {
                    last.append(kf[t], n * d, vf[t], n * dv, m);
                } else {
                    last.append(k[t], n * d, v[t], n * dv, m);
                }
            }
            for (int x = 0; x < kt.length; x++) {
                kMax[t][x % d] = Math.max(kMax[t][x % d], Math.abs(kt[x]));
            }
            for (int x = 0; x < vt.length; x++) {
                vMax[t][x % dv] = Math.max(vMax[t][x % dv], Math.abs(vt[x]));
            }
        }
        n = size;
    }
}
