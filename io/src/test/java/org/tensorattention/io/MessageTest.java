package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tensorattention.io.TestFiles.dict;
import static org.tensorattention.io.TestFiles.fails;
import static org.tensorattention.io.TestFiles.npy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Messages say where a file ends, never show negative counts or overflowed names, and stay short and printable. */
class MessageTest {
    @TempDir
    Path dir;

    private static String failsOnHeader(String dict) {
        return fails(() -> Npy.read(new ByteArrayInputStream(npy(dict, 0)), "m.npy"), "m.npy: ");
    }

    /** An entry that declares fewer bytes than its own header: where it ends, not "-127 present". */
    @Test
    void entryShorterThanItsHeader() throws IOException {
        byte[] whole = npy(dict("<f8", "(3,)"), 24);
        byte[] cut = java.util.Arrays.copyOf(whole, 50);
        Path file = dir.resolve("short.npz");
        Files.write(file, new TestFiles.Zip().stored("q.npy", cut).bytes());
        String m = fails(() -> Npz.read(file), "short.npz: array 'q': truncated header: the entry ends at byte 50 of 128");
        assertFalse(m.matches(".* -\\d.*"), m);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"<c536870912", "<c99999999999999999999", "<f2147483647", "<c-8"})
    void dtypeNamesDoNotOverflow(String descr) {
        String m = failsOnHeader(dict(descr, "(3,)"));
        assertTrue(m.contains("unsupported dtype '" + descr + "'"), m);
        assertFalse(m.contains("complex-") || m.contains("float-") || m.contains("For input string"), m);
    }

    @Test
    void namesKnownSizes() {
        assertTrue(failsOnHeader(dict("<c16", "(3,)")).contains("(complex128)"));
        assertTrue(failsOnHeader(dict("<f16", "(3,)")).contains("(float128)"));
    }

    @Test
    void longHeaderTextIsCut() {
        String m = failsOnHeader(dict("x".repeat(5000), "(3,)"));
        assertTrue(m.contains("unsupported dtype 'xxxxxxxx"), m);
        String keys = failsOnHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), '" + "k".repeat(3000) + "': 1}");
        assertTrue(keys.endsWith("expected descr, fortran_order, shape"), keys);
    }

    /** A long path keeps its start and the problem at the end. */
    @Test
    void longPathKeepsBothEnds() throws IOException {
        Path deep = Files.createDirectories(dir.resolve("d".repeat(120)).resolve("e".repeat(120)));
        Path file = deep.resolve("cut.npy");
        Files.write(file, java.util.Arrays.copyOf(npy(dict("<f8", "(3,)"), 24), 70));
        String m = fails(() -> Npy.read(file), "...", "truncated header: the file ends at byte 70 of 128");
        assertTrue(m.startsWith(dir.toString().substring(0, 20)), m);
        assertEquals(200, m.length());
    }

    /** Terminal escape codes in a header or an entry name come out escaped, not raw. */
    @Test
    void controlCharactersAreEscaped() throws IOException {
        String m = failsOnHeader(dict("\u001b[31mred\u001b[0m", "(3,)"));
        assertTrue(m.contains("'\\x1b[31mred\\x1b[0m'"), m);
        Path file = dir.resolve("esc.npz");
        Files.write(file, new TestFiles.Zip().stored("\u001b]0;title\u0007.txt", new byte[3]).bytes());
        fails(() -> Npz.read(file), "entry '\\x1b]0;title\\x07.txt' is not a .npy array");
        assertEquals("a b \\x1b[2J \\u202e", new NpzException("a\r\nb \u001b[2J \u202e").getMessage());
    }

    @Test
    void corruptCompressedDataIsNamed() throws IOException {
        byte[] content = npy(dict("<f8", "(64,)"), 512);
        byte[] packed = TestFiles.deflate(content);
        packed[0] = (byte) 0xff; // an invalid block type
        Path file = dir.resolve("bad.npz");
        Files.write(file, new TestFiles.Zip().raw("q.npy", 8, TestFiles.crc(content), content.length, packed.length, packed, false).bytes());
        fails(() -> Npz.read(file), "bad.npz: array 'q': corrupt compressed data: ");
    }
}
