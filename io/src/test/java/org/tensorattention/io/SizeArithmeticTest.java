package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.tensorattention.io.TestFiles.dict;
import static org.tensorattention.io.TestFiles.fails;
import static org.tensorattention.io.TestFiles.npy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.Tensor;

/** Sizes from headers are multiplied without overflow; what does not fit is one line naming the size. */
class SizeArithmeticTest {
    @TempDir
    Path dir;

    private static Tensor load(String shape, int dataBytes, long budget) throws NpzException {
        byte[] file = npy(dict("<f8", shape), dataBytes);
        return Npy.read(new ByteArrayInputStream(file), "s.npy", budget);
    }

    /** numpy reads an empty array with a huge axis; so does this reader, without allocating for the axis. */
    @Test
    void emptyArrayWithAHugeAxis() throws IOException {
        Path file = dir.resolve("e.npy");
        Files.write(file, npy(dict("<f8", "(0, 2147483647)"), 0));
        Tensor t = Npy.read(file);
        assertArrayEquals(new int[] {0, 2147483647}, t.shape());
        assertEquals(0, t.size());
        assertArrayEquals(new int[] {2147483647, 2147483647, 0}, load("(2147483647, 2147483647, 0)", 0, 0).shape());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "(2147483647, 2147483647, 2147483647);shape (2147483647, 2147483647, 2147483647) holds more than 9223372036854775807 values",
        "(65536, 32768);shape (65536, 32768) holds 2147483648 values, more than a Java array takes (2147483639)",
        "(3037000500, 3037000500);dimension 3037000500 is larger than 2147483647",
        "(0, 1099511627776);dimension 1099511627776 is larger than 2147483647",
        "(9223372036854775807,);dimension 9223372036854775807 is larger than 2147483647",
        "(9223372036854775808,);integer 9223372036854775808 out of range",
    })
    void shapesBeyondJavaArrays(String shape, String message) {
        fails(() -> load(shape, 0, Long.MAX_VALUE), "s.npy: bad header: " + message);
    }

    @Test
    void arrayLargerThanTheBudget() {
        fails(() -> load("(100000000,)", 0, 1 << 20),
                "s.npy: array '<f8' (100000000,) needs 800000000 bytes of memory, more than the reading budget of 1048576 bytes");
    }

    /** Fortran order needs the transposed copy and its index as well. */
    @Test
    void fortranOrderCountsItsCopy() {
        byte[] file = npy("{'descr': '<f8', 'fortran_order': True, 'shape': (1000, 1000), }", 8_000_000);
        fails(() -> Npy.read(new ByteArrayInputStream(file), "f.npy", 10_000_000), "f.npy: array '<f8' (1000, 1000) needs 20000000 bytes");
    }

    /** The arrays of one archive share the budget. */
    @Test
    void archiveSharesOneBudget() throws IOException {
        Path file = dir.resolve("two.npz");
        Npz.write(file, Map.of("a", Tensor.of(new double[75_000], 75_000)));
        assertEquals(75_000, Npz.read(file, 1_000_000).get("a").size());
        byte[] a = npy(dict("<f8", "(75000,)"), 600_000);
        Files.write(file, new TestFiles.Zip().stored("a.npy", a).stored("b.npy", a).bytes());
        fails(() -> Npz.read(file, 1_000_000), "two.npz: array 'b': array '<f8' (75000,) needs 600000 bytes of memory,"
                + " more than 400000 left of the reading budget of 1000000 bytes");
    }
}
