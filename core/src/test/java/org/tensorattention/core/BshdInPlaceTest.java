package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exact forward on (batch, seq, heads, dim) arrays, which it reads and writes in place: each head of each
 * batch entry against {@link BruteForce} on its own rows, with grouped key/value heads, fewer queries than keys
 * (bottom-right causal), factors of different lengths, a band, and both dtypes. Runs on the scalar path too.
 */
class BshdInPlaceTest {
    @ParameterizedTest(name = "order {0} {1}")
    @MethodSource("org.tensorattention.core.decode.ExactDecoderTest#cases")
    void eachHeadEqualsTheReferenceOnItsRows(int order, DType dt) {
        int b = 2;
        int nq = 7;
        int h = 4;
        int g = 2;
        int d = 5;
        int dv = 3;
        int[] nk = new int[order - 1];
        for (int t = 0; t < nk.length; t++) {
            nk[t] = (order == 4 ? 9 : 40) + 3 * t;
        }
        Random rnd = new Random(order * 7L + dt.ordinal());
        // [batch][seq][head][dim], entries rounded to float32 so that both dtypes hold them exactly.
        double[][][][] q = random(rnd, b, nq, h, d);
        double[][][][][] k = new double[order - 1][][][][];
        double[][][][][] v = new double[order - 1][][][][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = random(rnd, b, nk[t], g, d);
            v[t] = random(rnd, b, nk[t], g, dv);
        }
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.CAUSAL.withBand(4)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withSqrtScale()
                    .withLayout(AttentionOptions.Layout.BSHD).withThreads(2);
            List<Tensor> keys = new ArrayList<>();
            List<Tensor> values = new ArrayList<>();
            for (int t = 0; t < order - 1; t++) {
                keys.add(tensor(k[t]).to(dt));
                values.add(tensor(v[t]).to(dt));
            }
            AttentionResult r = TensorAttention.forward(tensor(q).to(dt), keys, values, o);
            assertArrayEquals(new int[] {b, nq, h, dv}, r.output().shape());
            assertArrayEquals(new int[] {b, nq, h}, r.logSumExp().shape());
            // Float32: entries in [-1, 1] bound every score by R = d / sqrt(d) and |O| by 1; the float span is at
            // most the last factor's length.
            int span = nk[order - 2];
            double tol = dt == DType.FLOAT64 ? 1e-12 : Float32Bound.forward(d, order, Math.sqrt(d), span);
            double lseTol = dt == DType.FLOAT64 ? 1e-12 : Float32Bound.logSumExp(d, order, Math.sqrt(d), span);
            for (int x = 0; x < b; x++) {
                for (int y = 0; y < h; y++) {
                    double[][][] km = new double[order - 1][][];
                    double[][][] vm = new double[order - 1][][];
                    for (int t = 0; t < order - 1; t++) {
                        km[t] = head(k[t][x], y / (h / g));
                        vm[t] = head(v[t][x], y / (h / g));
                    }
                    double[] lse = new double[nq];
                    double[][] expected = BruteForce.forward(head(q[x], y), km, vm, 1 / Math.sqrt(d), mask, lse);
                    for (int i = 0; i < nq; i++) {
                        for (int l = 0; l < dv; l++) {
                            assertEquals(expected[i][l], r.output().at(x, i, y, l), tol, mask + " " + x + "," + y);
                        }
                        assertEquals(lse[i], r.logSumExp().at(x, i, y), lseTol, mask + " lse " + x + "," + y);
                    }
                }
            }
        }
    }

    private static double[][][][] random(Random rnd, int b, int s, int h, int w) {
        double[][][][] a = new double[b][s][h][];
        for (double[][][] x : a) {
            for (double[][] y : x) {
                for (int z = 0; z < h; z++) {
                    y[z] = BruteForce.randomScaled(rnd, 1, w, 0)[0];
                }
            }
        }
        return a;
    }

    /** Rows [seq][dim] of one head. */
    private static double[][] head(double[][][] a, int y) {
        double[][] m = new double[a.length][];
        for (int i = 0; i < a.length; i++) {
            m[i] = a[i][y];
        }
        return m;
    }

    private static Tensor tensor(double[][][][] a) {
        int b = a.length;
        int s = a[0].length;
        int h = a[0][0].length;
        int w = a[0][0][0].length;
        double[] flat = new double[b * s * h * w];
        int at = 0;
        for (double[][][] x : a) {
            for (double[][] y : x) {
                for (double[] z : y) {
                    System.arraycopy(z, 0, flat, at, w);
                    at += w;
                }
            }
        }
        return Tensor.of(flat, b, s, h, w);
    }
}
