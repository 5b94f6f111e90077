package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.tensorattention.io.TestFiles.allocatedBytes;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * Mutants of valid .npy and .npz files (bit flips, cuts, header edits, edits of the size fields of the .npy
 * header and of the zip local, central and end records): each loads or fails with exactly one NpzException
 * whose message is one printable line of at most 200 characters, and no read allocates much beyond a small
 * memory budget. Seeded, so every run tries the same mutants; the figures are printed.
 */
class ReaderFuzzTest {
    /** Both may be changed for a longer search: -Dreader.fuzz.seed=N -Dreader.fuzz.mutants=M. */
    static final long SEED = Long.getLong("reader.fuzz.seed", 20_260_101L);
    static final int MUTANTS = Integer.getInteger("reader.fuzz.mutants", 20_000);
    /** A guard for overloaded machines; the run takes about 10 s of CPU time. */
    static final long TIME_LIMIT_NANOS = Math.max(120, MUTANTS / 100) * 1_000_000_000L;
    static final long BUDGET = 1 << 20;
    /** The budget, a stored copy of it while reading, and the zip and stream buffers. */
    static final long ALLOCATION_LIMIT = 2 * BUDGET + (2 << 20);

    private static final String[] TOKENS = {"(", ")", "{", "}", "[", "]", "'", "\"", ",", ":", " ", "-1", "0", "-0",
        "99999999999", "2147483647", "9223372036854775808", "True", "None", "L", "\\", "\\x1b", "\n", "#", "0x", "_",
        "\u00ff", "<f+8", "|", "'<c16'", "'<f4'", "'>i8'", "'|b1'", "(0, 2147483647)", "(1000000,)", "((((", "e",
        "\u0663", "'shape'", "'descr'", "'fortran_order'"};

    @TempDir
    Path dir;

    private record Base(String name, byte[] bytes, boolean npz) {}

    private record Outcome(String category, String message) {}

    @Test
    void everyMutantLoadsOrFailsWithOneShortLine() throws IOException {
        List<Base> bases = bases();
        Random rnd = new Random(SEED);
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> mutations = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        long maxAllocated = 0;
        String maxAllocatedBy = "";
        long start = System.nanoTime();
        long cpuStart = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        int tried = 0;
        Path file = dir.resolve("mutant");
        for (; tried < MUTANTS && System.nanoTime() - start < TIME_LIMIT_NANOS; tried++) {
            Base base = bases.get(rnd.nextInt(bases.size()));
            StringBuilder how = new StringBuilder();
            byte[] bytes = mutate(base, rnd, how, mutations);
            boolean viaStream = !base.npz() && rnd.nextBoolean();
            if (!viaStream) {
                Files.write(file, bytes);
            }
            long before = allocatedBytes();
            Outcome outcome;
            try {
                if (base.npz()) {
                    Npz.read(file, BUDGET);
                } else if (viaStream) {
                    Npy.read(new ByteArrayInputStream(bytes), "stdin", BUDGET);
                } else {
                    Npy.read(file, BUDGET);
                }
                outcome = new Outcome("loaded", null);
            } catch (NpzException e) {
                outcome = new Outcome(category(e.getMessage()), e.getMessage());
            } catch (Throwable t) {
                outcome = new Outcome("other throwable", t.toString());
            }
            long allocated = allocatedBytes() - before;
            if (allocated > maxAllocated) {
                maxAllocated = allocated;
                maxAllocatedBy = base.name() + how;
            }
            outcomes.merge(outcome.category(), 1, Integer::sum);
            String bad = check(outcome);
            if (bad != null && problems.size() < 10) {
                problems.add("mutant " + tried + " of " + base.name() + how + ": " + bad);
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        double cpu = (java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpuStart) / 1e9;
        System.out.printf("reader fuzz: seed %d, %d mutants in %.1f s (%.1f s CPU), max allocation per read %d bytes (%s),"
                + " budget %d%n", SEED, tried, seconds, cpu, maxAllocated, maxAllocatedBy, BUDGET);
        System.out.println("reader fuzz mutations: " + mutations);
        System.out.println("reader fuzz outcomes: " + outcomes);
        assertEquals(List.of(), problems);
        assertTrue(tried >= MUTANTS / 4, "only " + tried + " mutants within the time limit");
        assertTrue(maxAllocated <= ALLOCATION_LIMIT, maxAllocated + " bytes allocated by " + maxAllocatedBy);
        assertTrue(outcomes.getOrDefault("loaded", 0) > 0 && outcomes.size() > 5, outcomes.toString());
    }

    /** Why an outcome breaks the contract, or null. */
    private static String check(Outcome outcome) {
        if (outcome.category().equals("other throwable")) {
            return outcome.message();
        }
        String m = outcome.message();
        if (m == null) {
            return null;
        }
        if (m.length() > Messages.MAX_LENGTH) {
            return "message of " + m.length() + " characters: " + m;
        }
        if (m.chars().anyMatch(Character::isISOControl)) {
            return "control character in: " + Messages.escape(m);
        }
        return null;
    }

    /** Kinds of refusal, the more specific first. */
    private static final String[] CATEGORIES = {"corrupt or truncated zip archive", "truncated header", "truncated",
        "bad header", "unsupported dtype", "bad magic", "CRC mismatch", "corrupt zip entry", "corrupt zip archive",
        "corrupt compressed data", "data length disagrees", "bytes of memory", "longer than numpy reads", "unsupported .npy format version",
        "not a .npy array", "appears twice", "not a zip archive", "empty"};

    private static String category(String message) {
        for (String c : CATEGORIES) {
            if (message.contains(c)) {
                return c;
            }
        }
        return "other: " + message.replaceFirst("^.*?mutant(: array '[^']*')?: ", "");
    }

    // ---- the valid files mutants start from

    private List<Base> bases() throws IOException {
        List<Base> bases = new ArrayList<>();
        Tensor f8 = Tensor.of(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 3, 4);
        Tensor f4 = Tensor.of(new float[] {0.5f, 1.5f, 2.5f, 3.5f, 4.5f}, 5);
        bases.add(new Base("f8 (3, 4)", npy(f8), false));
        bases.add(new Base("f4 (5,)", npy(f4), false));
        bases.add(new Base("f8 ()", npy(Tensor.scalar(2.5)), false));
        bases.add(new Base("f8 (0, 3)", npy(Tensor.zeros(DType.FLOAT64, 0, 3)), false));
        bases.add(new Base("i4 fortran (2, 3, 2)",
                TestFiles.npy("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3, 2), }", 48), false));
        bases.add(new Base("b1 v2 (7,)", TestFiles.npy(2, TestFiles.dict("|b1", "(7,)") + "   \n", new byte[7]), false));
        bases.add(new Base("u2 v3 (4,)", TestFiles.npy(3, TestFiles.dict(">u2", "(4,)") + " \n", new byte[8]), false));
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("q", f8);
        arrays.put("k1", f4);
        bases.add(new Base("savez", npz(arrays, false), true));
        bases.add(new Base("savez_compressed", npz(arrays, true), true));
        byte[] q = npy(f8);
        byte[] packed = TestFiles.deflate(q);
        bases.add(new Base("zip64 deflated", new TestFiles.Zip()
                .raw("q.npy", 8, TestFiles.crc(q), q.length, packed.length, packed, true).bytes(), true));
        return bases;
    }

    private static byte[] npy(Tensor t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, t);
        return out.toByteArray();
    }

    private byte[] npz(Map<String, Tensor> arrays, boolean compressed) throws IOException {
        Path file = dir.resolve(compressed ? "base-c.npz" : "base.npz");
        Npz.write(file, arrays, compressed);
        return Files.readAllBytes(file);
    }

    // ---- mutations

    private static byte[] mutate(Base base, Random rnd, StringBuilder how, Map<String, Integer> counts) {
        byte[] bytes = base.bytes().clone();
        for (int n = 1 + rnd.nextInt(3); n > 0; n--) {
            int kind = rnd.nextInt(7);
            String name = switch (kind) {
                case 0 -> "bit flip";
                case 1 -> "byte set";
                case 2 -> "cut";
                case 3 -> "junk appended";
                case 4 -> "header edit";
                case 5 -> "size field";
                default -> "entry rebuilt";
            };
            bytes = switch (kind) {
                case 0 -> flip(bytes, rnd);
                case 1 -> set(bytes, rnd);
                case 2 -> Arrays.copyOf(bytes, rnd.nextInt(bytes.length + 1));
                case 3 -> junk(bytes, rnd);
                case 4 -> base.npz() ? bytes : headerEdit(bytes, rnd);
                case 5 -> base.npz() ? zipSizeField(bytes, rnd) : npySizeField(bytes, rnd);
                default -> base.npz() ? rebuilt(bytes, rnd) : bytes;
            };
            how.append(", ").append(name);
            counts.merge(name, 1, Integer::sum);
            if (bytes.length == 0) {
                break;
            }
        }
        return bytes;
    }

    private static byte[] flip(byte[] b, Random rnd) {
        if (b.length > 0) {
            for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
                b[rnd.nextInt(b.length)] ^= (byte) (1 << rnd.nextInt(8));
            }
        }
        return b;
    }

    private static byte[] set(byte[] b, Random rnd) {
        if (b.length > 0) {
            for (int i = 1 + rnd.nextInt(4); i > 0; i--) {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
            }
        }
        return b;
    }

    private static byte[] junk(byte[] b, Random rnd) {
        byte[] out = Arrays.copyOf(b, b.length + 1 + rnd.nextInt(64));
        for (int i = b.length; i < out.length; i++) {
            out[i] = (byte) rnd.nextInt(256);
        }
        return out;
    }

    /** Replaces a stretch of the header text with a token of the header grammar, keeping the length field honest. */
    private static byte[] headerEdit(byte[] b, Random rnd) {
        if (b.length < 12 || b[6] < 1 || b[6] > 3) {
            return b;
        }
        int lengthBytes = b[6] == 1 ? 2 : 4;
        int prefix = 8 + lengthBytes;
        long length = 0;
        for (int i = 0; i < lengthBytes; i++) {
            length |= (long) (b[8 + i] & 0xff) << (8 * i);
        }
        if (prefix + length > b.length || length == 0) {
            return b;
        }
        String text = new String(b, prefix, (int) length, StandardCharsets.ISO_8859_1);
        int at = rnd.nextInt(text.length());
        int cut = Math.min(text.length() - at, rnd.nextInt(4));
        String token = TOKENS[rnd.nextInt(TOKENS.length)];
        String edited = text.substring(0, at) + token + text.substring(at + cut);
        byte[] header = edited.getBytes(b[6] == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        if (lengthBytes == 2 && header.length > 0xffff) {
            return b;
        }
        byte[] out = new byte[prefix + header.length + (b.length - prefix - (int) length)];
        System.arraycopy(b, 0, out, 0, 8);
        System.arraycopy(TestFiles.le(header.length, lengthBytes), 0, out, 8, lengthBytes);
        System.arraycopy(header, 0, out, prefix, header.length);
        System.arraycopy(b, prefix + (int) length, out, prefix + header.length, b.length - prefix - (int) length);
        return out;
    }

    private static long interesting(Random rnd, long current) {
        return switch (rnd.nextInt(8)) {
            case 0 -> 0;
            case 1 -> 0xffffffffL;
            case 2 -> 0x7fffffffL;
            case 3 -> current + 1;
            case 4 -> current - 1;
            case 5 -> current * 2;
            case 6 -> 1L << rnd.nextInt(32);
            default -> rnd.nextInt() & 0xffffffffL;
        };
    }

    private static byte[] npySizeField(byte[] b, Random rnd) {
        if (b.length < 12) {
            return b;
        }
        int lengthBytes = b[6] == 1 ? 2 : 4;
        long current = (b[8] & 0xff) | (b[9] & 0xff) << 8;
        put(b, 8, interesting(rnd, current), lengthBytes);
        return b;
    }

    /** Rewrites a size, length, count or offset field of a local, central, end or zip64 record. */
    private static byte[] zipSizeField(byte[] b, Random rnd) {
        List<int[]> fields = new ArrayList<>(); // offset, width
        for (int i = 0; i + 4 <= b.length; i++) {
            if (b[i] != 'P' || b[i + 1] != 'K') {
                continue;
            }
            if (b[i + 2] == 3 && b[i + 3] == 4) {
                for (int[] f : new int[][] {{14, 4}, {18, 4}, {22, 4}, {26, 2}, {28, 2}, {8, 2}}) {
                    fields.add(new int[] {i + f[0], f[1]});
                }
            } else if (b[i + 2] == 1 && b[i + 3] == 2) {
                for (int[] f : new int[][] {{16, 4}, {20, 4}, {24, 4}, {28, 2}, {30, 2}, {32, 2}, {42, 4}, {10, 2}}) {
                    fields.add(new int[] {i + f[0], f[1]});
                }
            } else if (b[i + 2] == 5 && b[i + 3] == 6) {
                for (int[] f : new int[][] {{8, 2}, {10, 2}, {12, 4}, {16, 4}, {20, 2}}) {
                    fields.add(new int[] {i + f[0], f[1]});
                }
            }
        }
        for (int i = 0; i + 4 <= b.length; i++) {
            if (b[i] == 1 && b[i + 1] == 0 && b[i + 2] == 16 && b[i + 3] == 0) { // zip64 extra: two 8-byte sizes
                fields.add(new int[] {i + 4, 8});
                fields.add(new int[] {i + 12, 8});
            }
        }
        fields.removeIf(f -> f[0] + f[1] > b.length);
        if (fields.isEmpty()) {
            return b;
        }
        int[] f = fields.get(rnd.nextInt(fields.size()));
        long current = 0;
        for (int i = 0; i < Math.min(f[1], 8); i++) {
            current |= (long) (b[f[0] + i] & 0xff) << (8 * i);
        }
        long value = f[1] == 8 && rnd.nextBoolean() ? 17_000_000_000L + rnd.nextInt(1000) : interesting(rnd, current);
        put(b, f[0], value, f[1]);
        return b;
    }

    private static void put(byte[] b, int at, long value, int width) {
        for (int i = 0; i < width; i++) {
            b[at + i] = (byte) (value >>> (8 * i));
        }
    }

    /**
     * A valid zip whose first entry holds an edited .npy: the zip layer is sound, so the mutant reaches the
     * array reader through a stored or a deflated entry with honest sizes and CRC.
     */
    private static byte[] rebuilt(byte[] b, Random rnd) {
        Tensor t = Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 2, 3);
        byte[] content;
        try {
            content = npy(t);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        content = rnd.nextBoolean() ? headerEdit(content, rnd) : rnd.nextBoolean() ? npySizeField(content, rnd) : flip(content, rnd);
        TestFiles.Zip zip = new TestFiles.Zip();
        return (rnd.nextBoolean() ? zip.stored("q.npy", content) : zip.deflated("q.npy", content)).bytes();
    }
}
