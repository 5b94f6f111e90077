package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.io.Npz;

/** Real child JVMs: a signal in the middle of a write, and /dev/stdout as root. */
class SignalsTest {
    @TempDir
    Path tmp;

    static List<String> java(Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void sigtermDuringAWriteLeavesNoTemporaryFile() throws Exception {
        for (String signal : new String[] {"TERM", "INT"}) {
            Path dir = Files.createDirectories(tmp.resolve(signal));
            Path target = dir.resolve("big.npz");
            Process p = new ProcessBuilder(java(SlowWrite.class, target.toString()))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("writing", r.readLine());
            List<String> during = names(dir);
            assertEquals(1, during.size(), during.toString());
            assertTrue(during.get(0).startsWith(".big.npz.") && during.get(0).endsWith(".tmp"), during.toString());
            assertTrue(Files.size(dir.resolve(during.get(0))) >= 1 << 20, "the write was under way");
            OutputsTest.sh("kill", "-" + signal, Long.toString(p.pid()));
            assertEquals(signal.equals("TERM") ? 143 : 130, p.waitFor());
            assertEquals(List.of(), names(dir));
        }
    }

    @Test
    void devStdoutIsWrittenThroughAndNeverReplaced() throws Exception {
        Path in = tmp.resolve("in.npz");
        Npz.write(in, OutputsTest.order3());
        Path captured = tmp.resolve("captured.npz");
        Process p = new ProcessBuilder(java(Main.class, "forward", "--input", in.toString(), "--output", "/dev/stdout"))
                .redirectOutput(captured.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        assertEquals(0, p.waitFor());
        assertTrue(Files.isSymbolicLink(Path.of("/dev/stdout")), "/dev/stdout is still a link");
        assertEquals(java.util.Set.of("o", "lse"), Npz.read(captured).keySet());
    }
}
