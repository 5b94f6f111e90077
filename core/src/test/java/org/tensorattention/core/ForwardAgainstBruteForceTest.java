package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ForwardAgainstBruteForceTest {

    static Stream<Arguments> problems() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 1;
        for (int order = 2; order <= 4; order++) {
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, order == 2 ? Mask.window(3) : order == 3 ? Mask.window(3, 2) : Mask.window(2, 4, 3)}) {
                for (int n : new int[] {1, 5, 13}) {
                    cases.add(Arguments.of(order, mask, n, seed++));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "order {0} {1} n={2}")
    @MethodSource("problems")
    void exactMatchesBruteForceInFloat64(int order, Mask mask, int n, long seed) {
        Random rnd = new Random(seed);
        int d = 3 + rnd.nextInt(6);
        int dv = 1 + rnd.nextInt(7);
        double[][] q = BruteForce.random(rnd, n, d, 2);
        double[][][] k = new double[order - 1][][];
        double[][][] v = new double[order - 1][][];
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 0; t < order - 1; t++) {
            k[t] = BruteForce.random(rnd, n, d, 2);
            v[t] = BruteForce.random(rnd, n, dv, 1);
            keys.add(BruteForce.tensor(k[t]));
            values.add(BruteForce.tensor(v[t]));
        }
        double c = 0.7;
        AttentionResult r = TensorAttention.forward(BruteForce.tensor(q), keys, values,
                AttentionOptions.defaults().withScale(c).withMask(mask));
        double[][] expected = BruteForce.forward(q, k, v, c, mask);
        double diff = BruteForce.maxDiff(r.output(), expected);
        assertTrue(diff < 1e-12, "max |O - O_ref| = " + diff);
    }
}
