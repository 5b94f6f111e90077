package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tensorattention.spark.Problems.close;
import static org.tensorattention.spark.Problems.closeLse;
import static org.tensorattention.spark.Problems.tolerance;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * The options of SPEC.md section 7 on local[2] against the single-machine API on the same call: bottom-right
 * masks (nq != nk), pair bands, scale 1/sqrt(d), the bshd layout and packed sequences.
 */
class SparkFeaturesTest {
    /** Keys broadcast (three query blocks), and keys in blocks of a few rows merged through their lse. */
    private static final List<Settings> SETTINGS = List.of(
            Settings.defaults().withQueryBlocks(3).withReduceRows(7),
            Settings.defaults().withQueryBlocks(2).withBroadcastLimit(600).withReduceRows(5));

    private static JavaSparkContext sc() {
        return LocalSpark.context();
    }

    /** q (lead, nq, d); factor t's keys (lead, nk_t, d) and values (lead, nk_t, dv); dout like o. */
    static Problems.Case uneven(long seed, DType dtype, int nq, int[] nk, int d, int dv, int[] lead) {
        Random rnd = new Random(seed);
        Tensor q = Problems.tensor(rnd, dtype, lead, nq, d);
        List<Tensor> k = new ArrayList<>();
        List<Tensor> v = new ArrayList<>();
        for (int n : nk) {
            k.add(Problems.tensor(rnd, dtype, lead, n, d));
            v.add(Problems.tensor(rnd, dtype, lead, n, dv));
        }
        return new Problems.Case(q, k, v, Problems.tensor(rnd, dtype, lead, nq, dv));
    }

    /** Forward (o, lse) and backward (o, dq, dk, dv) of Spark against one machine, under every setting. */
    private static void sameAsOneMachine(String what, Problems.Case c, AttentionOptions o) {
        DType dtype = c.q().dtype();
        AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
        GradientResult oneG = TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), one, o);
        for (Settings s : SETTINGS) {
            String w = what + " " + dtype + " limit " + s.broadcastLimit();
            SparkAttention.Result r = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, s);
            assertEquals(Method.EXACT, r.result().method(), w);
            close(w + " o", one.output(), r.result().output(), tolerance(dtype));
            closeLse(w + " lse", one.logSumExp(), r.result().logSumExp(), tolerance(dtype));
            SparkAttention.Gradients g = SparkAttention.backward(sc(), c.q(), c.k(), c.v(), c.dout(), r.result(), o, s);
            close(w + " backward o", oneG.output(), g.result().output(), tolerance(dtype));
            close(w + " dq", oneG.dq(), g.result().dq(), tolerance(dtype));
            for (int t = 0; t < c.k().size(); t++) {
                close(w + " dk" + t, oneG.dk().get(t), g.result().dk().get(t), tolerance(dtype));
                close(w + " dv" + t, oneG.dv().get(t), g.result().dv().get(t), tolerance(dtype));
            }
        }
    }

    static Stream<Arguments> bottomRight() {
        return Stream.of(
                Arguments.of(Mask.CAUSAL, 10, new int[] {25}, DType.FLOAT64),
                Arguments.of(Mask.window(6), 10, new int[] {25}, DType.FLOAT32),
                Arguments.of(Mask.CAUSAL, 7, new int[] {15, 12}, DType.FLOAT64),
                Arguments.of(Mask.window(4, 6), 7, new int[] {15, 12}, DType.FLOAT64),
                // More queries than keys: the first rows see nothing (o = 0, lse = -inf).
                Arguments.of(Mask.CAUSAL, 12, new int[] {6, 8}, DType.FLOAT32),
                Arguments.of(Mask.CAUSAL, 5, new int[] {9, 7, 8}, DType.FLOAT64),
                Arguments.of(Mask.window(3, 5, 2), 5, new int[] {9, 7, 8}, DType.FLOAT64));
    }

    /** Causal and window masks aligned bottom-right: query i at nk_t - nq + i against each factor. */
    @ParameterizedTest
    @MethodSource("bottomRight")
    void bottomRightMasksEqualOneMachine(Mask mask, int nq, int[] nk, DType dtype) {
        Problems.Case c = uneven(nq * 7L + nk.length, dtype, nq, nk, 4, 3, new int[] {2});
        sameAsOneMachine("order " + (nk.length + 1) + " " + mask + " nq " + nq, c,
                AttentionOptions.defaults().withMask(mask).withThreads(1));
    }

    /** Under nq > nk the first rows see nothing: zeros and an lse of -inf, on Spark too. */
    @Test
    void rowsThatSeeNothingGetZerosAndMinusInfinity() {
        Problems.Case c = uneven(3, DType.FLOAT64, 9, new int[] {4, 4}, 3, 2, new int[0]);
        AttentionOptions o = AttentionOptions.defaults().causal().withThreads(1);
        for (Settings s : SETTINGS) {
            AttentionResult r = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, s).result();
            for (int i = 0; i < 9; i++) {
                boolean blind = i < 5;
                assertEquals(blind, r.logSumExp().get(i) == Double.NEGATIVE_INFINITY, "row " + i);
                for (int l = 0; l < 2; l++) {
                    assertTrue(!blind || r.output().get(i * 2 + l) == 0.0, "row " + i);
                    assertTrue(Double.isFinite(r.output().get(i * 2 + l)), "row " + i);
                }
            }
        }
    }

    static Stream<Arguments> bands() {
        return Stream.of(
                Arguments.of(Mask.FULL, 3, 20, new int[] {20, 20}, DType.FLOAT64),
                Arguments.of(Mask.CAUSAL, 4, 20, new int[] {20, 20}, DType.FLOAT32),
                Arguments.of(Mask.window(6, 9), 3, 20, new int[] {20, 20}, DType.FLOAT64),
                Arguments.of(Mask.CAUSAL, 5, 8, new int[] {18, 14}, DType.FLOAT64),
                Arguments.of(Mask.FULL, 2, 9, new int[] {10, 8, 9}, DType.FLOAT64),
                Arguments.of(Mask.window(4, 3, 5), 3, 10, new int[] {10, 10, 10}, DType.FLOAT32),
                Arguments.of(Mask.CAUSAL, 3, 16, new int[] {16}, DType.FLOAT64));
    }

    /** A pair band alone and with causal and window masks, also bottom-right. */
    @ParameterizedTest
    @MethodSource("bands")
    void bandsEqualOneMachine(Mask mask, int band, int nq, int[] nk, DType dtype) {
        Problems.Case c = uneven(band * 13L + nq, dtype, nq, nk, 3, 2, new int[] {2});
        sameAsOneMachine("order " + (nk.length + 1) + " " + mask + " band " + band + " nq " + nq, c,
                AttentionOptions.defaults().withMask(mask).withBand(band).withThreads(1));
    }

    @Test
    void sqrtScaleEqualsOneMachine() {
        Problems.Case c = Problems.random(21, DType.FLOAT64, 3, 16, 9, 2, new int[] {2}, new int[] {2});
        AttentionOptions o = AttentionOptions.defaults().causal().withSqrtScale().withThreads(1);
        sameAsOneMachine("sqrt scale", c, o);
        // The sqrt rule is what runs, not the default 1/d: the two results differ.
        AttentionResult inverseD = TensorAttention.forward(c.q(), c.k(), c.v(), o.withScale(1.0 / 9));
        AttentionResult sqrt = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, SETTINGS.get(0)).result();
        assertTrue(Math.abs(inverseD.output().get(7) - sqrt.output().get(7)) > 1e-6);
    }

    /** (batch, seq, heads, dim) in and out, grouped heads included, as one machine reads and writes them. */
    @Test
    void bshdEqualsOneMachine() {
        for (DType dtype : List.of(DType.FLOAT64, DType.FLOAT32)) {
            Random rnd = new Random(17);
            int[] qLead = {2, 11};
            int[] kvLead = {2, 11};
            Tensor q = Problems.tensor(rnd, dtype, qLead, 4, 3);
            List<Tensor> k = new ArrayList<>();
            List<Tensor> v = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                k.add(Problems.tensor(rnd, dtype, kvLead, 2, 3));
                v.add(Problems.tensor(rnd, dtype, kvLead, 2, 2));
            }
            Tensor dout = Problems.tensor(rnd, dtype, qLead, 4, 2);
            // q (2, 11, 4, 3): batch 2, 11 positions, 4 query heads; keys with 2 heads (grouped).
            sameAsOneMachine("bshd", new Problems.Case(q, k, v, dout), AttentionOptions.defaults().causal()
                    .withLayout(AttentionOptions.Layout.BSHD).withThreads(1));
        }
    }

    /** Offsets: three sequences, one without queries, one with queries but no keys. */
    @Test
    void packedSequencesEqualOneMachine() {
        int[] cuQ = {0, 5, 5, 9, 12};
        int[] cuK = {0, 7, 10, 10, 16};
        Problems.Case c = uneven(8, DType.FLOAT64, 12, new int[] {16, 16}, 3, 2, new int[] {2});
        for (AttentionOptions o : List.of(AttentionOptions.defaults().causal().withThreads(1),
                AttentionOptions.defaults().withBand(2).withThreads(1))) {
            AttentionResult one = Packed.forward(c.q(), c.k(), c.v(), cuQ, cuK, o);
            GradientResult oneG = Packed.backward(c.q(), c.k(), c.v(), c.dout(), cuQ, cuK, o);
            for (Settings s : SETTINGS) {
                String w = "packed " + o.mask() + " limit " + s.broadcastLimit();
                SparkAttention.Result r = SparkAttention.forwardPacked(sc(), c.q(), c.k(), c.v(), cuQ, cuK, o, s);
                close(w + " o", one.output(), r.result().output(), 1e-12);
                closeLse(w + " lse", one.logSumExp(), r.result().logSumExp(), 1e-12);
                GradientResult g = SparkAttention.backwardPacked(sc(), c.q(), c.k(), c.v(), c.dout(), cuQ, cuK, o, s)
                        .result();
                close(w + " backward o", oneG.output(), g.output(), 1e-12);
                close(w + " dq", oneG.dq(), g.dq(), 1e-12);
                for (int t = 0; t < 2; t++) {
                    close(w + " dk" + t, oneG.dk().get(t), g.dk().get(t), 1e-12);
                    close(w + " dv" + t, oneG.dv().get(t), g.dv().get(t), 1e-12);
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SparkAttention.forwardPacked(
                sc(), c.q(), c.k(), c.v(), new int[] {0, 6, 4, 12}, new int[] {0, 6, 4, 16},
                AttentionOptions.defaults(), SETTINGS.get(0)));
        assertEquals("cu_seqlens_q decreases at index 2 (6 then 4): offsets must not decrease", e.getMessage());
    }

    /** Poly with a band refuses as one machine does; auto then runs exact. */
    @Test
    void polyRefusesABandAndAutoFallsBack() {
        Problems.Case c = Problems.random(2, DType.FLOAT64, 3, 16, 3, 2, new int[0], new int[0]);
        AttentionOptions o = AttentionOptions.defaults().causal().withBand(3).withMethod(Method.POLY).withThreads(1);
        IllegalArgumentException one = assertThrows(IllegalArgumentException.class,
                () -> TensorAttention.forward(c.q(), c.k(), c.v(), o));
        IllegalArgumentException spark = assertThrows(IllegalArgumentException.class,
                () -> SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, SETTINGS.get(0)));
        assertEquals(one.getMessage(), spark.getMessage());
        AttentionOptions auto = o.withMethod(Method.AUTO);
        AttentionResult single = TensorAttention.forward(c.q(), c.k(), c.v(), auto);
        SparkAttention.Result r = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), auto, SETTINGS.get(0));
        assertEquals(Method.EXACT, r.result().method());
        close("auto band o", single.output(), r.result().output(), 1e-12);
    }

    /** Poly under bottom-right causal and window masks: the single machine's plan and rows. */
    @Test
    void polyBottomRightEqualsOneMachine() {
        for (Mask mask : List.of(Mask.CAUSAL, Mask.window(5, 4))) {
            Problems.Case c = uneven(4, DType.FLOAT64, 12, new int[] {30, 24}, 3, 2, new int[] {2});
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withMethod(Method.POLY).withEpsilon(1e-5)
                    .withThreads(1);
            AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
            SparkAttention.Result r = SparkAttention.forward(sc(), c.q(), c.k(), c.v(), o, SETTINGS.get(0));
            assertEquals(one.poly(), r.result().poly(), mask + " plan");
            close(mask + " poly o", one.output(), r.result().output(), 1e-12);
            GradientResult oneG = TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), one, o);
            GradientResult g = SparkAttention.backward(sc(), c.q(), c.k(), c.v(), c.dout(), null, o, SETTINGS.get(0))
                    .result();
            assertEquals(Method.POLY, g.method());
            close(mask + " poly dq", oneG.dq(), g.dq(), 1e-12);
            for (int t = 0; t < 2; t++) {
                close(mask + " poly dk" + t, oneG.dk().get(t), g.dk().get(t), 1e-12);
                close(mask + " poly dv" + t, oneG.dv().get(t), g.dv().get(t), 1e-12);
            }
        }
    }
}
