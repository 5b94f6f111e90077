package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;

/**
 * A packed batch of short sequences runs as one Spark job (tasks over blocks of sequences): the forward gives
 * one machine's o and lse bit for bit, the backward its gradients to rounding; a long sequence in the batch
 * still runs as its own distributed call.
 */
class SparkPackedGroupTest {

    private static int[] offsets(Random rnd, int sequences, int longest) {
        int[] cu = new int[sequences + 1];
        for (int b = 1; b <= sequences; b++) {
            // Lengths 0 .. longest: empty sequences included.
            cu[b] = cu[b - 1] + rnd.nextInt(longest + 1);
        }
        return cu;
    }

    private static void sameBits(String what, AttentionResult one, AttentionResult spark) {
        assertArrayEquals(one.output().shape(), spark.output().shape(), what + " o shape");
        assertTrue(one.output().dtype() == spark.output().dtype(), what + " o dtype");
        for (int i = 0; i < one.output().size(); i++) {
            double a = one.output().get(i);
            double b = spark.output().get(i);
            assertTrue(Double.doubleToLongBits(a) == Double.doubleToLongBits(b),
                    what + " o[" + i + "] " + b + " against " + a);
        }
        for (int i = 0; i < one.logSumExp().size(); i++) {
            double a = one.logSumExp().get(i);
            double b = spark.logSumExp().get(i);
            assertTrue(Double.doubleToLongBits(a) == Double.doubleToLongBits(b),
                    what + " lse[" + i + "] " + b + " against " + a);
        }
    }

    @Test
    void shortSequencesRunAsOneJobBitForBit() {
        Random rnd = new Random(11);
        int sequences = 40;
        int[] cu = offsets(rnd, sequences, 12);
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            // Two heads, order 3.
            Problems.Case c = SparkFeaturesTest.uneven(12, dtype, cu[sequences], new int[] {cu[sequences], cu[sequences]},
                    3, 2, new int[] {2});
            for (AttentionOptions o : new AttentionOptions[] {AttentionOptions.defaults().causal(),
                    AttentionOptions.defaults().window(3, 5).withBand(4), AttentionOptions.defaults().withSqrtScale()}) {
                String what = dtype + " " + o.mask();
                AttentionResult one = Packed.forward(c.q(), c.k(), c.v(), cu, cu, o);
                SparkAttention.Result r = SparkAttention.forwardPacked(LocalSpark.context(), c.q(), c.k(), c.v(), cu,
                        cu, o, Settings.defaults());
                sameBits(what, one, r.result());
                // One job of at most two tasks per core (local[2]), not a job or more per sequence.
                assertTrue(r.report().tasks() <= 4, what + ": " + r.report().tasks() + " tasks");
            }
        }
        // With no short limit every sequence that attends is its own call: a task or more each.
        Problems.Case c = SparkFeaturesTest.uneven(14, DType.FLOAT64, cu[sequences],
                new int[] {cu[sequences], cu[sequences]}, 3, 2, new int[0]);
        AttentionOptions o = AttentionOptions.defaults().causal();
        SparkAttention.Result r = SparkAttention.forwardPacked(LocalSpark.context(), c.q(), c.k(), c.v(), cu, cu, o,
                Settings.defaults().withShortFlops(0));
        sameBits("a call per sequence", Packed.forward(c.q(), c.k(), c.v(), cu, cu, o), r.result());
        int attending = 0;
        for (int b = 0; b < sequences; b++) {
            attending += cu[b + 1] > cu[b] ? 1 : 0;
        }
        assertTrue(r.report().tasks() >= attending, r.report().tasks() + " tasks for " + attending + " sequences");
    }

    @Test
    void shortSequencesBackwardAsOneJob() {
        Random rnd = new Random(21);
        int sequences = 30;
        int[] cuQ = offsets(rnd, sequences, 9);
        int[] cuK = offsets(rnd, sequences, 9);
        for (DType dtype : new DType[] {DType.FLOAT64, DType.FLOAT32}) {
            // Four query heads on two kv heads (grouped): dK and dV sum over the problems sharing them.
            Random data = new Random(22);
            int[] qLead = {2, 2};
            Tensor q = Problems.tensor(data, dtype, qLead, cuQ[sequences], 3);
            java.util.List<Tensor> k = java.util.List.of(Problems.tensor(data, dtype, new int[] {2, 1}, cuK[sequences], 3),
                    Problems.tensor(data, dtype, new int[] {2, 1}, cuK[sequences], 3));
            java.util.List<Tensor> v = java.util.List.of(Problems.tensor(data, dtype, new int[] {2, 1}, cuK[sequences], 2),
                    Problems.tensor(data, dtype, new int[] {2, 1}, cuK[sequences], 2));
            Tensor dout = Problems.tensor(data, dtype, qLead, cuQ[sequences], 2);
            for (AttentionOptions o : new AttentionOptions[] {AttentionOptions.defaults().causal(),
                    AttentionOptions.defaults().withBand(3)}) {
                String what = dtype + " " + o.mask();
                GradientResult one = Packed.backward(q, k, v, dout, cuQ, cuK, o);
                SparkAttention.Gradients r = SparkAttention.backwardPacked(LocalSpark.context(), q, k, v, dout, cuQ,
                        cuK, o, Settings.defaults());
                // The backward sums in another order than one machine's (as every Spark backward does): rounding
                // relative to the largest value, float32 gradients are float64 sums narrowed once.
                double tol = Problems.tolerance(dtype);
                Problems.close(what + " o", one.output(), r.result().output(), tol);
                Problems.close(what + " dq", one.dq(), r.result().dq(), tol);
                for (int t = 0; t < 2; t++) {
                    Problems.close(what + " dk" + t, one.dk().get(t), r.result().dk().get(t), tol);
                    Problems.close(what + " dv" + t, one.dv().get(t), r.result().dv().get(t), tol);
                }
                assertTrue(r.report().tasks() <= 4, what + ": " + r.report().tasks() + " tasks");
            }
        }
    }

    @Test
    void aLongSequenceStillRunsOnItsOwn() {
        // Nine short sequences and one of 640 rows (order 3, full: 2 * 640^3 * 7 = 3.7e9 flops, past the limit).
        int[] cu = {0, 3, 9, 10, 14, 20, 27, 28, 31, 35, 675};
        Problems.Case c = SparkFeaturesTest.uneven(13, DType.FLOAT64, 675, new int[] {675, 675}, 4, 3, new int[0]);
        AttentionOptions o = AttentionOptions.defaults();
        AttentionResult one = Packed.forward(c.q(), c.k(), c.v(), cu, cu, o);
        SparkAttention.Result r = SparkAttention.forwardPacked(LocalSpark.context(), c.q(), c.k(), c.v(), cu, cu, o,
                Settings.defaults().withQueryBlocks(3));
        Problems.close("mixed o", one.output(), r.result().output(), 1e-12);
        Problems.closeLse("mixed lse", one.logSumExp(), r.result().logSumExp(), 1e-12);
        // The long one's three query blocks, and the short ones' job.
        assertTrue(r.report().tasks() >= 4 && r.report().tasks() <= 7, r.report().tasks() + " tasks");
    }
}
