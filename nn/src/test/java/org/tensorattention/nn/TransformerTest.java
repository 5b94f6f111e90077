package org.tensorattention.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.nn.task.Batch;
import org.tensorattention.nn.task.MatchData;
import org.tensorattention.nn.task.Task;

class TransformerTest {

    /** The whole model's gradient of the cross-entropy against finite differences, every parameter. */
    @ParameterizedTest
    @CsvSource({"2, false, false, 1", "3, true, false, 2", "3, false, true, 3", "2, true, true, 4"})
    void gradientsOfTheLossMatchFiniteDifferences(int order, boolean sink, boolean positions, long seed) {
        ModelConfig mc = ModelConfig.of(5, 4, 6, 2, order).withSink(sink).withPositions(positions).withSeed(seed)
                .withLayers(2).withMlp(8, Activation.GELU);
        Transformer model = new Transformer(mc, 1, new ReferenceKernel());
        Batch b = new MatchData(Task.MATCH3, 4, 5, 3).sample(new SplittableRandom(seed), 3);
        for (Param p : model.params()) {
            p.zeroGrad();
        }
        model.backward(CrossEntropy.of(model.forward(b.tokens()), b.labels()).gradient());
        for (Param p : model.params()) {
            GradCheck.check(p.name(), p.value(), p.grad().clone(),
                    () -> CrossEntropy.of(model.forward(b.tokens()), b.labels()).loss(), 12, 1e-5);
        }
    }

    @Test
    void parameterNamesAreUniqueAndSeededInitIsReproducible() {
        ModelConfig mc = ModelConfig.of(9, 8, 8, 2, 3).withLayers(2).withSink(true);
        Transformer a = new Transformer(mc, 1);
        Transformer b = new Transformer(mc, 1);
        Set<String> names = new HashSet<>();
        for (int p = 0; p < a.params().size(); p++) {
            assertTrue(names.add(a.params().get(p).name()));
            assertEquals(java.util.Arrays.toString(a.params().get(p).value()), java.util.Arrays.toString(b.params().get(p).value()));
        }
        assertTrue(names.contains("layer1.attn.wv2"));
        assertEquals(10 * 8, a.params().get(0).size(), "the sink adds one row to the token table");
    }

    @Test
    void badTokensAndConfigurationsAreRefused() {
        Transformer t = new Transformer(ModelConfig.of(5, 4, 4, 1, 2).withSink(true), 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.forward(new int[][] {{0, 5}}));
        assertTrue(e.getMessage().contains("token 5"));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.of(5, 4, 6, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.of(5, 4, 4, 1, 1));
    }

    /** A short run learns something: the loss falls (a smoke test of the training loop, not of the task). */
    @Test
    void aShortRunLowersTheLoss() {
        ModelConfig mc = ModelConfig.of(7, 6, 8, 2, 3).withSink(true);
        TrainConfig tc = new TrainConfig(Task.MATCH2, 6, 7, 4, 60, 16, 1e-2, 0.0, 5, 3, 64, 30);
        Trainer tr = new Trainer(new Transformer(mc, 1, new ReferenceKernel()), tc);
        double first = 0;
        double last = 0;
        for (int s = 0; s < 60; s++) {
            double l = tr.step().loss();
            if (s < 10) {
                first += l;
            }
            if (s >= 50) {
                last += l;
            }
        }
        assertTrue(last < first, "loss " + first / 10 + " -> " + last / 10);
    }
}
