package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The API names the array that does not fit. */
class ValidationTest {
    private static Tensor m(int rows, int cols) {
        return Tensor.zeros(DType.FLOAT64, rows, cols);
    }

    private static String message(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void namesTheMisfit() {
        AttentionOptions o = AttentionOptions.defaults();
        assertTrue(message(() -> TensorAttention.forward(m(4, 3), List.of(m(4, 2)), List.of(m(4, 2)), o)).startsWith("k1 has width 2"));
        assertTrue(message(() -> TensorAttention.forward(m(4, 3), List.of(m(4, 3)), List.of(m(5, 2)), o)).startsWith("v1 has 5 rows"));
        assertTrue(message(() -> TensorAttention.forward(m(4, 3), List.of(m(4, 3), m(4, 3)), List.of(m(4, 2)), o)).contains("value arrays"));
        assertTrue(message(() -> TensorAttention.forward(m(4, 3), List.of(m(4, 3), m(4, 3)), List.of(m(4, 2), m(4, 3)), o)).startsWith("v2 has width 3"));
        assertTrue(message(() -> TensorAttention.forward(m(4, 3), List.of(m(4, 3), m(4, 3)), List.of(m(4, 2), m(4, 2)), o.window(2))).contains("widths"));
        Tensor bad = m(4, 3);
        bad.doubles()[5] = Double.NaN;
        assertTrue(message(() -> TensorAttention.forward(bad, List.of(m(4, 3)), List.of(m(4, 2)), o)).startsWith("q contains a non-finite"));
        Tensor q3 = Tensor.zeros(DType.FLOAT64, 2, 3, 4, 3);
        Tensor k3 = Tensor.zeros(DType.FLOAT64, 2, 2, 4, 3);
        Tensor v3 = Tensor.zeros(DType.FLOAT64, 2, 2, 4, 2);
        assertTrue(message(() -> TensorAttention.forward(q3, List.of(k3), List.of(v3), o)).contains("does not broadcast"));
    }

    @Test
    void keysWithNoRowsAreRefusedOnlyWhenAQueryNeedsThem() {
        AttentionOptions o = AttentionOptions.defaults();
        assertTrue(message(() -> TensorAttention.forward(m(2, 3), List.of(m(0, 3)), List.of(m(0, 2)), o)).equals("k1 has no rows"));
        // No queries, no keys (an empty sequence, or a packed batch of empty ones): the empty result, as a batch of 0.
        // (This class also runs on the scalar path, which has no backward: python/tests checks the gradients.)
        for (AttentionOptions opts : List.of(o, o.causal())) {
            AttentionResult r = TensorAttention.forward(m(0, 3), List.of(m(0, 3), m(0, 3)), List.of(m(0, 2), m(0, 2)), opts);
            assertArrayEquals(new int[] {0, 2}, r.output().shape());
        }
        int[] cu = {0, 0, 0};
        AttentionResult p = Packed.forward(m(0, 3), List.of(m(0, 3)), List.of(m(0, 2)), cu, cu, o.causal());
        assertArrayEquals(new int[] {0, 2}, p.output().shape());
    }
}
