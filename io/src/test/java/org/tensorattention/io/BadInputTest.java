package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/** Damaged, foreign and missing files: each fails with one line that names the file and the problem. */
class BadInputTest {
    @TempDir
    Path dir;

    private static String fails(Executable call, String... parts) {
        return TestFiles.fails(call, parts);
    }

    private Path copy(String fixture, byte[] bytes) throws IOException {
        Path file = dir.resolve(fixture);
        Files.write(file, bytes);
        return file;
    }

    private static byte[] fixture(String name) throws IOException {
        return Files.readAllBytes(Fixtures.npy(name));
    }

    private static byte[] npyWithHeader(String dict, int dataBytes) {
        return TestFiles.npy(dict, dataBytes);
    }

    @Test
    void missingFile() {
        fails(() -> Npy.read(dir.resolve("nope.npy")), "nope.npy", "no such file");
        fails(() -> Npz.read(dir.resolve("nope.npz")), "nope.npz", "no such file");
    }

    @Test
    void directoryInsteadOfFile() {
        fails(() -> Npz.read(dir), dir.toString(), "is a directory");
    }

    @ParameterizedTest(name = "cut at {0} bytes")
    @ValueSource(ints = {0, 3, 7, 9, 40, 127, 128, 200, 223})
    void truncatedNpy(int keep) throws IOException {
        byte[] whole = fixture("save_f8_2d.npy"); // 128-byte header, 96 bytes of data
        Path file = copy("cut.npy", Arrays.copyOf(whole, keep));
        String m = fails(() -> Npy.read(file), "cut.npy");
        String expected = keep == 0 ? "empty" : keep < 6 ? "bad magic"
                : keep < 128 ? "truncated header: the file ends at byte " + keep + " of "
                : "truncated: the file ends at byte " + keep + " of 224 ('<f8' (3, 4))";
        assertTrue(m.contains(expected), m);
    }

    @Test
    void truncatedNpyFromAStreamOfUnknownLength() {
        fails(() -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(fixture("save_f8_2d.npy"), 150)), "piece"),
                "piece: truncated: the stream ends at byte 150 of 224");
    }

    @Test
    void dataLongerThanTheShapeSays() throws IOException {
        byte[] whole = fixture("save_f8_2d.npy");
        Path file = copy("long.npy", Arrays.copyOf(whole, whole.length + 8));
        fails(() -> Npy.read(file), "long.npy", "data length disagrees with the header",
                "needs 96 bytes, the file holds 104 after the header");
        fails(() -> Npy.read(new ByteArrayInputStream(Arrays.copyOf(whole, whole.length + 1)), "s"),
                "s: data length disagrees with the header");
    }

    @Test
    void shapeDisagreeingWithTheData() throws IOException {
        Path file = copy("shape.npy", npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3, 5), }", 96));
        fails(() -> Npy.read(file), "shape.npy", "truncated: the file ends at byte 224 of 248 ('<f8' (3, 5))");
    }

    @Test
    void badMagic() throws IOException {
        byte[] bytes = fixture("save_f8_2d.npy");
        bytes[1] = 'X';
        fails(() -> Npy.read(copy("magic.npy", bytes)), "magic.npy", "bad magic");
    }

    @Test
    void unsupportedVersion() throws IOException {
        byte[] bytes = fixture("save_f8_2d.npy");
        bytes[6] = 4;
        fails(() -> Npy.read(copy("v4.npy", bytes)), "v4.npy", "unsupported .npy format version 4.0");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), ",
        "{'descr': '<f8', 'fortran_order': False}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), 'extra': 1}",
        "{'descr': '<f8', 'fortran_order': 0, 'shape': (3, 4)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': [3, 4]}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, -4)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (3, 4.0)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (12)}",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999, 99999999999)}",
        "{'descr': 8, 'fortran_order': False, 'shape': (3, 4)}",
        "{'descr': '<f8', 'descr': '<f8', 'shape': (3, 4)}",
        "[1, 2]",
        "__import__('os')",
    })
    void corruptedHeader(String dict) throws IOException {
        Path file = copy("hdr.npy", npyWithHeader(dict, 96));
        fails(() -> Npy.read(file), "hdr.npy", "bad header");
    }

    @Test
    void corruptedHeaderBytesInAFixture() throws IOException {
        byte[] bytes = fixture("save_f8_2d.npy");
        bytes[20] = '}'; // inside "'descr'"
        fails(() -> Npy.read(copy("garbled.npy", bytes)), "garbled.npy", "bad header");
    }

    @Test
    void python2LongSuffixIsAccepted() throws IOException {
        Path file = copy("py2.npy", npyWithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3L, 4L), }", 96));
        assertArrayEquals(new int[] {3, 4}, Npy.read(file).shape());
    }

    @Test
    void byteOrderMarksOfSingleAndMultiByteTypes() throws IOException {
        Path native8 = copy("n.npy", npyWithHeader("{'descr': '=f8', 'fortran_order': False, 'shape': (2,), }", 16));
        assertEquals(2, Npy.read(native8).size());
        Path pipe1 = copy("p.npy", npyWithHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", 2));
        assertEquals(2, Npy.read(pipe1).size());
        // numpy reads '|' on a multi-byte type as native order, and so does this reader.
        Path pipe8 = copy("p8.npy", npyWithHeader("{'descr': '|f8', 'fortran_order': False, 'shape': (2,), }", 16));
        assertEquals(2, Npy.read(pipe8).size());
    }

    @Test
    void unsupportedDtypeComplex128() {
        fails(() -> Npy.read(Fixtures.npy("c16.npy")), "c16.npy", "unsupported dtype '<c16' (complex128)");
    }

    @Test
    void notAZip() throws IOException {
        fails(() -> Npz.read(copy("text.npz", "hello, world".getBytes(StandardCharsets.UTF_8))), "text.npz", "not a zip archive");
        fails(() -> Npz.read(copy("empty.npz", new byte[0])), "empty.npz", "empty file");
    }

    static Stream<Integer> cuts() {
        return Stream.of(4, 100, 600, 1200, 1790);
    }

    @ParameterizedTest(name = "cut at {0} bytes")
    @MethodSource("cuts")
    void truncatedNpz(int keep) throws IOException {
        Path file = copy("cut.npz", Arrays.copyOf(fixture("savez.npz"), keep));
        fails(() -> Npz.read(file), "cut.npz", "corrupt or truncated zip archive");
    }

    @Test
    void flippedDataByteInAStoredEntryFailsTheCrc() throws IOException {
        byte[] bytes = fixture("savez.npz");
        int at = indexOf(bytes, "q.npy".getBytes(StandardCharsets.ISO_8859_1)) + 5 + 20 + 128 + 8; // into q's data
        bytes[at] ^= 0x40;
        fails(() -> Npz.read(copy("flip.npz", bytes)), "flip.npz: array 'q'", "CRC mismatch");
    }

    @Test
    void damagedDeflatedEntry() throws IOException {
        byte[] bytes = fixture("savez_compressed.npz");
        int at = indexOf(bytes, "q.npy".getBytes(StandardCharsets.ISO_8859_1)) + 5 + 20;
        for (int i = 0; i < 40; i++) {
            bytes[at + i] = (byte) 0xff;
        }
        fails(() -> Npz.read(copy("bad.npz", bytes)), "bad.npz: array 'q'");
    }

    /** A central directory that claims a 2 GB array for a few compressed bytes is refused before any allocation. */
    @Test
    void inflatedSizeClaimIsRefused() throws IOException {
        byte[] bytes = fixture("savez_compressed.npz");
        int cen = indexOf(bytes, new byte[] {'P', 'K', 1, 2}); // first central directory record: q.npy
        int size = 0x7fff0000;
        for (int b = 0; b < 4; b++) {
            bytes[cen + 24 + b] = (byte) (size >>> (8 * b));
        }
        fails(() -> Npz.read(copy("claim.npz", bytes)), "claim.npz: array 'q'", "corrupt zip entry");
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void outputDirectoryDoesNotExist() {
        Path target = dir.resolve("missing").resolve("out.npz");
        fails(() -> Npz.write(target, Map.of("x", Tensor.scalar(1))), "out.npz", "folder", "does not exist");
        fails(() -> Npy.write(dir.resolve("missing").resolve("out.npy"), Tensor.scalar(1)), "does not exist");
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void outputThatIsADirectory() throws IOException {
        Files.createDirectory(dir.resolve("sub.npz"));
        fails(() -> Npz.write(dir.resolve("sub.npz"), Map.of("x", Tensor.scalar(1))), "sub.npz", "is a folder");
    }

    /** A failure half way through leaves the old file as it was and no temporary file behind. */
    @Test
    void failedWriteLeavesNothingBehind() throws IOException {
        Path target = dir.resolve("out.npz");
        Files.writeString(target, "old content");
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("a", Tensor.zeros(DType.FLOAT64, 1000));
        arrays.put("b", null);
        assertThrows(IllegalArgumentException.class, () -> Npz.write(target, arrays));
        assertThrows(IllegalArgumentException.class, () -> Npz.write(target, arrays, true));
        assertEquals("old content", Files.readString(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
        Path fresh = dir.resolve("fresh.npz");
        assertThrows(IllegalArgumentException.class, () -> Npz.write(fresh, arrays));
        assertFalse(Files.exists(fresh));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }

    @Test
    void successfulWriteReplacesTheOldFile() throws IOException {
        Path target = dir.resolve("out.npz");
        Files.writeString(target, "old content");
        Npz.write(target, Map.of("x", Tensor.scalar(7)));
        assertEquals(7, Npz.read(target).get("x").get(0));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(1, files.count());
        }
    }
}
