package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/** Reads .npy files that real numpy wrote (src/test/resources/make_fixtures.py). */
class NpyFixturesTest {

    private static Tensor read(String name) throws NpzException {
        return Npy.read(Fixtures.npy(name));
    }

    @Test
    void bigEndianFloat32() throws Exception {
        Tensor t = read("be_f4.npy");
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new int[] {2, 3}, t.shape());
        assertArrayEquals(Fixtures.seventhsF(6), t.floats());
    }

    @Test
    void bigEndianFloat64() throws Exception {
        Tensor t = read("be_f8.npy");
        assertEquals(DType.FLOAT64, t.dtype());
        assertArrayEquals(new int[] {5}, t.shape());
        assertArrayEquals(Fixtures.sevenths(5), t.doubles());
    }

    @Test
    void bigEndianInt32() throws Exception {
        assertArrayEquals(new double[] {-2, 0, 1, Integer.MAX_VALUE}, read("be_i4.npy").doubles());
    }

    @Test
    void fortranOrderIsTransposedToCOrder() throws Exception {
        Tensor two = read("fortran_2d.npy");
        assertArrayEquals(new int[] {3, 4}, two.shape());
        assertArrayEquals(Fixtures.sevenths(12), two.doubles());
        assertEquals(5 / 7.0, two.at(1, 1));

        Tensor three = read("fortran_3d.npy");
        assertEquals(DType.FLOAT32, three.dtype());
        assertArrayEquals(new int[] {2, 3, 4}, three.shape());
        assertArrayEquals(Fixtures.seventhsF(24), three.floats());

        Tensor four = read("fortran_be_4d.npy");
        assertArrayEquals(new int[] {2, 1, 3, 2}, four.shape());
        assertArrayEquals(Fixtures.sevenths(12), four.doubles());
    }

    @Test
    void headerVersions2And3() throws Exception {
        Tensor v2 = read("v2.npy");
        assertArrayEquals(new int[] {3, 2}, v2.shape());
        assertArrayEquals(Fixtures.sevenths(6), v2.doubles());
        Tensor v3 = read("v3.npy");
        assertArrayEquals(new int[] {2, 2}, v3.shape());
        assertArrayEquals(Fixtures.seventhsF(4), v3.floats());
    }

    @Test
    void zeroDimensionalArrays() throws Exception {
        Tensor d = read("scalar_f8.npy");
        assertEquals(0, d.rank());
        assertEquals(DType.FLOAT64, d.dtype());
        assertEquals(2.5, d.get(0));
        Tensor f = read("scalar_f4.npy");
        assertEquals(0, f.rank());
        assertEquals(DType.FLOAT32, f.dtype());
        assertEquals(-1.25f, f.floats()[0]);
    }

    @Test
    void emptyArray() throws Exception {
        Tensor t = read("empty.npy");
        assertArrayEquals(new int[] {0, 3}, t.shape());
        assertEquals(0, t.size());
    }

    @Test
    void float16WidensToFloat32() throws Exception {
        Tensor t = read("f2.npy");
        assertEquals(DType.FLOAT32, t.dtype());
        assertArrayEquals(new float[] {0, 0.125f, 0.25f, 0.375f}, t.floats());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "i8.npy; -3 0 7 1099511627776 -1099511627776 1",
        "i4.npy; -2147483648 5 2147483647",
        "i2.npy; -32768 1 32767",
        "i1.npy; -128 0 127",
        "u1.npy; 0 1 255",
        "u2.npy; 0 65535",
        "u4.npy; 0 4294967295",
        "u8.npy; 0 9223372036854775808 18446744073709551615",
        "bool.npy; 1 0 1 0 0 1",
    })
    void integerAndBoolArraysReadAsFloat64(String file, String values) throws Exception {
        Tensor t = read(file);
        assertEquals(DType.FLOAT64, t.dtype());
        String[] parts = values.split(" ");
        double[] expected = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            expected[i] = new BigDecimal(parts[i]).doubleValue();
        }
        assertArrayEquals(expected, t.doubles());
    }

    @Test
    void integerAndBoolShapesAreKept() throws Exception {
        assertArrayEquals(new int[] {2, 3}, read("i8.npy").shape());
        assertArrayEquals(new int[] {2, 3}, read("bool.npy").shape());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "c16.npy, '<c16', complex128",
        "object.npy, '|O', object",
        "unicode.npy, '<U3', unicode",
        "structured.npy, structured dtype, ('a', '<f8')",
    })
    void otherTypesAreRejectedNamingFileAndDtype(String file, String dtype, String word) {
        NpzException e = assertThrows(NpzException.class, () -> read(file));
        String m = e.getMessage();
        assertTrue(m.contains(file), m);
        assertTrue(m.contains(dtype), m);
        assertTrue(m.contains(word), m);
        assertFalse(m.contains("\n"), m);
    }
}
