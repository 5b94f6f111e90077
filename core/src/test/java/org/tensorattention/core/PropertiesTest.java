package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Properties the definition implies, checked on seeded random problems. */
class PropertiesTest {

    private static AttentionOptions opts(Mask mask) {
        return AttentionOptions.defaults().withMask(mask).withScale(0.6);
    }

    private static List<Tensor> randomList(Random rnd, int count, int rows, int cols, double bound) {
        List<Tensor> list = new ArrayList<>();
        for (int t = 0; t < count; t++) {
            list.add(BruteForce.tensor(BruteForce.random(rnd, rows, cols, bound)));
        }
        return list;
    }

    private static double maxDiff(Tensor a, Tensor b) {
        assertEquals(a.size(), b.size());
        double worst = 0;
        for (int i = 0; i < a.size(); i++) {
            worst = Math.max(worst, Math.abs(a.get(i) - b.get(i)));
        }
        return worst;
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void orderTwoIsPlainSoftmaxAttention(long seed) {
        Random rnd = new Random(seed);
        int n = 7 + rnd.nextInt(20);
        int d = 1 + rnd.nextInt(8);
        int dv = 1 + rnd.nextInt(8);
        double[][] q = BruteForce.random(rnd, n, d, 2);
        double[][] k = BruteForce.random(rnd, n, d, 2);
        double[][] v = BruteForce.random(rnd, n, dv, 2);
        boolean causal = seed % 2 == 0;
        // softmax(c Q K^T [+ causal mask]) V, written out as matrices.
        double c = 1.0 / d;
        double[][] expected = new double[n][dv];
        for (int i = 0; i < n; i++) {
            double[] s = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < n; j++) {
                for (int l = 0; l < d; l++) {
                    s[j] += c * q[i][l] * k[j][l];
                }
                if (!causal || j <= i) {
                    max = Math.max(max, s[j]);
                }
            }
            double z = 0;
            for (int j = 0; j < n; j++) {
                s[j] = causal && j > i ? 0 : Math.exp(s[j] - max);
                z += s[j];
            }
            for (int j = 0; j < n; j++) {
                for (int l = 0; l < dv; l++) {
                    expected[i][l] += s[j] / z * v[j][l];
                }
            }
        }
        AttentionResult r = TensorAttention.forward(BruteForce.tensor(q), List.of(BruteForce.tensor(k)),
                List.of(BruteForce.tensor(v)), AttentionOptions.defaults().withMask(causal ? Mask.CAUSAL : Mask.FULL));
        assertTrue(BruteForce.maxDiff(r.output(), expected) < 1e-13);
    }

    @ParameterizedTest
    @ValueSource(longs = {5, 6, 7})
    void swappingKeyValuePairsChangesNothing(long seed) {
        Random rnd = new Random(seed);
        int n = 5 + rnd.nextInt(15);
        Tensor q = BruteForce.tensor(BruteForce.random(rnd, n, 6, 1.5));
        List<Tensor> k = randomList(rnd, 2, n, 6, 1.5);
        List<Tensor> v = randomList(rnd, 2, n, 3, 1);
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL}) {
            Tensor a = TensorAttention.forward(q, k, v, opts(mask)).output();
            Tensor b = TensorAttention.forward(q, List.of(k.get(1), k.get(0)), List.of(v.get(1), v.get(0)), opts(mask)).output();
            assertTrue(maxDiff(a, b) < 1e-13, mask.toString());
        }
        // a window is symmetric only when the widths swap with the pairs
        Tensor a = TensorAttention.forward(q, k, v, opts(Mask.window(3, 5))).output();
        Tensor b = TensorAttention.forward(q, List.of(k.get(1), k.get(0)), List.of(v.get(1), v.get(0)), opts(Mask.window(5, 3))).output();
        assertTrue(maxDiff(a, b) < 1e-13);
    }

    /** Appending a coordinate with q = a_i and all keys 1 adds c * a_i to every score of row i. */
    @ParameterizedTest
    @ValueSource(longs = {8, 9, 10})
    void shiftingAllScoresOfARowChangesNothing(long seed) {
        Random rnd = new Random(seed);
        int n = 6 + rnd.nextInt(10);
        int d = 4;
        for (int order = 2; order <= 4; order++) {
            double[][] q = BruteForce.random(rnd, n, d, 1);
            double[][] qShift = new double[n][d + 1];
            for (int i = 0; i < n; i++) {
                System.arraycopy(q[i], 0, qShift[i], 0, d);
                qShift[i][d] = 40 * rnd.nextDouble() - 20;
            }
            List<Tensor> keys = new ArrayList<>();
            List<Tensor> keysShift = new ArrayList<>();
            for (int t = 0; t < order - 1; t++) {
                double[][] k = BruteForce.random(rnd, n, d, 1);
                double[][] kShift = new double[n][d + 1];
                for (int j = 0; j < n; j++) {
                    System.arraycopy(k[j], 0, kShift[j], 0, d);
                    kShift[j][d] = 1;
                }
                keys.add(BruteForce.tensor(k));
                keysShift.add(BruteForce.tensor(kShift));
            }
            List<Tensor> values = randomList(rnd, order - 1, n, 3, 1);
            Tensor a = TensorAttention.forward(BruteForce.tensor(q), keys, values, opts(Mask.CAUSAL)).output();
            Tensor b = TensorAttention.forward(BruteForce.tensor(qShift), keysShift, values, opts(Mask.CAUSAL)).output();
            assertTrue(maxDiff(a, b) < 1e-12, "order " + order);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4})
    void causalRowZeroIsTheProductOfTheFirstValues(int order) {
        Random rnd = new Random(order);
        int n = 9;
        List<Tensor> values = randomList(rnd, order - 1, n, 5, 2);
        Tensor o = TensorAttention.forward(BruteForce.tensor(BruteForce.random(rnd, n, 3, 2)),
                randomList(rnd, order - 1, n, 3, 2), values, opts(Mask.CAUSAL)).output();
        for (int l = 0; l < 5; l++) {
            double prod = 1;
            for (Tensor v : values) {
                prod *= v.get(l);
            }
            assertEquals(prod, o.get(l), 1e-14);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void float32MatchesTheDefinitionWithinItsBound(int order) {
        Random rnd = new Random(11 + order);
        int n = order == 2 ? 700 : 160;
        int d = 16;
        double c = opts(Mask.FULL).scaleFor(d);
        // float32 values in both, so that the bound is about the kernel, not the input rounding.
        double[][] q = Float32Bound.round(BruteForce.random(rnd, n, d, 2));
        double[][][] k = new double[order - 1][][];
        double[][][] v = new double[order - 1][][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = Float32Bound.round(BruteForce.random(rnd, n, d, 2));
            v[t] = Float32Bound.round(BruteForce.random(rnd, n, d, 1));
        }
        // Vinf = 1 (|V| <= 1 entries); the whole last factor as the float span is an upper bound on the kernel's.
        double tol = Float32Bound.forward(d, order, Float32Bound.radius(q, k, c), n);
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL}) {
            double[][] expected = BruteForce.forward(q, k, v, c, mask);
            Tensor o32 = TensorAttention.forward(BruteForce.tensor(q).to(DType.FLOAT32),
                    BruteForce.tensors(k, DType.FLOAT32), BruteForce.tensors(v, DType.FLOAT32), opts(mask)).output();
            assertEquals(DType.FLOAT32, o32.dtype());
            double err = BruteForce.maxDiff(o32, expected);
            assertTrue(err <= tol, mask + ": " + err + " above the float32 bound " + tol);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void groupedQueryHeadsReadTheirSharedKeys(int groups) {
        Random rnd = new Random(20 + groups);
        int batch = 2;
        int heads = 4;
        int n = 6;
        int d = 3;
        int dv = 2;
        double[] q = new double[batch * heads * n * d];
        for (int i = 0; i < q.length; i++) {
            q[i] = rnd.nextGaussian();
        }
        List<Tensor> k = new ArrayList<>();
        List<Tensor> v = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            double[] kt = new double[batch * groups * n * d];
            double[] vt = new double[batch * groups * n * dv];
            for (int i = 0; i < kt.length; i++) {
                kt[i] = rnd.nextGaussian();
            }
            for (int i = 0; i < vt.length; i++) {
                vt[i] = rnd.nextGaussian();
            }
            k.add(Tensor.of(kt, batch, groups, n, d));
            v.add(Tensor.of(vt, batch, groups, n, dv));
        }
        Tensor o = TensorAttention.forward(Tensor.of(q, batch, heads, n, d), k, v, opts(Mask.CAUSAL)).output();
        assertEquals(List.of(batch, heads, n, dv), java.util.Arrays.stream(o.shape()).boxed().toList());
        for (int b = 0; b < batch; b++) {
            for (int h = 0; h < heads; h++) {
                int g = h / (heads / groups);
                double[][] qh = slice(q, (b * heads + h) * n * d, n, d);
                double[][][] kh = new double[2][][];
                double[][][] vh = new double[2][][];
                for (int t = 0; t < 2; t++) {
                    kh[t] = slice(k.get(t).doubles(), (b * groups + g) * n * d, n, d);
                    vh[t] = slice(v.get(t).doubles(), (b * groups + g) * n * dv, n, dv);
                }
                double[][] expected = BruteForce.forward(qh, kh, vh, 0.6, Mask.CAUSAL);
                for (int i = 0; i < n; i++) {
                    for (int l = 0; l < dv; l++) {
                        assertEquals(expected[i][l], o.at(b, h, i, l), 1e-13);
                    }
                }
            }
        }
    }

    private static double[][] slice(double[] flat, int offset, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, offset + r * cols, m[r], 0, cols);
        }
        return m;
    }
}
