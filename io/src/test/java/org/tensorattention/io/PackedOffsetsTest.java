package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.Tensor;

/** The offsets arrays of a packed input, as the reader hands them over (integers widened to float64). */
class PackedOffsetsTest {
    private static String refused(Map<String, Tensor> arrays, Map<String, String> dtypes) {
        return assertThrows(IllegalArgumentException.class, () -> AttentionFiles.packedOffsets(arrays, dtypes, "in.npz"))
                .getMessage();
    }

    @Test
    void oneArrayServesQueriesAndKeys() {
        int[][] cu = AttentionFiles.packedOffsets(Map.of("cu_seqlens", Tensor.of(new double[] {0, 3, 3, 7}, 4)),
                Map.of("cu_seqlens", "int32"), "in.npz");
        assertArrayEquals(new int[] {0, 3, 3, 7}, cu[0]);
        assertSame(cu[0], cu[1], "the same array: messages then say cu_seqlens");
        assertNull(AttentionFiles.packedOffsets(Map.of(), Map.of(), "in.npz"));
    }

    @Test
    void offsetsPastTheIntRangeAreNamedAsIntegers() {
        assertEquals("in.npz: cu_seqlens[1] = 1099511627776 does not fit an int offset (at most 2147483647)",
                refused(Map.of("cu_seqlens", Tensor.of(new double[] {0, 1L << 40}, 2)), Map.of("cu_seqlens", "int64")));
        assertEquals("in.npz: array 'cu_seqlens' is float64; it must hold integer offsets (numpy: "
                        + "np.asarray(cu, dtype=np.int32))",
                refused(Map.of("cu_seqlens", Tensor.of(new double[] {0, 1.5}, 2)), Map.of("cu_seqlens", "float64")));
        assertEquals("in.npz: array 'cu_seqlens_k' has shape (1, 2); it must be one dimension of batch + 1 offsets",
                refused(Map.of("cu_seqlens_q", Tensor.of(new double[] {0, 2}, 2),
                        "cu_seqlens_k", Tensor.of(new double[] {0, 2}, 1, 2)),
                        Map.of("cu_seqlens_q", "int32", "cu_seqlens_k", "int32")));
    }
}
