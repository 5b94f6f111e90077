package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Forward and backward, exact and poly, are bitwise repeatable for a given thread count, whatever the JIT has compiled: three
 * calls each on 1 and 2 threads, float32 and float64, in fresh JVMs (so the first call of a JVM is one of
 * them), the first JVM compiling as usual (its first calls interpreted, its last ones compiled by C2) and the
 * second with C1 alone.
 */
class DeterminismTest {
    private static List<String> runFresh(String... jvmFlags) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(
                System.getProperty("java.home") + "/bin/java");
        List<String> cmd = new ArrayList<>(List.of(java));
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            cmd.addAll(List.of("--add-modules", "jdk.incubator.vector"));
        }
        cmd.addAll(List.of(jvmFlags));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DeterminismMain.class.getName(), "30"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        List<String> lines = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.contains(" call=")) {
                lines.add(line);
            }
        }
        assertEquals(36, lines.size(), out);
        return lines;
    }

    /** config ("float32 exact threads=2", "float64 poly causal threads=1") -> digests of its calls, in call order. */
    private static Map<String, List<String>> byConfig(List<String> lines) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String line : lines) {
            int c = line.indexOf(" call=");
            String config = line.substring(0, c);
            String digests = line.substring(line.indexOf(' ', c + 1) + 1);
            m.computeIfAbsent(config, x -> new ArrayList<>()).add(digests);
        }
        return m;
    }

    @Test
    void threeCallsAgreeBitForBitColdAndCompiled() throws Exception {
        Map<String, List<String>> compiled = byConfig(runFresh());
        // C1 alone does not intrinsify the Vector API: every vector operation runs its Java fallback, as the
        // interpreter does (and much faster than -Xint).
        Map<String, List<String>> fallback = byConfig(runFresh("-XX:TieredStopAtLevel=1"));
        assertEquals(12, compiled.size());
        for (Map.Entry<String, List<String>> e : compiled.entrySet()) {
            List<String> calls = e.getValue();
            assertEquals(3, calls.size());
            for (String call : calls) {
                assertEquals(calls.get(0), call, e.getKey() + ": the calls of one JVM differ");
            }
            for (String call : fallback.get(e.getKey())) {
                assertEquals(calls.get(0), call, e.getKey() + ": the Vector API's fallback and C2 code differ");
            }
        }
    }
}
