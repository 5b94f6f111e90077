package org.tensorattention.core.grad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Float32Bound;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

class ExactBackwardTest {

    /** One random problem: q (nq x d), keys and values with nk[t] rows, dout (nq x dv). */
    record Problem(double[][] q, double[][][] k, double[][][] v, double[][] dout) {
        static Problem random(long seed, int order, int nq, int[] nk, int d, int dv, double bound) {
            Random rnd = new Random(seed);
            double[][][] k = new double[order - 1][][];
            double[][][] v = new double[order - 1][][];
            for (int t = 0; t < order - 1; t++) {
                k[t] = BruteForce.random(rnd, nk[t], d, bound);
                v[t] = BruteForce.random(rnd, nk[t], dv, 1);
            }
            return new Problem(BruteForce.random(rnd, nq, d, bound), k, v, BruteForce.random(rnd, nq, dv, 1));
        }

        List<Tensor> keys() {
            List<Tensor> r = new ArrayList<>();
            for (double[][] m : k) {
                r.add(BruteForce.tensor(m));
            }
            return r;
        }

        List<Tensor> values() {
            List<Tensor> r = new ArrayList<>();
            for (double[][] m : v) {
                r.add(BruteForce.tensor(m));
            }
            return r;
        }

        GradientResult backward(AttentionOptions options) {
            return TensorAttention.backward(BruteForce.tensor(q), keys(), values(), BruteForce.tensor(dout), null,
                    options);
        }

        /** L = sum dout ∘ O, by the brute-force forward. */
        double loss(double c, Mask mask) {
            double[][] o = BruteForce.forward(q, k, v, c, mask);
            double sum = 0;
            for (int i = 0; i < o.length; i++) {
                for (int l = 0; l < o[i].length; l++) {
                    sum += dout[i][l] * o[i][l];
                }
            }
            return sum;
        }
    }

    static Mask windowFor(int order) {
        return order == 2 ? Mask.window(3) : order == 3 ? Mask.window(3, 2) : Mask.window(2, 4, 3);
    }

    static Stream<Arguments> smallProblems() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 11;
        for (int order = 2; order <= 4; order++) {
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, windowFor(order)}) {
                cases.add(Arguments.of(order, mask, seed++));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "order {0} {1}")
    @MethodSource("smallProblems")
    void matchesCentralFiniteDifferences(int order, Mask mask, long seed) {
        int[] nk = new int[order - 1];
        for (int t = 0; t < nk.length; t++) {
            nk[t] = 4 + t;
        }
        Problem pr = Problem.random(seed, order, 5, nk, 3, 2, 1.5);
        double c = 0.6;
        GradientResult gr = pr.backward(AttentionOptions.defaults().withScale(c).withMask(mask));
        checkFiniteDifferences("dq", pr.q, gr.dq(), p -> p.loss(c, mask), pr);
        for (int t = 0; t < order - 1; t++) {
            checkFiniteDifferences("dk" + (t + 1), pr.k[t], gr.dk().get(t), p -> p.loss(c, mask), pr);
            checkFiniteDifferences("dv" + (t + 1), pr.v[t], gr.dv().get(t), p -> p.loss(c, mask), pr);
        }
    }

    /** Perturbs every entry of x (an array inside pr) and compares the central difference with grad. */
    private static void checkFiniteDifferences(String name, double[][] x, Tensor grad, ToDoubleFunction<Problem> f,
                                               Problem pr) {
        double h = 1e-5;
        int cols = x[0].length;
        for (int r = 0; r < x.length; r++) {
            for (int col = 0; col < cols; col++) {
                double keep = x[r][col];
                x[r][col] = keep + h;
                double up = f.applyAsDouble(pr);
                x[r][col] = keep - h;
                double down = f.applyAsDouble(pr);
                x[r][col] = keep;
                double fd = (up - down) / (2 * h);
                double got = grad.get(r * cols + col);
                assertEquals(fd, got, 1e-7 * Math.max(1, Math.abs(fd)), name + "[" + r + "," + col + "]");
            }
        }
    }

    static Stream<Arguments> tiledProblems() {
        return Stream.of(
                Arguments.of(2, Mask.FULL, 70, new int[] {130}, 9, 5),
                Arguments.of(2, Mask.CAUSAL, 70, new int[] {70}, 8, 16),
                Arguments.of(2, Mask.window(21), 100, new int[] {100}, 17, 3),
                Arguments.of(3, Mask.FULL, 37, new int[] {33, 70}, 16, 8),
                Arguments.of(3, Mask.CAUSAL, 40, new int[] {40, 40}, 5, 7),
                Arguments.of(3, Mask.window(7, 19), 45, new int[] {45, 80}, 16, 16),
                Arguments.of(4, Mask.CAUSAL, 12, new int[] {12, 12, 12}, 4, 3),
                Arguments.of(4, Mask.window(3, 5, 4), 11, new int[] {11, 9, 14}, 6, 2),
                // Widths that are not whole float vectors: padded to them in the tiles.
                Arguments.of(3, Mask.FULL, 40, new int[] {40, 70}, 8, 8),
                Arguments.of(3, Mask.CAUSAL, 37, new int[] {37, 37}, 4, 12),
                Arguments.of(3, Mask.window(9, 20), 30, new int[] {30, 30}, 12, 4),
                Arguments.of(2, Mask.FULL, 70, new int[] {70}, 24, 8));
    }

    @ParameterizedTest(name = "order {0} {1} nq={2}")
    @MethodSource("tiledProblems")
    void matchesTheDefinitionAcrossTiles(int order, Mask mask, int nq, int[] nk, int d, int dv) {
        Problem pr = Problem.random(nq * 31L + order, order, nq, nk, d, dv, 2);
        double c = 0.35;
        GradientResult gr = pr.backward(AttentionOptions.defaults().withScale(c).withMask(mask));
        GradientReference ref = new GradientReference(pr.q, pr.k, pr.v, pr.dout, c, mask);
        assertClose("dq", ref.dq, gr.dq(), 1e-11);
        for (int t = 0; t < order - 1; t++) {
            assertClose("dk" + (t + 1), ref.dk[t], gr.dk().get(t), 1e-11);
            assertClose("dv" + (t + 1), ref.dv[t], gr.dv().get(t), 1e-11);
        }
    }

    static void assertClose(String name, double[][] expected, Tensor got, double tol) {
        double scale = 1;
        for (double[] row : expected) {
            for (double x : row) {
                scale = Math.max(scale, Math.abs(x));
            }
        }
        double diff = BruteForce.maxDiff(got, expected);
        assertTrue(diff <= tol * scale, name + ": max diff " + diff + " (scale " + scale + ")");
    }

    @Test
    void keysNoQuerySeesGetExactlyZeroGradient() {
        // 6 queries placed at positions 0..5 against 10 keys per factor: no query sees keys 6..9.
        for (Mask mask : new Mask[] {Mask.CAUSAL.shifted(0, 0), Mask.window(2, 3).shifted(0, 0)}) {
            Problem pr = Problem.random(5, 3, 6, new int[] {10, 10}, 4, 3, 1);
            GradientResult gr = pr.backward(AttentionOptions.defaults().withMask(mask));
            for (int t = 0; t < 2; t++) {
                Tensor dk = gr.dk().get(t);
                Tensor dv = gr.dv().get(t);
                for (int j = 0; j < 10; j++) {
                    double kNorm = 0;
                    double vNorm = 0;
                    for (int l = 0; l < 4; l++) {
                        kNorm += Math.abs(dk.get(j * 4 + l));
                    }
                    for (int l = 0; l < 3; l++) {
                        vNorm += Math.abs(dv.get(j * 3 + l));
                    }
                    if (j >= 6) {
                        assertEquals(0.0, kNorm, mask + " dk" + (t + 1) + " row " + j);
                        assertEquals(0.0, vNorm, mask + " dv" + (t + 1) + " row " + j);
                    } else {
                        assertTrue(vNorm > 0, mask + " dv" + (t + 1) + " row " + j + " should be seen");
                    }
                }
            }
        }
    }

    /** Stacks matrices into a (count, rows, cols) tensor. */
    static Tensor stack(double[][]... ms) {
        int rows = ms[0].length;
        int cols = ms[0][0].length;
        double[] flat = new double[ms.length * rows * cols];
        for (int m = 0; m < ms.length; m++) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(ms[m][r], 0, flat, (m * rows + r) * cols, cols);
            }
        }
        return Tensor.of(flat, ms.length, rows, cols);
    }

    @Test
    void groupedHeadsSumIntoSharedKeysAndValues() {
        // 4 query heads over 2 key/value heads (h reads h / 2), against the ungrouped call with keys repeated.
        int heads = 4;
        int n = 9;
        Problem[] ps = new Problem[heads];
        for (int h = 0; h < heads; h++) {
            ps[h] = Problem.random(100 + h, 3, n, new int[] {n, n}, 5, 4, 1.5);
        }
        // Heads 0,1 share problem 0's keys; heads 2,3 share problem 2's keys.
        double[][][] qs = new double[heads][][];
        double[][][] dos = new double[heads][][];
        for (int h = 0; h < heads; h++) {
            qs[h] = ps[h].q;
            dos[h] = ps[h].dout;
        }
        List<Tensor> kGrouped = new ArrayList<>();
        List<Tensor> vGrouped = new ArrayList<>();
        List<Tensor> kRepeated = new ArrayList<>();
        List<Tensor> vRepeated = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            kGrouped.add(stack(ps[0].k[t], ps[2].k[t]));
            vGrouped.add(stack(ps[0].v[t], ps[2].v[t]));
            kRepeated.add(stack(ps[0].k[t], ps[0].k[t], ps[2].k[t], ps[2].k[t]));
            vRepeated.add(stack(ps[0].v[t], ps[0].v[t], ps[2].v[t], ps[2].v[t]));
        }
        for (Mask mask : new Mask[] {Mask.FULL, Mask.window(4, 3)}) {
            AttentionOptions opt = AttentionOptions.defaults().withMask(mask);
            GradientResult grouped = TensorAttention.backward(stack(qs), kGrouped, vGrouped, stack(dos), null, opt);
            GradientResult repeated = TensorAttention.backward(stack(qs), kRepeated, vRepeated, stack(dos), null, opt);
            assertArrayEquals(repeated.dq().doubles(), grouped.dq().doubles(), 1e-13);
            for (int t = 0; t < 2; t++) {
                checkSummedPairs(repeated.dk().get(t), grouped.dk().get(t));
                checkSummedPairs(repeated.dv().get(t), grouped.dv().get(t));
            }
        }
    }

    /** grouped[g] = repeated[2g] + repeated[2g + 1], as flat blocks. */
    private static void checkSummedPairs(Tensor repeated, Tensor grouped) {
        int block = grouped.size() / 2;
        double[] r = repeated.doubles();
        double[] gr = grouped.doubles();
        for (int gIdx = 0; gIdx < 2; gIdx++) {
            for (int x = 0; x < block; x++) {
                double want = r[2 * gIdx * block + x] + r[(2 * gIdx + 1) * block + x];
                assertEquals(want, gr[gIdx * block + x], 1e-13);
            }
        }
    }

    @Test
    void broadcastKeysMatchTheSumOverProblems() {
        // q (3, n, d) against keys (n, d): each key gradient is the sum of three single-problem gradients.
        int n = 7;
        Problem base = Problem.random(7, 3, n, new int[] {n, n}, 4, 3, 1.5);
        double[][][] qs = new double[3][][];
        double[][][] dos = new double[3][][];
        Random rnd = new Random(8);
        for (int h = 0; h < 3; h++) {
            qs[h] = BruteForce.random(rnd, n, 4, 1.5);
            dos[h] = BruteForce.random(rnd, n, 3, 1);
        }
        AttentionOptions opt = AttentionOptions.defaults().causal();
        GradientResult all = TensorAttention.backward(stack(qs), base.keys(), base.values(), stack(dos), null, opt);
        double[][] dk1 = new double[n][4];
        for (int h = 0; h < 3; h++) {
            GradientReference ref = new GradientReference(qs[h], base.k, base.v, dos[h], 0.25, Mask.CAUSAL);
            for (int j = 0; j < n; j++) {
                for (int l = 0; l < 4; l++) {
                    dk1[j][l] += ref.dk[0][j][l];
                }
            }
        }
        assertClose("dk1", dk1, all.dk().get(0), 1e-12);
    }

    static Stream<Arguments> float32Problems() {
        return Stream.of(
                Arguments.of(2, Mask.window(40), 100, new int[] {130}, 16, 16),
                Arguments.of(3, Mask.CAUSAL, 50, new int[] {50, 50}, 16, 16),
                Arguments.of(3, Mask.FULL, 33, new int[] {20, 70}, 5, 19),
                Arguments.of(4, Mask.window(3, 5, 4), 11, new int[] {11, 9, 14}, 6, 2),
                // Widths that are not whole float vectors: padded to them in the tiles.
                Arguments.of(3, Mask.FULL, 40, new int[] {40, 70}, 8, 8),
                Arguments.of(3, Mask.CAUSAL, 37, new int[] {37, 37}, 4, 12),
                Arguments.of(3, Mask.window(9, 20), 30, new int[] {30, 30}, 12, 4),
                Arguments.of(2, Mask.FULL, 70, new int[] {70}, 24, 8));
    }

    /** The float32 backward against the definition on the same float32-valued inputs, within Float32Bound. */
    @ParameterizedTest(name = "order {0} {1} nq={2}")
    @MethodSource("float32Problems")
    void float32MatchesTheDefinitionWithinItsBound(int order, Mask mask, int nq, int[] nk, int d, int dv) {
        Problem raw = Problem.random(21 + order, order, nq, nk, d, dv, 1);
        Problem pr = new Problem(Float32Bound.round(raw.q), Float32Bound.round(raw.k), Float32Bound.round(raw.v),
                Float32Bound.round(raw.dout));
        double c = 0.3;
        AttentionOptions opt = AttentionOptions.defaults().withScale(c).withMask(mask);
        List<Tensor> k32 = new ArrayList<>();
        List<Tensor> v32 = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            k32.add(pr.keys().get(t).to(DType.FLOAT32));
            v32.add(pr.values().get(t).to(DType.FLOAT32));
        }
        GradientResult g32 = TensorAttention.backward(BruteForce.tensor(pr.q).to(DType.FLOAT32), k32, v32,
                BruteForce.tensor(pr.dout).to(DType.FLOAT32), null, opt);
        assertEquals(DType.FLOAT32, g32.dq().dtype());
        assertEquals(DType.FLOAT32, g32.dk().get(order - 2).dtype());
        GradientReference ref = new GradientReference(pr.q, pr.k, pr.v, pr.dout, c, mask);
        Float32Bound.Gradients tol = Float32Bound.Gradients.of(pr.q, pr.k, pr.v, pr.dout, c, mask);
        assertWithin("dq", ref.dq, g32.dq(), tol.dq());
        for (int t = 0; t < order - 1; t++) {
            assertWithin("dk" + (t + 1), ref.dk[t], g32.dk().get(t), tol.dk()[t]);
            assertWithin("dv" + (t + 1), ref.dv[t], g32.dv().get(t), tol.dv()[t]);
        }
    }

    /** |got - expected| <= tol entry by entry (Float32Bound's absolute tolerances). */
    static void assertWithin(String name, double[][] expected, Tensor got, double[][] tol) {
        int cols = expected[0].length;
        for (int i = 0; i < expected.length; i++) {
            for (int l = 0; l < cols; l++) {
                double diff = Math.abs(got.get(i * cols + l) - expected[i][l]);
                assertTrue(diff <= tol[i][l], name + "[" + i + "," + l + "]: " + diff + " above the float32 bound "
                        + tol[i][l]);
            }
        }
    }

    private static void assertRelative(Tensor expected, Tensor got, double tol) {
        double scale = Math.max(1e-30, expected.maxAbs());
        for (int x = 0; x < expected.size(); x++) {
            assertEquals(expected.get(x), got.get(x), tol * scale);
        }
    }

    @Test
    void reusedForwardAndThreadCountDoNotChangeTheResult() {
        Problem pr = Problem.random(3, 3, 40, new int[] {40, 40}, 8, 8, 1.5);
        AttentionOptions one = AttentionOptions.defaults().window(9, 30).withThreads(1);
        AttentionOptions two = one.withThreads(2);
        AttentionResult fw = TensorAttention.forward(BruteForce.tensor(pr.q), pr.keys(), pr.values(), one);
        GradientResult a = TensorAttention.backward(BruteForce.tensor(pr.q), pr.keys(), pr.values(),
                BruteForce.tensor(pr.dout), fw, one);
        GradientResult b = pr.backward(two);
        assertEquals(Method.EXACT, a.method());
        assertArrayEquals(fw.output().doubles(), a.output().doubles());
        assertArrayEquals(a.dq().doubles(), b.dq().doubles(), 1e-13);
        for (int t = 0; t < 2; t++) {
            assertArrayEquals(a.dk().get(t).doubles(), b.dk().get(t).doubles(), 1e-13);
            assertArrayEquals(a.dv().get(t).doubles(), b.dv().get(t).doubles(), 1e-13);
        }
    }

    @Test
    void autoRunsTheExactBackwardWhereScoresAreLarge() {
        // Entries up to 6 with scale 1: R is in the hundreds, far past what a polynomial can certify cheaply.
        Problem pr = Problem.random(4, 3, 10, new int[] {10, 10}, 3, 2, 6);
        GradientResult gr = pr.backward(AttentionOptions.defaults().withScale(1).withMethod(Method.AUTO));
        assertEquals(Method.EXACT, gr.method());
        assertTrue(gr.reason().startsWith("exact"), gr.reason());
        GradientReference ref = new GradientReference(pr.q, pr.k, pr.v, pr.dout, 1, Mask.FULL);
        assertClose("dq", ref.dq, gr.dq(), 1e-12);
    }

    @Test
    void autoRunsThePolynomialBackwardWhereItIsCheaper() {
        // Small entries and width 2 over 96^2 key pairs: a low-rank polynomial is far cheaper than n^3 work.
        Problem pr = Problem.random(5, 3, 96, new int[] {96, 96}, 2, 2, 0.5);
        GradientResult gr = pr.backward(AttentionOptions.defaults().withMethod(Method.AUTO).withEpsilon(1e-6));
        assertEquals(Method.POLY, gr.method(), gr.reason());
        assertTrue(gr.reason().startsWith("poly"), gr.reason());
        GradientResult exact = pr.backward(AttentionOptions.defaults());
        assertRelative(exact.dq(), gr.dq(), 1e-3);
        assertRelative(exact.dv().get(1), gr.dv().get(1), 1e-3);
    }
}
