package org.tensorattention.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every layer's backward pass against central finite differences, over seeded random problems. */
class LayerGradientTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void linear(long seed) {
        Linear l = new Linear("lin", 5, 3, true, new SplittableRandom(seed), 2);
        GradCheck.layer(l, GradCheck.randomHidden(2, 3, 5, seed + 10), seed, 1e-6);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void layerNorm(long seed) {
        LayerNorm n = new LayerNorm("ln", 6);
        SplittableRandom r = new SplittableRandom(seed);
        for (Param p : n.params()) {
            p.normal(r, 1);
        }
        GradCheck.layer(n, GradCheck.randomHidden(2, 3, 6, seed + 10), seed, 1e-5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"GELU", "RELU"})
    void mlp(String activation) {
        Mlp m = new Mlp("mlp", 4, 7, Activation.valueOf(activation), new SplittableRandom(5), 1);
        GradCheck.layer(m, GradCheck.randomHidden(2, 3, 4, 11), 7, 1e-5);
    }

    @Test
    void residualAddsTheIdentity() {
        Residual r = new Residual(new LayerNorm("ln", 4), new Linear("lin", 4, 4, false, new SplittableRandom(3), 1));
        GradCheck.layer(r, GradCheck.randomHidden(1, 5, 4, 12), 13, 1e-5);
    }

    @ParameterizedTest
    @ValueSource(doubles = {-3, -0.7, 0, 0.4, 2.5})
    void activationDerivatives(double x) {
        for (Activation a : Activation.values()) {
            if (a == Activation.RELU && x == 0) {
                continue;
            }
            double h = 1e-6;
            double numeric = (a.apply(x + h) - a.apply(x - h)) / (2 * h);
            assertEquals(numeric, a.derivative(x), 1e-6, a + " at " + x);
        }
    }

    @Test
    void embeddingGradientIsTheSumOverOccurrences() {
        Embedding e = new Embedding(5, 3, 4, true, new SplittableRandom(1));
        int[][] tokens = {{0, 2, 2, 4}, {4, 1, 0, 0}};
        Hidden y = e.forward(tokens);
        double[] w = GradCheck.randomWeights(y.data().length, 3);
        for (Param p : e.params()) {
            p.zeroGrad();
        }
        e.backward(new Hidden(w, 2, 4, 3));
        for (Param p : e.params()) {
            GradCheck.check(p.name(), p.value(), p.grad().clone(), () -> GradCheck.dot(w, e.forward(tokens).data()), 60, 1e-6);
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4})
    void crossEntropy(long seed) {
        Hidden logits = GradCheck.randomHidden(2, 3, 4, seed);
        SplittableRandom r = new SplittableRandom(seed);
        int[][] labels = new int[2][3];
        for (int[] row : labels) {
            for (int i = 0; i < row.length; i++) {
                row[i] = r.nextInt(4);
            }
        }
        CrossEntropy.Result res = CrossEntropy.of(logits, labels);
        GradCheck.check("logits", logits.data(), res.gradient().data().clone(),
                () -> CrossEntropy.of(logits, labels).loss(), 100, 1e-6);
        // The loss of uniform logits is log(classes).
        assertEquals(Math.log(4), CrossEntropy.of(Hidden.zeros(2, 3, 4), labels).loss(), 1e-12);
    }

    @ParameterizedTest
    @CsvSource({"70, 9, 11", "4, 16, 16", "33, 40, 35", "1, 1, 1", "8, 3, 17"})
    void matMulProductsMatchPlainTripleLoops(int rows, int in, int out) {
        double[] x = GradCheck.randomWeights(rows * in, 1);
        double[] w = GradCheck.randomWeights(in * out, 2);
        double[] b = GradCheck.randomWeights(out, 3);
        double[] dy = GradCheck.randomWeights(rows * out, 4);
        double[] y = new double[rows * out];
        MatMul.forward(x, rows, in, w, b, out, y, 2);
        double[] dx = new double[rows * in];
        MatMul.backwardInput(dy, rows, out, w, in, dx, 2);
        double[] dw = new double[in * out];
        double[] db = new double[out];
        MatMul.backwardWeight(x, dy, rows, in, out, dw, db, 2);
        double[] ey = new double[rows * out];
        double[] edx = new double[rows * in];
        double[] edw = new double[in * out];
        double[] edb = new double[out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = b[o];
                for (int i = 0; i < in; i++) {
                    s += x[r * in + i] * w[i * out + o];
                    edx[r * in + i] += dy[r * out + o] * w[i * out + o];
                    edw[i * out + o] += x[r * in + i] * dy[r * out + o];
                }
                ey[r * out + o] = s;
                edb[o] += dy[r * out + o];
            }
        }
        assertArrayEquals(ey, y, 1e-12);
        assertArrayEquals(edx, dx, 1e-12);
        assertArrayEquals(edw, dw, 1e-12);
        assertArrayEquals(edb, db, 1e-12);
        // Not vacuous: a kernel that wrote nothing would differ from these references.
        for (double[] ref : new double[][] {ey, edx, edw, edb}) {
            assertTrue(java.util.Arrays.stream(ref).map(Math::abs).max().orElseThrow() > 1e-3);
        }
    }
}
