package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Randomly damaged files (flipped bytes, cuts, junk appended): reading either succeeds or fails with a
 * one-line NpzException, never with another exception.
 */
class CorruptionTest {
    private static final List<String> FILES = List.of("save_f8_2d.npy", "fortran_3d.npy", "v3.npy", "i8.npy",
            "bool.npy", "scalar_f4.npy", "savez.npz", "savez_compressed.npz");

    @TempDir
    Path dir;

    static LongStream seeds() {
        return LongStream.rangeClosed(1, 300);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void damageEndsInNpzExceptionOrAValidArray(long seed) throws IOException {
        Random rnd = new Random(seed);
        String name = FILES.get(rnd.nextInt(FILES.size()));
        byte[] bytes = Files.readAllBytes(Fixtures.npy(name));
        switch (rnd.nextInt(3)) {
            case 0 -> {
                for (int flips = 1 + rnd.nextInt(4); flips > 0; flips--) {
                    bytes[rnd.nextInt(bytes.length)] = (byte) rnd.nextInt(256);
                }
            }
            case 1 -> bytes = Arrays.copyOf(bytes, rnd.nextInt(bytes.length));
            default -> {
                bytes = Arrays.copyOf(bytes, bytes.length + 1 + rnd.nextInt(16));
            }
        }
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        try {
            if (name.endsWith(".npz")) {
                Npz.read(file);
            } else {
                Npy.read(file);
            }
        } catch (NpzException e) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
