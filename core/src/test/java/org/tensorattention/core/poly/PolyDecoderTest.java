package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorattention.core.Validation;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

class PolyDecoderTest {

    @ParameterizedTest(name = "order {0}")
    @ValueSource(ints = {2, 3, 4})
    void decodingEqualsBatchCausal(int order) {
        Random rnd = new Random(order);
        int n = 40;
        int d = 3;
        int dv = 5;
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, order, new int[0], new int[0], n, d, dv, 1);
        double radius = 1; // entries in [-1, 1], scale 1/d: every score is within [-1, 1].
        PolyDecoder dec = new PolyDecoder(order, d, dv, Double.NaN, radius, 1e-6, n);
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            double[][] k = new double[order - 1][];
            double[][] v = new double[order - 1][];
            for (int t = 0; t < order - 1; t++) {
                k[t] = row(pr.keys().get(t), i);
                v[t] = row(pr.values().get(t), i);
            }
            rows[i] = dec.append(row(pr.q(), i), k, v);
        }
        assertEquals(n, dec.tokens());
        // The batch causal form with the decoder's polynomial: the same numbers up to summation order.
        AttentionOptions o = AttentionOptions.defaults().causal().withEpsilon(1e-6).withMethod(Method.POLY);
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        double[] batch = PolyAttention.compute(PolyAttention.Inputs.of(pr.q(), pr.keys(), pr.values(), g, o), g, o,
                dec.plan().polynomial());
        Tensor exact = pr.run(o.withMethod(Method.EXACT)).output();
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < dv; c++) {
                assertEquals(batch[i * dv + c], rows[i][c], 1e-13);
                assertEquals(exact.get(i * dv + c), rows[i][c], 1e-6 * pr.vinf());
            }
        }
    }

    @ParameterizedTest(name = "order {0}")
    @ValueSource(ints = {3})
    void tokensPastTheRadiusAreRefusedAndLeaveTheStateAlone(int order) {
        PolyDecoder dec = new PolyDecoder(order, 2, 1, 1.0, 0.5, 1e-4, 10);
        double[] ok = dec.append(new double[] {0.5, 0.5}, new double[][] {{0.5, 0.5}, {1, 1}}, new double[][] {{2}, {3}});
        assertEquals(6, ok[0], 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> dec.append(new double[] {1, 1}, new double[][] {{1, 1}, {1, 1}}, new double[][] {{1}, {1}}));
        assertTrue(e.getMessage().contains("radius"), e.getMessage());
        assertEquals(1, dec.tokens());
        assertThrows(IllegalArgumentException.class, () -> new PolyDecoder(3, 2, 1, 1.0, 40, 1e-8, 10));
    }

    static double[] row(Tensor t, int i) {
        int w = t.dim(-1);
        double[] r = new double[w];
        for (int c = 0; c < w; c++) {
            r[c] = t.get(i * w + c);
        }
        return r;
    }
}
