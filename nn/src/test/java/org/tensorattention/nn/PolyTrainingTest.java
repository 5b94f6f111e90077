package org.tensorattention.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.tensorattention.core.Method;
import org.tensorattention.nn.task.Task;

/** Training through the polynomial method: like the exact method where its bound allows, refused past it. */
class PolyTrainingTest {

    private static Trainer trainer(Method method, double scale, int width) {
        ModelConfig mc = ModelConfig.of(24, 8, width, 2, 3).withSink(true).withScale(scale).withMethod(method, 1e-3);
        TrainConfig tc = new TrainConfig(Task.MATCH3, 8, 24, 4, 6, 8, 1e-2, 0.01, 1, 3, 16, 3);
        return new Trainer(new Transformer(mc, 1), tc);
    }

    @Test
    void smallScoresTrainLikeTheExactMethod() {
        Trainer exact = trainer(Method.EXACT, 0.1, 4);
        Trainer poly = trainer(Method.POLY, 0.1, 4);
        for (int s = 0; s < 6; s++) {
            double le = exact.step().loss();
            double lp = poly.step().loss();
            assertEquals(le, lp, 1e-3 * le, "loss at step " + (s + 1));
        }
        for (int p = 0; p < exact.model().params().size(); p++) {
            double[] a = exact.model().params().get(p).value();
            double[] b = poly.model().params().get(p).value();
            for (int i = 0; i < a.length; i++) {
                assertEquals(a[i], b[i], 1e-2, exact.model().params().get(p).name());
            }
        }
        assertEquals(exact.evaluate().accuracy(), poly.evaluate().accuracy(), 0.02);
    }

    @Test
    void scoresPastTheBoundAreRefusedNamingTheStep() {
        Trainer poly = trainer(Method.POLY, 1.0, 32);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, poly::step);
        assertTrue(e.getMessage().startsWith("step 1: "), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"));
    }
}
