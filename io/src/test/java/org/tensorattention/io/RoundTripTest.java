package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/** Write, read back, compare; and the writer's bytes against numpy.save's. */
class RoundTripTest {
    @TempDir
    Path dir;

    /** Seeded random tensors of rank 0 to 4, float32 and float64, some with a zero-length axis. */
    static Stream<Arguments> tensors() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 11;
        for (DType dtype : DType.values()) {
            for (int rank = 0; rank <= 4; rank++) {
                for (int rep = 0; rep < 3; rep++) {
                    cases.add(Arguments.of(dtype, rank, seed++));
                }
            }
        }
        return cases.stream();
    }

    static Tensor random(DType dtype, int rank, long seed) {
        Random rnd = new Random(seed);
        int[] shape = new int[rank];
        for (int a = 0; a < rank; a++) {
            shape[a] = rnd.nextInt(rank == 1 ? 40 : 6); // zero-length axes included
        }
        Tensor t = Tensor.zeros(dtype, shape);
        for (int i = 0; i < t.size(); i++) {
            // Mix of ordinary values, signed zeros and extremes: every bit must survive.
            double x = switch (rnd.nextInt(8)) {
                case 0 -> -0.0;
                case 1 -> dtype == DType.FLOAT32 ? Float.MIN_VALUE : Double.MIN_VALUE;
                case 2 -> dtype == DType.FLOAT32 ? -Float.MAX_VALUE : -Double.MAX_VALUE;
                default -> rnd.nextGaussian() * 1e3;
            };
            if (dtype == DType.FLOAT32) {
                t.floats()[i] = (float) x;
            } else {
                t.doubles()[i] = x;
            }
        }
        return t;
    }

    static void assertSame(Tensor expected, Tensor actual) {
        assertEquals(expected.dtype(), actual.dtype());
        assertArrayEquals(expected.shape(), actual.shape());
        if (expected.dtype() == DType.FLOAT32) {
            assertArrayEquals(expected.floats(), actual.floats());
        } else {
            assertArrayEquals(expected.doubles(), actual.doubles());
        }
    }

    @ParameterizedTest(name = "{0} rank {1} seed {2}")
    @MethodSource("tensors")
    void npyRoundTrip(DType dtype, int rank, long seed) throws Exception {
        Tensor t = random(dtype, rank, seed);
        Path file = dir.resolve("a.npy");
        Npy.write(file, t);
        assertEquals(Npy.fileLength(t), Files.size(file));
        assertEquals(0, (Files.size(file) - (long) t.size() * dtype.bytes()) % 64, "data starts 64-byte aligned");
        assertSame(t, Npy.read(file));
    }

    @ParameterizedTest(name = "compressed={0}")
    @ValueSource(booleans = {false, true})
    void npzRoundTripKeepsNamesOrderAndValues(boolean compressed) throws Exception {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        tensors().forEach(a -> {
            Object[] args = a.get();
            arrays.put("t" + args[2], random((DType) args[0], (int) args[1], (long) args[2]));
        });
        arrays.put("zeta", Tensor.scalar(3.5));
        arrays.put("alpha", Tensor.of(new float[] {1, 2, 3}, 3));
        Path file = dir.resolve("a.npz");
        Npz.write(file, arrays, compressed);
        Map<String, Tensor> back = Npz.read(file);
        assertEquals(List.copyOf(arrays.keySet()), List.copyOf(back.keySet()));
        for (String key : arrays.keySet()) {
            assertSame(arrays.get(key), back.get(key));
        }
    }

    @Test
    void emptyArchive() throws Exception {
        Npz.write(dir.resolve("e.npz"), Map.of());
        assertEquals(Map.of(), Npz.read(dir.resolve("e.npz")));
    }

    @Test
    void compressedArchiveIsSmallerForRepetitiveData() throws Exception {
        Map<String, Tensor> arrays = Map.of("z", Tensor.zeros(DType.FLOAT64, 100, 100));
        Npz.write(dir.resolve("s.npz"), arrays);
        Npz.write(dir.resolve("c.npz"), arrays, true);
        long stored = Files.size(dir.resolve("s.npz"));
        long deflated = Files.size(dir.resolve("c.npz"));
        assertTrue(stored > 80_000 && deflated < 2_000, stored + " vs " + deflated);
        assertSame(arrays.get("z"), Npz.read(dir.resolve("c.npz")).get("z"));
    }

    @Test
    void equalArraysGiveEqualArchives() throws Exception {
        Map<String, Tensor> arrays = Map.of("x", Tensor.of(new double[] {1, 2}, 2));
        Npz.write(dir.resolve("a.npz"), arrays);
        Npz.write(dir.resolve("b.npz"), arrays);
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.npz")), Files.readAllBytes(dir.resolve("b.npz")));
    }

    /** The writer reproduces numpy.save byte for byte (files made by make_fixtures.py). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"save_f8_2d.npy", "save_f4_3d.npy", "save_f8_0d.npy", "save_f4_1d.npy", "save_f8_empty.npy"})
    void writerMatchesNumpySave(String name) throws Exception {
        Tensor t = switch (name) {
            case "save_f8_2d.npy" -> Tensor.of(Fixtures.sevenths(12), 3, 4);
            case "save_f4_3d.npy" -> Tensor.of(Fixtures.seventhsF(24), 2, 3, 4);
            case "save_f8_0d.npy" -> Tensor.scalar(2.5);
            case "save_f4_1d.npy" -> Tensor.of(Fixtures.seventhsF(5), 5);
            default -> Tensor.zeros(DType.FLOAT64, 12345, 0);
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, t);
        assertArrayEquals(Files.readAllBytes(Fixtures.npy(name)), out.toByteArray());
    }

    /** A header too long for a 2-byte length moves to format 2.0, as numpy.save does. */
    @Test
    void hugeHeaderUsesVersion2() throws Exception {
        int[] shape = new int[30_000];
        Arrays.fill(shape, 1);
        Tensor t = Tensor.of(new double[] {42}, shape);
        Path file = dir.resolve("deep.npy");
        Npy.write(file, t);
        byte[] bytes = Files.readAllBytes(file);
        assertEquals(2, bytes[6]);
        assertEquals(0, (bytes.length - 8) % 64);
        // numpy refuses to read headers this long, and so does this reader.
        TestFiles.fails(() -> Npy.read(file), "deep.npy: header of 90100 bytes is longer than numpy reads");
    }

    @Test
    void rank1HeaderStaysVersion1() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, Tensor.of(new double[7], 7));
        assertEquals(1, out.toByteArray()[6]);
    }
}
