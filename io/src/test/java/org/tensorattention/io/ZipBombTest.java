package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tensorattention.io.TestFiles.allocatedBytes;
import static org.tensorattention.io.TestFiles.dict;
import static org.tensorattention.io.TestFiles.fails;
import static org.tensorattention.io.TestFiles.npy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;

/**
 * Archives and streams whose declared sizes are lies: each fails fast with one line, before memory is set
 * aside for what they claim.
 */
class ZipBombTest {
    /** Far above anything these reads may allocate, far below what the files claim. */
    private static final long ALLOCATION_LIMIT = 64L << 20;

    @TempDir
    Path dir;

    private Path write(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    /** Fails as {@link TestFiles#fails} does, within 10 seconds and allocating less than 64 MiB. */
    private static String failsFast(Executable call, String... parts) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            long before = allocatedBytes();
            String m = fails(call, parts);
            long allocated = allocatedBytes() - before;
            assertTrue(allocated < ALLOCATION_LIMIT, allocated + " bytes allocated for: " + m);
            return m;
        });
    }

    /** The header of an array of 17 GB: '<f8' with 2,125,000,000 values. */
    private static final String HUGE = dict("<f8", "(2125000000,)") + "\n";

    /** A 225-byte zip64 entry that declares 17 GB. */
    @Test
    void zip64EntryDeclaring17GB() throws IOException {
        byte[] head = npy(1, HUGE, new byte[0]);
        long declared = head.length + 17_000_000_000L;
        byte[] packed = TestFiles.deflate(head);
        // Compressed size within deflate's ratio, but far beyond the file.
        Path claim = write("z64.npz", new TestFiles.Zip()
                .raw("q.npy", 8, TestFiles.crc(head), declared, declared / 1000, packed, true).bytes());
        assertTrue(Files.size(claim) <= 225, Files.size(claim) + " bytes");
        failsFast(() -> Npz.read(claim), "z64.npz: array 'q': corrupt zip entry", "compressed bytes declared in a file of");
        // Compressed size honest: the ratio gives it away.
        Path ratio = write("ratio.npz", new TestFiles.Zip()
                .raw("q.npy", 8, TestFiles.crc(head), declared, packed.length, packed, true).bytes());
        failsFast(() -> Npz.read(ratio), "ratio.npz: array 'q': corrupt zip entry: " + declared + " bytes declared in "
                + packed.length + " compressed bytes");
    }

    /** A stored zip64 entry whose sizes agree with the header and with each other, but not with the file. */
    @Test
    void storedEntryLargerThanTheFile() throws IOException {
        byte[] head = npy(1, HUGE, new byte[0]);
        long declared = head.length + 17_000_000_000L;
        Path file = write("stored.npz", new TestFiles.Zip()
                .raw("q.npy", 0, TestFiles.crc(head), declared, declared, head, true).bytes());
        failsFast(() -> Npz.read(file), "stored.npz: array 'q': corrupt zip entry: " + declared
                + " compressed bytes declared in a file of " + Files.size(file) + " bytes");
    }

    /** A tiny stream that claims a 4 GB float32 array: no 4 GB allocation, and a message saying where it ends. */
    @Test
    void tinyStreamClaiming4GB() throws IOException {
        byte[] file = npy(1, dict("<f4", "(1073741824,)") + "\n", new byte[200]);
        assertTrue(file.length < 300);
        long total = file.length - 200 + 4L * 1073741824;
        // Refused by the default budget (half the heap), or, where the heap is larger, read as far as it goes.
        failsFast(() -> Npy.read(new ByteArrayInputStream(file), "stdin"), "stdin: ");
        failsFast(() -> Npy.read(new ByteArrayInputStream(file), "stdin", 1L << 40),
                "stdin: truncated: the stream ends at byte " + file.length + " of " + total);
        // The same claim in a deflated entry whose declared size agrees with the header.
        byte[] packed = TestFiles.deflate(file);
        Path npz = write("small.npz", new TestFiles.Zip()
                .raw("q.npy", 8, TestFiles.crc(file), total, packed.length, packed, true).bytes());
        assertTrue(Files.size(npz) < 400, Files.size(npz) + " bytes");
        failsFast(() -> Npz.read(npz), "small.npz: array 'q': corrupt zip entry: " + total + " bytes declared in");
    }

    /** The same lie with a budget that lets the claim pass: memory still only grows with the data. */
    @Test
    void claimWithinTheBudgetStillAllocatesOnlyWhatArrives() {
        byte[] file = npy(1, dict("<f8", "(100000000,)") + "\n", new byte[800]);
        failsFast(() -> Npy.read(new ByteArrayInputStream(file), "stdin", 1L << 40), "stdin: truncated: the stream ends at byte");
    }

    /** A .npy file whose header asks for more than the budget fails before reading its data. */
    @Test
    void headerAskingMoreThanTheBudget() throws IOException {
        Path file = write("big.npy", npy(dict("<f8", "(1000, 1000)"), 8_000_000));
        failsFast(() -> Npy.read(file, 1_000_000), "big.npy: array '<f8' (1000, 1000) needs 8000000 bytes of memory,"
                + " more than the reading budget of 1000000 bytes");
        assertEquals(1_000_000, Npy.read(file, 8_000_000).size());
    }

    /**
     * A real bomb: a deflated entry of 256 MiB of zeros in about 256 KB, the 8 GB bomb scaled down 32-fold,
     * read with a 64 MiB budget (the default budget is half the heap; the limit it proves is the same).
     */
    @Test
    void realBombOfZerosScaledDown() throws IOException {
        long values = 32L << 20; // 256 MiB of float64 zeros
        byte[] head = npy(1, dict("<f8", "(" + values + ",)") + "\n", new byte[0]);
        Bomb bomb = Bomb.of(head, 8 * values);
        assertTrue(bomb.packed.length < 400_000, bomb.packed.length + " bytes");
        long size = head.length + 8 * values;
        Path file = write("bomb.npz", new TestFiles.Zip().raw("q.npy", 8, bomb.crc, size, bomb.packed.length, bomb.packed, false).bytes());
        failsFast(() -> Npz.read(file, 64L << 20), "bomb.npz: array 'q': array '<f8' (33554432,) needs 268435456 bytes of memory");

        // The directory lies small and the header agrees with it: inflation stops where the header says.
        byte[] small = npy(1, dict("<f8", "(4,)") + "\n", new byte[0]);
        Bomb liar = Bomb.of(small, 16L << 20);
        Path lie = write("lie.npz", new TestFiles.Zip()
                .raw("q.npy", 8, liar.crc, small.length + 32, liar.packed.length, liar.packed, false).bytes());
        failsFast(() -> Npz.read(lie), "lie.npz: array 'q': data length disagrees with the header: '<f8' (4,) needs 32 bytes, more follow");
    }

    /** A deflate stream of a header followed by {@code zeros} zero bytes, built without holding them. */
    private record Bomb(byte[] packed, long crc) {
        static Bomb of(byte[] head, long zeros) {
            Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            CRC32 crc = new CRC32();
            byte[] chunk = new byte[1 << 20];
            byte[] buf = new byte[1 << 16];
            crc.update(head);
            deflater.setInput(head);
            drain(deflater, out, buf);
            for (long left = zeros; left > 0; left -= chunk.length) {
                int n = (int) Math.min(chunk.length, left);
                crc.update(chunk, 0, n);
                deflater.setInput(chunk, 0, n);
                drain(deflater, out, buf);
            }
            deflater.finish();
            while (!deflater.finished()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
            deflater.end();
            return new Bomb(out.toByteArray(), crc.getValue());
        }

        private static void drain(Deflater deflater, ByteArrayOutputStream out, byte[] buf) {
            while (!deflater.needsInput()) {
                out.write(buf, 0, deflater.deflate(buf));
            }
        }
    }

    @Test
    void truncatedDeflatedEntrySaysWhereItEnds() throws IOException {
        byte[] file = npy(dict("<f8", "(64,)"), 512);
        Arrays.fill(file, file.length - 512, file.length, (byte) 7);
        byte[] packed = TestFiles.deflate(file);
        byte[] cut = Arrays.copyOf(packed, packed.length / 2);
        Path npz = write("cut.npz", new TestFiles.Zip().raw("q.npy", 8, TestFiles.crc(file), file.length, cut.length, cut, false).bytes());
        String m = fails(() -> Npz.read(npz), "cut.npz: array 'q': truncated");
        assertTrue(m.contains(" of " + file.length), m);
    }
}
