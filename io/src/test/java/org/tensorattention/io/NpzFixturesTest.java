package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/** Reads archives that numpy.savez and numpy.savez_compressed wrote. */
class NpzFixturesTest {

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"savez.npz", "savez_compressed.npz"})
    void readsEveryArrayInFileOrder(String file) throws Exception {
        Map<String, Tensor> arrays = Npz.read(Fixtures.npy(file));
        assertEquals(List.of("q", "k1", "scale", "tokens", "mask", "fort"), List.copyOf(arrays.keySet()));

        Tensor q = arrays.get("q");
        assertEquals(DType.FLOAT64, q.dtype());
        assertArrayEquals(new int[] {3, 4}, q.shape());
        assertArrayEquals(Fixtures.sevenths(12), q.doubles());

        Tensor k1 = arrays.get("k1");
        assertEquals(DType.FLOAT32, k1.dtype());
        assertArrayEquals(new int[] {2, 3, 4}, k1.shape());
        assertArrayEquals(Fixtures.seventhsF(24), k1.floats());

        Tensor scale = arrays.get("scale");
        assertEquals(0, scale.rank());
        assertEquals(0.5, scale.get(0));

        assertArrayEquals(new double[] {3, 1, 4, 1, 5}, arrays.get("tokens").doubles());
        assertArrayEquals(new double[] {1, 0, 1}, arrays.get("mask").doubles());

        Tensor fort = arrays.get("fort");
        assertArrayEquals(new int[] {3, 4}, fort.shape());
        assertArrayEquals(Fixtures.sevenths(12), fort.doubles());
    }

    @Test
    void unsupportedDtypeInsideAnArchiveNamesTheArray() {
        NpzException e = assertThrows(NpzException.class, () -> Npz.read(Fixtures.npy("complex.npz")));
        assertTrue(e.getMessage().contains("complex.npz: array 'z': unsupported dtype '<c16' (complex128)"), e.getMessage());
    }

    @Test
    void entriesThatAreNotArraysAreRejected() {
        NpzException e = assertThrows(NpzException.class, () -> Npz.read(Fixtures.npy("not_npy_entry.npz")));
        assertTrue(e.getMessage().contains("entry 'notes.txt' is not a .npy array"), e.getMessage());
    }

    @Test
    void aNpyFileIsNotAnArchive() {
        NpzException e = assertThrows(NpzException.class, () -> Npz.read(Fixtures.npy("v2.npy")));
        assertTrue(e.getMessage().endsWith("v2.npy: a .npy array, not an .npz archive"), e.getMessage());
    }
}
