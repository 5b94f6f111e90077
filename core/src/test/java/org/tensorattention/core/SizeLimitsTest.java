package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Sizes that do not fit are refused before any work, in one line that names the array and its size. */
class SizeLimitsTest {
    private static String refusal(Tensor q, Tensor k, Tensor v, boolean backward) {
        AttentionOptions o = AttentionOptions.defaults();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> {
            if (backward) {
                TensorAttention.backward(q, List.of(k), List.of(v), Tensor.zeros(DType.FLOAT32, 1, 1), null, o);
            } else {
                TensorAttention.forward(q, List.of(k), List.of(v), o);
            }
        });
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e.getMessage();
    }

    @Test
    void anOutputPastOneArrayNamesItsSize() {
        // q (65536, 1) with v1 (1, 32768): o would be (65536, 32768), 2^31 values, from a 394 KB input.
        Tensor q = Tensor.zeros(DType.FLOAT32, 65536, 1);
        Tensor k = Tensor.zeros(DType.FLOAT32, 1, 1);
        Tensor v = Tensor.zeros(DType.FLOAT32, 1, 32768);
        for (boolean backward : new boolean[] {false, true}) {
            String m = refusal(q, k, v, backward);
            assertTrue(m.startsWith("the output o of shape (65536, 32768) would hold 2147483648 values"), m);
        }
    }

    @Test
    void anOutputPastTheHeapNamesItsSize() {
        // 2^30 float64 values (8.6 GB) fit one array but not the heap these tests run with.
        long heap = Runtime.getRuntime().maxMemory();
        assertTrue(heap < 8L << 30, "the test needs a heap below 8 GiB, has " + heap);
        Tensor q = Tensor.zeros(DType.FLOAT64, 32768, 1);
        Tensor k = Tensor.zeros(DType.FLOAT64, 1, 1);
        Tensor v = Tensor.zeros(DType.FLOAT64, 1, 32768);
        String m = refusal(q, k, v, false);
        assertTrue(m.startsWith("the output o of shape (32768, 32768) (float64) needs 8.6 GB"), m);
    }

    @Test
    void zerosRefusesAShapePastOneArray() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.zeros(DType.FLOAT32, 1 << 16, 1 << 15));
        assertTrue(e.getMessage().contains("2147483648 values"), e.getMessage());
    }
}
