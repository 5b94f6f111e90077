package org.tensorattention.bench;

import org.tensorattention.core.decode.ExactDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.evidence.FmaPeak;

/**
 * What packed batches, the pair band and exact decoding cost, each against a baseline measured in the same run:
 * the packed batch against its sequences run one by one, the band against the window alone (and its tuple
 * count), one decoded token against the exact kernel's rate on a many-row call, all beside the FMA peak.
 * bshd's in-place forward and backward against bhsd on the same data.
 * Options: {@code threads=2 batch=64 bandN=8192 band=16 window=256 decodeN=4096 only=packed|band|decode|layout}.
 */
public final class FeaturesBench {
    private FeaturesBench() {
    }

    public static void main(String[] args) {
        int threads = 2;
        int batch = 64;
        int bandN = 8192;
        int band = 16;
        int window = 256;
        int decodeN = 4096;
        String only = "";
        for (String a : args) {
            String[] kv = a.split("=", 2);
            if (kv[0].equals("only")) {
                only = kv[1];
                continue;
            }
            int x = Integer.parseInt(kv[1]);
            switch (kv[0]) {
                case "threads" -> threads = x;
                case "batch" -> batch = x;
                case "bandN" -> bandN = x;
                case "band" -> band = x;
                case "window" -> window = x;
                case "decodeN" -> decodeN = x;
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        System.out.println("load average at start: " + ExactForwardReport.loadAverage());
        System.out.println("vector width: " + jdk.incubator.vector.DoubleVector.SPECIES_PREFERRED.vectorBitSize()
                + " bits");
        double peak1 = FmaPeak.gflops(false, 1, 50_000_000);
        double peak = FmaPeak.gflops(false, threads, 50_000_000);
        System.out.printf(Locale.ROOT, "FMA peak float64: %.1f GFLOP/s (1 thread), %.1f (%d threads)%n", peak1,
                peak, threads);
        if (only.isEmpty() || only.equals("packed")) {
            packed(batch, threads);
        }
        if (only.isEmpty() || only.equals("band")) {
            band(bandN, band, window, threads, peak);
        }
        if (only.isEmpty() || only.equals("decode")) {
            decode(decodeN, threads, peak1, peak);
        }
        if (only.isEmpty() || only.equals("layout")) {
            layout(threads);
        }
        System.out.println("load average at end: " + ExactForwardReport.loadAverage());
    }

    /** Order 3, causal, d = dv = 16: 64 sequences of 16..512 rows packed, against each alone. */
    static void packed(int batch, int threads) {
        Random rnd = new Random(1);
        int[] cu = new int[batch + 1];
        for (int b = 0; b < batch; b++) {
            cu[b + 1] = cu[b] + 16 + rnd.nextInt(497);
        }
        int total = cu[batch];
        int d = 16;
        Tensor q = random(rnd, total, d);
        List<Tensor> keys = List.of(random(rnd, total, d), random(rnd, total, d));
        List<Tensor> values = List.of(random(rnd, total, d), random(rnd, total, d));
        AttentionOptions o = AttentionOptions.defaults().causal().withThreads(threads);
        Packed.forward(q, keys, values, cu, cu, o); // warm-up
        double alone = 0;
        double packed = 0;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            AttentionResult r = Packed.forward(q, keys, values, cu, cu, o);
            packed += (System.nanoTime() - t0) * 1e-9;
            for (int b = 0; b < batch; b++) {
                int from = cu[b];
                int to = cu[b + 1];
                Tensor qs = rows(q, from, to);
                List<Tensor> ks = keys.stream().map(k -> rows(k, from, to)).toList();
                List<Tensor> vs = values.stream().map(v -> rows(v, from, to)).toList();
                long t1 = System.nanoTime();
                TensorAttention.forward(qs, ks, vs, o);
                alone += (System.nanoTime() - t1) * 1e-9;
            }
            if (r.output().size() == 0) {
                throw new AssertionError();
            }
        }
        System.out.printf(Locale.ROOT, "packed: %d sequences, %d rows, order 3 causal d=dv=16: packed %.3f s, "
                + "sum of sequences alone %.3f s, ratio %.3f%n", batch, total, packed / 3, alone / 3, packed / alone);
    }

    /** Order 3 at n: window (w, w) with and without band B; time ratio against tuple ratio. */
    static void band(int n, int band, int window, int threads, double peak) {
        Random rnd = new Random(2);
        int d = 16;
        Tensor q = random(rnd, n, d);
        List<Tensor> keys = List.of(random(rnd, n, d), random(rnd, n, d));
        List<Tensor> values = List.of(random(rnd, n, d), random(rnd, n, d));
        AttentionOptions w = AttentionOptions.defaults().window(window, window).withThreads(threads);
        AttentionOptions b = w.withBand(band);
        double tw = best(() -> TensorAttention.forward(q, keys, values, w));
        AttentionResult rb = TensorAttention.forward(q, keys, values, b);
        double tb = best(() -> TensorAttention.forward(q, keys, values, b));
        double tuplesW = (double) n * window * window;
        double tuplesB = rb.flops() / (2.0 * (d + d));
        System.out.printf(Locale.ROOT, "band: n=%d order 3 d=dv=16 window (%d,%d): %.3f s; with band %d: %.3f s "
                        + "(%.1f GFLOP/s, %.2f of peak); time ratio %.3f, tuple ratio %.3f%n", n, window, window, tw,
                band, tb, rb.flops() / tb / 1e9, rb.flops() / tb / 1e9 / peak, tb / tw, tuplesB / tuplesW);
    }

    /**
     * d = dv = 64, causal, each dtype: tokens appended one by one to a decoder holding n - 1 (order 3) or 64 n - 1
     * (order 2) tokens, against the batch kernel's rate on a many-row call (order 3: 64 queries against 1024 x 1024
     * key tuples; order 2: 1024 queries against 4 n keys; full mask), and a 16-token prefill (order 3). An order-2
     * token is a matrix-vector product over the cache, so its rate is also given as the bytes of cache read per
     * second. The
     * batch call and two tokens alternate over several rounds, so that each round's ratio sees the same load; the
     * median round is reported with the range.
     */
    static void decode(int n, int threads, double peak1, double peak) {
        for (int order = 3; order >= 2; order--) {
            int tokens = order == 3 ? n : 64 * n;
            for (DType dt : DType.values()) {
                Decoding r = decoding(order, tokens, dt, threads);
                System.out.printf(Locale.ROOT, "decode %s: order %d d=dv=64 causal, token %d: %.4f s, %.1f GFLOP/s, "
                                + "%.2f of the batch kernel's %.1f GFLOP/s (%s full, same rounds; rounds %.2f "
                                + "to %.2f), %.2f of the %d-thread float64 FMA peak", dt.numpyName(), order,
                        tokens, r.seconds(), r.rate(), r.ratio(), r.batchRate(),
                        order == 3 ? "64 x 1024^2" : "1024 x " + 4 * n, r.lowest(), r.highest(), r.rate() / peak,
                        threads);
                if (order == 2) {
                    System.out.printf(Locale.ROOT, "; the cache read at %.1f GB/s",
                            (double) tokens * (64 + 64) * dt.bytes() / r.seconds() / 1e9);
                }
                if (order == 3) {
                    System.out.printf(Locale.ROOT, "; a 16-token prefill at %d: %.1f GFLOP/s (%.2f of the batch "
                            + "rate)", tokens - 16, r.prefillRate(), r.prefillRate() / r.batchRate());
                }
                System.out.println();
            }
        }
    }

    /** The median round's token seconds, rates and ratio, the range of the rounds' ratios, and a prefill's rate. */
    record Decoding(double seconds, double rate, double batchRate, double ratio, double lowest, double highest,
                    double prefillRate) {
    }

    static Decoding decoding(int order, int n, DType dt, int threads) {
        Random rnd = new Random(3);
        int d = 64;
        AttentionOptions o = AttentionOptions.defaults().causal().withThreads(threads);
        // Order 2: enough queries that packing the keys, once per call, is small against the call's work.
        Tensor bq = random(rnd, order == 3 ? 64 : 1024, d).to(dt);
        List<Tensor> bk = order == 3 ? List.of(random(rnd, 1024, d).to(dt), random(rnd, 1024, d).to(dt))
                : List.of(random(rnd, n / 16, d).to(dt));
        AttentionOptions full = AttentionOptions.defaults().withThreads(threads);
        double batchFlops = TensorAttention.forward(bq, bk, bk, full).flops();
        ExactDecoder dec = fresh(order, rnd, n - 1, d, dt, o);
        double[][] k = new double[order - 1][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = random(rnd, 1, d).doubles();
        }
        double[] q = random(rnd, 1, d).doubles();
        dec.append(q, k, k);
        int rounds = 7;
        double[][] round = new double[rounds][];
        for (int x = 0; x < rounds; x++) {
            long t0 = System.nanoTime();
            TensorAttention.forward(bq, bk, bk, full);
            double batch = (System.nanoTime() - t0) * 1e-9;
            double token = Double.POSITIVE_INFINITY;
            for (int rep = 0; rep < 2; rep++) {
                long t1 = System.nanoTime();
                dec.append(q, k, k);
                token = Math.min(token, (System.nanoTime() - t1) * 1e-9);
            }
            double flops = 2.0 * (d + d) * Math.pow(dec.length(), order - 1);
            round[x] = new double[] {token, flops / token / 1e9, batchFlops / batch / 1e9};
        }
        java.util.Arrays.sort(round, java.util.Comparator.comparingDouble(r -> r[1] / r[2]));
        double[] median = round[rounds / 2];
        double chunkRate = 0;
        if (order == 3) {
            int m = 16;
            for (int rep = 0; rep < 2; rep++) {
                ExactDecoder chunk = fresh(order, rnd, n - m, d, dt, o);
                long t1 = System.nanoTime();
                AttentionResult r = chunk.prefill(random(rnd, m, d).to(dt), List.of(random(rnd, m, d),
                        random(rnd, m, d)), List.of(random(rnd, m, d), random(rnd, m, d)));
                chunkRate = Math.max(chunkRate, r.flops() / ((System.nanoTime() - t1) * 1e-9) / 1e9);
            }
        }
        return new Decoding(median[0], median[1], median[2], median[1] / median[2], round[0][1] / round[0][2],
                round[rounds - 1][1] / round[rounds - 1][2], chunkRate);
    }

    /** A decoder with the first tokens random. */
    private static ExactDecoder fresh(int order, Random rnd, int tokens, int d, DType dt, AttentionOptions o) {
        ExactDecoder dec = new ExactDecoder(order, d, d, dt, o);
        List<Tensor> keys = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            keys.add(random(rnd, tokens, d));
        }
        dec.cache(keys, keys);
        return dec;
    }

    /**
     * Order 3, causal, float32, batch 2, 256 rows, 4 heads of width 32: the forward and the backward on bshd arrays
     * (read and written in place) against the same calls on the same data laid out bhsd.
     */
    static void layout(int threads) {
        double[] t = layoutSeconds(threads);
        System.out.printf(Locale.ROOT, "layout: order 3 causal float32, (2, 256, 4, 32), both read in place: forward"
                        + " bshd %.3f s, bhsd %.3f s (ratio %.3f); backward bshd %.3f s, bhsd %.3f s (ratio %.3f)%n",
                t[0], t[1], t[0] / t[1], t[2], t[3], t[2] / t[3]);
    }

    /** The layout case's best times: forward bshd, forward bhsd, backward bshd, backward bhsd (seconds). */
    static double[] layoutSeconds(int threads) {
        Random rnd = new Random(4);
        int b = 2;
        int n = 256;
        int h = 4;
        int d = 32;
        Tensor q = random(rnd, b * n * h, d).reshape(b, n, h, d).to(DType.FLOAT32);
        List<Tensor> keys = List.of(random(rnd, b * n * h, d).reshape(b, n, h, d).to(DType.FLOAT32),
                random(rnd, b * n * h, d).reshape(b, n, h, d).to(DType.FLOAT32));
        Tensor dout = random(rnd, b * n * h, d).reshape(b, n, h, d).to(DType.FLOAT32);
        AttentionOptions bhsd = AttentionOptions.defaults().causal().withThreads(threads);
        AttentionOptions bshd = bhsd.withLayout(AttentionOptions.Layout.BSHD);
        Tensor qh = headsFirst(q);
        List<Tensor> kh = keys.stream().map(FeaturesBench::headsFirst).toList();
        Tensor douth = headsFirst(dout);
        // Alternated, best of each: the JIT and the machine's load treat both layouts alike.
        double fIn = Double.POSITIVE_INFINITY;
        double fH = Double.POSITIVE_INFINITY;
        double bIn = Double.POSITIVE_INFINITY;
        double bH = Double.POSITIVE_INFINITY;
        for (int rep = 0; rep < 3; rep++) {
            fH = Math.min(fH, best(() -> TensorAttention.forward(qh, kh, kh, bhsd)));
            fIn = Math.min(fIn, best(() -> TensorAttention.forward(q, keys, keys, bshd)));
            bH = Math.min(bH, best(() -> TensorAttention.backward(qh, kh, kh, douth, null, bhsd)));
            bIn = Math.min(bIn, best(() -> TensorAttention.backward(q, keys, keys, dout, null, bshd)));
        }
        return new double[] {fIn, fH, bIn, bH};
    }

    /** (b, s, h, w) as a bhsd copy (b, h, s, w): the same data for the bhsd calls. */
    private static Tensor headsFirst(Tensor t) {
        int[] s = t.shape();
        float[] src = t.floats();
        float[] dst = new float[src.length];
        for (int x = 0; x < s[0]; x++) {
            for (int i = 0; i < s[1]; i++) {
                for (int y = 0; y < s[2]; y++) {
                    System.arraycopy(src, ((x * s[1] + i) * s[2] + y) * s[3], dst, ((x * s[2] + y) * s[1] + i) * s[3],
                            s[3]);
                }
            }
        }
        return Tensor.of(dst, s[0], s[2], s[1], s[3]);
    }

    private static double best(Runnable r) {
        r.run();
        double best = Double.POSITIVE_INFINITY;
        for (int rep = 0; rep < 3; rep++) {
            long t0 = System.nanoTime();
            r.run();
            best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
        }
        return best;
    }

    private static Tensor random(Random rnd, int rows, int cols) {
        double[] x = new double[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = 2 * rnd.nextDouble() - 1;
        }
        return Tensor.of(x, rows, cols);
    }

    private static Tensor rows(Tensor t, int from, int to) {
        int w = t.dim(1);
        return Tensor.of(java.util.Arrays.copyOfRange(t.doubles(), from * w, to * w), to - from, w);
    }
}
