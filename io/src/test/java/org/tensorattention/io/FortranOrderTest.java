package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.Tensor;

/** The odometer that maps C order to Fortran order, against the offset formula evaluated directly. */
class FortranOrderTest {

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 40);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void offsetsMatchTheColumnMajorFormula(long seed) {
        Random rnd = new Random(seed);
        int rank = 1 + rnd.nextInt(5);
        int[] shape = new int[rank];
        for (int a = 0; a < rank; a++) {
            shape[a] = 1 + rnd.nextInt(5);
        }
        int count = (int) Tensor.sizeOf(shape);
        int[] from = Npy.fortranOffsets(shape, count);
        for (int c = 0; c < count; c++) {
            // Unravel c in C order (last axis fastest), re-ravel in Fortran order (first axis fastest).
            int rest = c;
            int[] index = new int[rank];
            for (int a = rank - 1; a >= 0; a--) {
                index[a] = rest % shape[a];
                rest /= shape[a];
            }
            int f = 0;
            for (int a = rank - 1; a >= 0; a--) {
                f = f * shape[a] + index[a];
            }
            assertEquals(f, from[c], "C index " + c);
        }
    }
}
