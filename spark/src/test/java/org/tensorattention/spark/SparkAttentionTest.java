package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tensorattention.spark.Problems.close;
import static org.tensorattention.spark.Problems.tolerance;

import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.TensorAttention;

/** Every distributed path on local[2] against the single-machine kernel on the same call. */
class SparkAttentionTest {
    private static final int[] BATCH = {2};
    private static final int[] GQA_Q = {1, 4};
    private static final int[] GQA_KV = {1, 2};

    static Stream<Arguments> exactCases() {
        return Stream.of(
                Arguments.of(2, Mask.FULL, DType.FLOAT64, 40),
                Arguments.of(2, Mask.CAUSAL, DType.FLOAT32, 40),
                Arguments.of(2, Mask.window(5), DType.FLOAT64, 40),
                Arguments.of(3, Mask.FULL, DType.FLOAT32, 24),
                Arguments.of(3, Mask.CAUSAL, DType.FLOAT64, 24),
                Arguments.of(3, Mask.window(4, 7), DType.FLOAT64, 24),
                Arguments.of(4, Mask.FULL, DType.FLOAT64, 12),
                Arguments.of(4, Mask.CAUSAL, DType.FLOAT32, 12),
                Arguments.of(4, Mask.window(3, 5, 2), DType.FLOAT64, 12));
    }

    private static JavaSparkContext sc() {
        return LocalSpark.context();
    }

    /** Exact forward and backward, batch and grouped heads, keys broadcast and keys in blocks. */
    @ParameterizedTest
    @MethodSource("exactCases")
    void exactEqualsTheSingleMachineKernel(int order, Mask mask, DType dtype, int n) {
        for (int[][] lead : new int[][][] {{BATCH, BATCH}, {GQA_Q, GQA_KV}}) {
            Problems.Case c = Problems.random(order * 31L + n, dtype, order, n, 4, 3, lead[0], lead[1]);
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withThreads(1);
            AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
            GradientResult oneG = TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), one, o);
            // A limit of 600 bytes holds a few key rows: many key blocks per query block, merged by lse.
            for (Settings s : List.of(Settings.defaults().withQueryBlocks(3).withReduceRows(7),
                    Settings.defaults().withQueryBlocks(2).withBroadcastLimit(600).withReduceRows(5))) {
                String what = "order " + order + " " + mask + " " + dtype + " lead " + lead[0].length
                        + " limit " + s.broadcastLimit();
                SparkAttention.Result r = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, s);
                close(what + " o", one.output(), r.result().output(), tolerance(dtype));
                // The float32 kernel scores in float: its lse carries float rounding too.
                close(what + " lse", one.logSumExp(), r.result().logSumExp(), tolerance(dtype));
                assertEquals(Method.EXACT, r.result().method());
                SparkAttention.Gradients g = SparkAttention.backward(sc(), c.q(), c.k(), c.v(), c.dout(),
                        r.result(), o, s);
                close(what + " dq", oneG.dq(), g.result().dq(), tolerance(dtype));
                for (int t = 0; t < order - 1; t++) {
                    close(what + " dk" + t, oneG.dk().get(t), g.result().dk().get(t), tolerance(dtype));
                    close(what + " dv" + t, oneG.dv().get(t), g.result().dv().get(t), tolerance(dtype));
                }
                assertTrue(r.report().tasks() >= 2, what + " tasks " + r.report());
            }
        }
    }

    static Stream<Arguments> polyCases() {
        return Stream.of(
                Arguments.of(2, Mask.FULL, 64),
                Arguments.of(2, Mask.CAUSAL, 64),
                Arguments.of(3, Mask.FULL, 48),
                Arguments.of(3, Mask.CAUSAL, 48),
                Arguments.of(3, Mask.window(5, 9), 48),
                Arguments.of(4, Mask.FULL, 16),
                Arguments.of(4, Mask.window(3, 2, 4), 16));
    }

    /** Poly forward and backward: same degree, rank, radius and bound, and the same rows. */
    @ParameterizedTest
    @MethodSource("polyCases")
    void polyEqualsTheSingleMachineMethod(int order, Mask mask, int n) {
        for (DType dtype : List.of(DType.FLOAT64, DType.FLOAT32)) {
            Problems.Case c = Problems.random(order * 17L + n, dtype, order, n, 3, 2, GQA_Q, GQA_KV);
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withMethod(Method.POLY)
                    .withEpsilon(1e-5).withThreads(1);
            AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
            Settings s = Settings.defaults().withQueryBlocks(3);
            SparkAttention.Result r = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, s);
            String what = "poly order " + order + " " + mask + " " + dtype;
            assertEquals(one.poly(), r.result().poly(), what + " plan");
            close(what + " o", one.output(), r.result().output(), tolerance(dtype));
            GradientResult oneG = TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), one, o);
            GradientResult g = SparkAttention.backward(sc(), c.q(), c.k(), c.v(), c.dout(), null, o, s).result();
            assertEquals(Method.POLY, g.method());
            close(what + " backward o", oneG.output(), g.output(), tolerance(dtype));
            close(what + " dq", oneG.dq(), g.dq(), tolerance(dtype));
            for (int t = 0; t < order - 1; t++) {
                close(what + " dk" + t, oneG.dk().get(t), g.dk().get(t), tolerance(dtype));
                close(what + " dv" + t, oneG.dv().get(t), g.dv().get(t), tolerance(dtype));
            }
        }
    }

    /** Past the entry bound poly refuses on Spark with the single-machine reason, and auto falls back to exact. */
    @org.junit.jupiter.api.Test
    void polyRefusesAsOnOneMachine() {
        Problems.Case c = Problems.random(3, DType.FLOAT64, 3, 32, 4, 2, new int[0], new int[0]);
        double[] big = c.q().toDoubleArray();
        for (int i = 0; i < big.length; i++) {
            big[i] *= 400;
        }
        org.tensorattention.core.Tensor q = org.tensorattention.core.Tensor.of(big, c.q().shape());
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withThreads(1);
        IllegalArgumentException one = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> TensorAttention.forward(q, c.k(), c.v(), o));
        IllegalArgumentException spark = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SparkAttention.forward(sc(), q, c.k(), c.v(), o, Settings.defaults()));
        assertEquals(one.getMessage(), spark.getMessage());
        AttentionOptions auto = o.withMethod(Method.AUTO);
        SparkAttention.Result r = SparkAttention.forward(sc(), q, c.k(), c.v(), auto, Settings.defaults());
        AttentionResult single = TensorAttention.forward(q, c.k(), c.v(), auto);
        assertEquals(single.method(), r.result().method());
        assertEquals(single.reason(), r.result().reason());
        close("auto o", single.output(), r.result().output(), 1e-12);
    }
}
