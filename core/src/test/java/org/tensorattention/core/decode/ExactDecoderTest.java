package org.tensorattention.core.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.*;

/**
 * Exact decoding against the causal rows of {@link BruteForce} on the whole sequence: tokens appended one by one
 * and in chunks of several sizes, for orders 2 to 4, both dtypes, causal, window and band masks.
 */
class ExactDecoderTest {
    /** Float64: a few thousand roundings of values below 10 per row, and the merge across outer tuples. */
    private static final double F64 = 1e-12;

    /** Orders 2 to 4 in each dtype (also the bshd tests' cases). */
    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (int order = 2; order <= 4; order++) {
            for (DType dt : DType.values()) {
                cases.add(Arguments.of(order, dt));
            }
        }
        return cases.stream();
    }

    static Mask[] masks(int order) {
        Mask window = order == 2 ? Mask.window(5) : order == 3 ? Mask.window(9, 6) : Mask.window(5, 7, 4);
        return new Mask[] {Mask.FULL, Mask.CAUSAL, window, Mask.CAUSAL.withBand(3), window.withBand(4)};
    }

    @ParameterizedTest(name = "order {0} {1}")
    @MethodSource("cases")
    void tokensAndChunksEqualTheCausalRows(int order, DType dt) {
        int n = order == 2 ? 90 : order == 3 ? 60 : 17;
        int d = 5;
        int dv = 3;
        Random rnd = new Random(order * 10L + dt.ordinal());
        // Entries rounded to float32, so both dtypes hold the same inputs exactly.
        double[][] q = BruteForce.randomScaled(rnd, n, d, 0);
        double[][][] k = new double[order - 1][][];
        double[][][] v = new double[order - 1][][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = BruteForce.randomScaled(rnd, n, d, 1);
            v[t] = BruteForce.randomScaled(rnd, n, dv, 0);
        }
        for (Mask mask : masks(order)) {
            for (boolean sqrt : new boolean[] {false, true}) {
                AttentionOptions o = AttentionOptions.defaults().withMask(mask).withThreads(2);
                o = sqrt ? o.withSqrtScale() : o;
                double c = o.scaleFor(d);
                Mask causal = mask.intervals() instanceof Mask.Full
                        ? (mask.band() == Mask.UNBOUNDED ? Mask.CAUSAL : Mask.CAUSAL.withBand(mask.band())) : mask;
                double[] lse = new double[n];
                double[][] expected = BruteForce.forward(q, k, v, c, causal, lse);
                double tol = tolerance(dt, order, d, c, q, k, v, n);
                // Small chunks of outer tuples, so that one token's rows are merged across several kernel calls.
                ExactDecoder dec = new ExactDecoder(order, d, dv, dt, o, 7);
                int i = 0;
                // A first chunk, then single tokens, then chunks of several sizes (some past the block size).
                for (int m : new int[] {n / 4, 1, 1, 2, 1, 3, 40, 1, n}) {
                    m = Math.min(m, n - i);
                    if (m == 0) {
                        break;
                    }
                    String where = mask + " scale " + c + " tokens " + i + ".." + (i + m - 1);
                    if (m == 1 && i % 2 == 1) {
                        double[] row = dec.append(q[i], column(k, i), column(v, i));
                        for (int l = 0; l < dv; l++) {
                            assertEquals(expected[i][l], row[l], tol, where);
                        }
                    } else {
                        AttentionResult r = dec.prefill(BruteForce.tensor(slice(q, i, m)).to(dt),
                                BruteForce.tensors(slice(k, i, m), dt), BruteForce.tensors(slice(v, i, m), dt));
                        assertEquals(dt, r.output().dtype());
                        for (int x = 0; x < m; x++) {
                            for (int l = 0; l < dv; l++) {
                                assertEquals(expected[i + x][l], r.output().get(x * dv + l), tol, where);
                            }
                            assertEquals(lse[i + x], r.logSumExp().get(x), tol * 10 + lseTolerance(dt, order, d, c,
                                    q, k, n), where);
                        }
                    }
                    i += m;
                }
                assertEquals(n, dec.length());
            }
        }
    }

    @Test
    void theThreadCountDoesNotChangeTheBits() {
        Random rnd = new Random(5);
        int n = 50;
        double[][] q = BruteForce.random(rnd, n, 6, 1);
        double[][][] k = {BruteForce.random(rnd, n, 6, 2), BruteForce.random(rnd, n, 6, 2)};
        double[][][] v = {BruteForce.random(rnd, n, 4, 1), BruteForce.random(rnd, n, 4, 1)};
        List<double[]> rows = new ArrayList<>();
        for (int threads : new int[] {1, 2, 3}) {
            ExactDecoder dec = new ExactDecoder(3, 6, 4, DType.FLOAT32,
                    AttentionOptions.defaults().causal().withThreads(threads), 8);
            dec.cache(BruteForce.tensors(slice(k, 0, n - 1), DType.FLOAT32),
                    BruteForce.tensors(slice(v, 0, n - 1), DType.FLOAT32));
            rows.add(dec.append(q[n - 1], column(k, n - 1), column(v, n - 1)));
        }
        assertArrayEquals(rows.get(0), rows.get(1));
        assertArrayEquals(rows.get(0), rows.get(2));
    }

    /**
     * Order 2, many appends with the cache growing past several doublings: each token is, bit for bit, the causal
     * batch call's row (the same kernel on the same packed keys and values; a token's row sees its own keys, the
     * later rows held in the packed cache are masked out exactly as the batch call's zero padding is).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("dtypes")
    void manyOrder2AppendsEqualTheBatchRowsBitForBit(DType dt) {
        int n = 700;
        int d = 24;
        int dv = 20;
        Random rnd = new Random(40 + dt.ordinal());
        double[][] q = BruteForce.randomScaled(rnd, n, d, 0);
        double[][][] k = {BruteForce.randomScaled(rnd, n, d, 1)};
        double[][][] v = {BruteForce.randomScaled(rnd, n, dv, 0)};
        for (Mask mask : new Mask[] {Mask.CAUSAL, Mask.window(37)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withThreads(2).withMethod(Method.EXACT);
            AttentionResult batch = TensorAttention.forward(BruteForce.tensor(q).to(dt), BruteForce.tensors(k, dt),
                    BruteForce.tensors(v, dt), o);
            ExactDecoder dec = new ExactDecoder(2, d, dv, dt, o);
            int i = 0;
            for (int m : new int[] {3, 1, 1, 64, 1, 130}) {
                AttentionResult r = dec.prefill(BruteForce.tensor(slice(q, i, m)).to(dt),
                        BruteForce.tensors(slice(k, i, m), dt), BruteForce.tensors(slice(v, i, m), dt));
                for (int x = 0; x < m; x++) {
                    assertRowBits(batch, r, i + x, x, dv, mask + " prefill row " + (i + x));
                }
                i += m;
            }
            for (; i < n; i++) {
                double[] row = dec.append(q[i], column(k, i), column(v, i));
                for (int l = 0; l < dv; l++) {
                    assertEquals(batch.output().get(i * dv + l), row[l], 0, mask + " token " + i);
                }
            }
        }
    }

    static Stream<DType> dtypes() {
        return Stream.of(DType.values());
    }

    private static void assertRowBits(AttentionResult batch, AttentionResult r, int i, int x, int dv, String where) {
        for (int l = 0; l < dv; l++) {
            assertEquals(batch.output().get(i * dv + l), r.output().get(x * dv + l), 0, where);
        }
        assertEquals(batch.logSumExp().get(i), r.logSumExp().get(x), 0, where);
    }

    @Test
    void keysNearTheFloatRangeStillDecodeExactly() {
        // c q ∘ K_1 passes a quarter of float32's largest value: the rows go through the rebalanced batch path.
        Random rnd = new Random(6);
        int n = 20;
        double[][] q = BruteForce.randomScaled(rnd, n, 4, 0);
        double[][][] k = {BruteForce.randomScaled(rnd, n, 4, 127), roundToFloat(BruteForce.randomScaled(rnd, n, 4,
                -125))};
        double[][][] v = {BruteForce.randomScaled(rnd, n, 2, 0), BruteForce.randomScaled(rnd, n, 2, 0)};
        double[][] expected = BruteForce.forward(q, k, v, 1, Mask.CAUSAL);
        double tol = tolerance(DType.FLOAT32, 3, 4, 1, q, k, v, n);
        ExactDecoder dec = new ExactDecoder(3, 4, 2, DType.FLOAT32, AttentionOptions.defaults().withScale(1));
        for (int i = 0; i < n; i++) {
            double[] row = dec.append(q[i], column(k, i), column(v, i));
            for (int l = 0; l < 2; l++) {
                assertEquals(expected[i][l], row[l], tol, "token " + i);
            }
        }
    }

    /** Subnormal float32 values keep fewer bits: the reference gets the values the float32 decoder holds. */
    private static double[][] roundToFloat(double[][] m) {
        for (double[] row : m) {
            for (int c = 0; c < row.length; c++) {
                row[c] = (float) row[c];
            }
        }
        return m;
    }

    @Test
    void badInputIsNamed() {
        ExactDecoder dec = new ExactDecoder(3, 4, 2, DType.FLOAT64, AttentionOptions.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dec.append(new double[3], new double[][] {new double[4], new double[4]},
                        new double[][] {new double[2], new double[2]}));
        assertTrue(e.getMessage().contains("q"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> dec.append(new double[4],
                new double[][] {new double[4]}, new double[][] {new double[2]}));
        assertThrows(IllegalArgumentException.class, () -> dec.append(new double[] {0, 0, Double.NaN, 0},
                new double[][] {new double[4], new double[4]}, new double[][] {new double[2], new double[2]}));
        assertEquals(0, dec.length());
    }

    @Test
    void aTokenRefusedForItsRangeLeavesTheCacheAsItWas() {
        // The range checks run on the cache with the new token in it: a refusal must take the token out again.
        for (int order : new int[] {2, 3}) {
            for (DType dt : DType.values()) {
                double big = dt == DType.FLOAT32 ? 1e30 : 1e300;
                ExactDecoder dec = new ExactDecoder(order, 3, 2, dt, AttentionOptions.defaults());
                ExactDecoder fresh = new ExactDecoder(order, 3, 2, dt, AttentionOptions.defaults());
                double[][] ones = {{1, 0.5, 0.25}, {0.5, 1, 0.75}};
                double[][] vs = {{1, -1}, {0.5, 2}};
                dec.append(ones[0], Arrays.copyOf(ones, order - 1), Arrays.copyOf(vs, order - 1));
                fresh.append(ones[0], Arrays.copyOf(ones, order - 1), Arrays.copyOf(vs, order - 1));
                double[] huge = {big, big, big};
                double[][] hugeRows = {huge, huge};
                double[][] hugeValues = {{big, big}, {big, big}};
                if (order == 2 && dt == DType.FLOAT32) {
                    continue; // order 2 float32 decodes these (the score stays in range): nothing is refused
                }
                assertThrows(IllegalArgumentException.class, () -> dec.append(huge,
                        Arrays.copyOf(hugeRows, order - 1), Arrays.copyOf(hugeValues, order - 1)),
                        order + " " + dt);
                assertEquals(1, dec.length(), order + " " + dt);
                double[] a = dec.append(ones[1], Arrays.copyOf(ones, order - 1), Arrays.copyOf(vs, order - 1));
                double[] b = fresh.append(ones[1], Arrays.copyOf(ones, order - 1), Arrays.copyOf(vs, order - 1));
                assertArrayEquals(b, a, order + " " + dt);
            }
        }
    }

    /**
     * Float32: {@link Float32Bound#forward} with the whole sequence as the float span, one more rounding in each
     * score (the modulated query c q ∘ prod_t K_t[j_t] is rounded to float once), and one more u for each outer
     * tuple's normalised row, rounded to float before the float64 merge. Relative to Vinf.
     */
    private static double tolerance(DType dt, int order, int d, double c, double[][] q, double[][][] k,
                                    double[][][] v, int n) {
        if (dt == DType.FLOAT64) {
            return F64;
        }
        return (Float32Bound.forward(d, order + 1, radius(c, q, k), n) + Float32Bound.U) * BruteForce.vinf(v);
    }

    private static double lseTolerance(DType dt, int order, int d, double c, double[][] q, double[][][] k, int n) {
        return dt == DType.FLOAT64 ? F64 : Float32Bound.logSumExp(d, order + 1, radius(c, q, k), n);
    }

    /** R = c max_i sum_l |q[i,l]| prod_t max_j |K_t[j,l]|: no score exceeds it. */
    private static double radius(double c, double[][] q, double[][][] k) {
        double worst = 0;
        for (double[] row : q) {
            double sum = 0;
            for (int l = 0; l < row.length; l++) {
                double prod = Math.abs(row[l]);
                for (double[][] kt : k) {
                    double m = 0;
                    for (double[] kr : kt) {
                        m = Math.max(m, Math.abs(kr[l]));
                    }
                    prod *= m;
                }
                sum += prod;
            }
            worst = Math.max(worst, sum);
        }
        return Math.abs(c) * worst;
    }

    private static double[][] column(double[][][] m, int i) {
        double[][] r = new double[m.length][];
        for (int t = 0; t < m.length; t++) {
            r[t] = m[t][i];
        }
        return r;
    }

    private static double[][] slice(double[][] m, int from, int count) {
        return Arrays.copyOfRange(m, from, from + count);
    }

    private static double[][][] slice(double[][][] m, int from, int count) {
        double[][][] r = new double[m.length][][];
        for (int t = 0; t < m.length; t++) {
            r[t] = slice(m[t], from, count);
        }
        return r;
    }
}
