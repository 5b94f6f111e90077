package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/**
 * Outputs never destroy what they touch: no output replaces an input or another output, every path is
 * checked before the computation, links are followed, pipes and devices are written straight through, and
 * no temporary file survives, not even a SIGTERM in the middle of a write.
 */
class OutputsTest {
    @TempDir
    Path tmp;

    private final List<Path> immutable = new ArrayList<>();

    record Run(int status, byte[] out, String err) {
        String line() {
            return err.strip();
        }
    }

    @AfterEach
    void unfreeze() throws Exception {
        for (Path p : immutable) {
            sh("chattr", "-i", p.toString());
        }
    }

    static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(out, true), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    static Map<String, Tensor> order3() {
        Map<String, Tensor> a = new LinkedHashMap<>();
        for (String name : new String[] {"q", "k1", "k2", "v1", "v2"}) {
            double[] x = new double[5 * 4];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.sin(i + name.hashCode());
            }
            a.put(name, Tensor.of(x, 5, 4));
        }
        return a;
    }

    private Path input() throws Exception {
        Path in = tmp.resolve("in.npz");
        Npz.write(in, order3());
        return in;
    }

    /** A refusal: exit 2 and one line without a stack trace. */
    private static String refused(Run r) {
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.line().lines().count(), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        return r.line();
    }

    /** Nothing but the named files in the folder: no output, no temporary file. */
    private static void onlyFiles(Path dir, String... names) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(names), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    static void sh(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + text);
    }

    @Test
    void outputEqualToInputIsRefusedAndTheInputKept() throws Exception {
        Path in = input();
        byte[] before = Files.readAllBytes(in);
        String line = refused(run("forward", "--input", in.toString(), "--output", in.toString()));
        assertTrue(line.contains("--output") && line.contains("same file as --input"), line);
        assertArrayEquals(before, Files.readAllBytes(in));
        onlyFiles(tmp, "in.npz");
    }

    @Test
    void outputReachingTheInputThroughALinkOrAHardLinkIsRefused() throws Exception {
        Path in = input();
        Files.createSymbolicLink(tmp.resolve("soft.npz"), in);
        Files.createLink(tmp.resolve("hard.npz"), in);
        Files.createDirectory(tmp.resolve("sub"));
        for (String out : new String[] {"soft.npz", "hard.npz", "sub/../in.npz"}) {
            String line = refused(run("forward", "--input", in.toString(), "--output", tmp.resolve(out).toString()));
            assertTrue(line.contains("same file as --input"), line);
        }
        assertEquals(order3().keySet(), Npz.read(in).keySet());
    }

    @Test
    void reportEqualToInputOrOutputIsRefused() throws Exception {
        Path in = input();
        byte[] before = Files.readAllBytes(in);
        String line = refused(run("forward", "--input", in.toString(), "--output", tmp.resolve("o.npz").toString(),
                "--report", in.toString()));
        assertTrue(line.contains("--report") && line.contains("same file as --input"), line);
        assertArrayEquals(before, Files.readAllBytes(in));

        line = refused(run("forward", "--input", in.toString(), "--output", tmp.resolve("o.npz").toString(),
                "--report", tmp.resolve("o.npz").toString()));
        assertTrue(line.contains("--report") && line.contains("same file as --output"), line);
        onlyFiles(tmp, "in.npz");
    }

    @Test
    void aBadReportPathFailsBeforeTheComputationAndLeavesNothing() throws Exception {
        Path in = input();
        Path out = tmp.resolve("o.npz");
        String line = refused(run("forward", "--input", in.toString(), "--output", out.toString(),
                "--report", tmp.resolve("missing/r.json").toString()));
        assertTrue(line.contains("--report") && line.contains("does not exist"), line);

        Files.createDirectory(tmp.resolve("folder.json"));
        line = refused(run("forward", "--input", in.toString(), "--output", out.toString(),
                "--report", tmp.resolve("folder.json").toString()));
        assertTrue(line.contains("is a folder"), line);
        onlyFiles(tmp, "folder.json", "in.npz");
    }

    @Test
    void aReadOnlyReportFolderFailsBeforeTheComputation() throws Exception {
        Path in = input();
        Path ro = Files.createDirectory(tmp.resolve("ro"));
        sh("chmod", "555", ro.toString());
        if (Files.isWritable(ro)) {
            // Root ignores permission bits; an immutable folder refuses new files even to root.
            sh("chattr", "+i", ro.toString());
            immutable.add(ro);
        }
        Path out = tmp.resolve("o.npz");
        String line = refused(run("forward", "--input", in.toString(), "--output", out.toString(),
                "--report", ro.resolve("r.json").toString()));
        assertTrue(line.contains("--report") && line.contains("cannot write in folder"), line);
        onlyFiles(tmp, "in.npz", "ro");
        onlyFiles(ro);
    }

    @Test
    void aSymbolicLinkIsFollowedAndKept() throws Exception {
        Path in = input();
        Path target = tmp.resolve("target.npz");
        Files.writeString(target, "old");
        Path link = Files.createSymbolicLink(tmp.resolve("link.npz"), target);
        Path dangling = Files.createSymbolicLink(tmp.resolve("dangling.json"), Path.of("made.json"));
        Run r = run("forward", "--input", in.toString(), "--output", link.toString(), "--report", dangling.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(Files.isSymbolicLink(link) && Files.isSymbolicLink(dangling));
        assertEquals(java.util.Set.of("o", "lse"), Npz.read(target).keySet());
        assertTrue(Files.readString(tmp.resolve("made.json")).contains("\"method\""));
        onlyFiles(tmp, "dangling.json", "in.npz", "link.npz", "made.json", "target.npz");
    }

    @Test
    void aNamedPipeIsWrittenStraightThrough() throws Exception {
        Path in = input();
        Path fifo = tmp.resolve("fifo");
        sh("mkfifo", fifo.toString());
        CompletableFuture<byte[]> reader = CompletableFuture.supplyAsync(() -> {
            try (InputStream s = Files.newInputStream(fifo)) {
                return s.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Run r = run("forward", "--input", in.toString(), "--output", fifo.toString());
        assertEquals(0, r.status(), r.err());
        Path copy = tmp.resolve("copy.npz");
        Files.write(copy, reader.get());
        assertEquals(java.util.Set.of("o", "lse"), Npz.read(copy).keySet());
        assertTrue(Files.readAttributes(fifo, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther(), "still a pipe");
        onlyFiles(tmp, "copy.npz", "fifo", "in.npz");
    }

    @Test
    void dashIsStandardOutput() throws Exception {
        Path in = input();
        Run r = run("forward", "--input", in.toString(), "--output", "-");
        assertEquals(0, r.status(), r.err());
        Path copy = tmp.resolve("copy.npz");
        Files.write(copy, r.out());
        assertEquals(java.util.Set.of("o", "lse"), Npz.read(copy).keySet());
        String line = refused(run("forward", "--input", in.toString(), "--output", "-", "--report", "-"));
        assertTrue(line.contains("standard output is already taken"), line);
    }

    @Test
    void anOutputLargerThanTheHeapIsRefusedBeforeAllocating() throws Exception {
        // q (n, 1), one key row, values (1, n): a tiny input whose output o is n x n.
        int n = 40_000; // 1.6e9 float64 elements, 12.8 GB: beyond the test JVM's heap
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("q", Tensor.of(new double[n], n, 1));
        a.put("k1", Tensor.of(new double[1], 1, 1));
        a.put("v1", Tensor.of(new double[n], 1, n));
        Path in = tmp.resolve("wide.npz");
        Npz.write(in, a);
        String line = refused(run("forward", "--input", in.toString(), "--output", tmp.resolve("o.npz").toString()));
        assertTrue(line.contains("(40000, 40000)") && line.contains("heap"), line);

        n = 65_536; // 2^32 elements: more than a Java array holds
        a.put("q", Tensor.of(new double[n], n, 1));
        a.put("v1", Tensor.of(new double[n], 1, n));
        Npz.write(in, a);
        line = refused(run("forward", "--input", in.toString(), "--output", tmp.resolve("o.npz").toString()));
        assertTrue(line.contains("the output o") && line.contains("65536"), line);
        onlyFiles(tmp, "wide.npz");
    }
}
