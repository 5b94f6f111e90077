package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bench and the experiments run end to end from the command line on tiny configurations. */
class EvidenceCommandsTest {
    @TempDir
    Path tmp;

    private String stdout;
    private String stderr;

    private int run(String... argv) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8));
        stdout = o.toString(StandardCharsets.UTF_8);
        stderr = e.toString(StandardCharsets.UTF_8);
        return status;
    }

    @Test
    void benchQuick() {
        Path dir = tmp.resolve("new/bench");
        assertEquals(0, run("bench", "--quick", "--threads", "1", "--output", dir.toString()), stderr);
        assertTrue(Files.exists(dir.resolve("bench.csv")));
        assertTrue(Files.exists(dir.resolve("bench.png")));
        assertTrue(Files.exists(dir.resolve("peak.csv")));
        assertTrue(stdout.contains("exact forward: t ~ n^"), stdout);
        assertTrue(stderr.contains("bench ["), "a progress bar on stderr");
    }

    @Test
    void experimentErrorQuick() {
        Path dir = tmp.resolve("error");
        assertEquals(0, run("experiment", "error", "--quick", "--output", dir.toString()), stderr);
        assertTrue(stdout.contains("0 violations"), stdout);
        assertTrue(Files.exists(dir.resolve("error.csv")));
        assertTrue(Files.exists(dir.resolve("error.png")));
    }

    @Test
    void experimentThresholdQuick() {
        Path dir = tmp.resolve("threshold");
        assertEquals(0, run("experiment", "threshold", "--quick", "--output", dir.toString()), stderr);
        assertTrue(stdout.contains("ln^(1/3) n"), stdout);
        assertTrue(Files.exists(dir.resolve("threshold.png")));
        assertTrue(Files.exists(dir.resolve("threshold-crossover.csv")));
    }

    @Test
    void experimentHardnessQuick() {
        Path dir = tmp.resolve("hardness");
        assertEquals(0, run("experiment", "hardness", "--quick", "--output", dir.toString()), stderr);
        assertTrue(stdout.contains("0 decided wrongly"), stdout);
        assertTrue(Files.exists(dir.resolve("hardness.csv")));
        assertTrue(Files.exists(dir.resolve("hardness.png")));
    }

    @Test
    void experimentNeedsAName() {
        assertEquals(2, run("experiment"));
        assertTrue(stderr.contains("error, threshold or hardness"), stderr);
        assertEquals(2, run("experiment", "nope"));
        assertTrue(stderr.contains("unknown experiment 'nope'"), stderr);
        assertEquals(1, stderr.strip().lines().count());
    }

    @Test
    void badOptionsEndInOneLine() throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertEquals(2, run("bench", "--quick", "--output", file.toString()));
        assertTrue(stderr.contains("is a file, not a folder"), stderr);
        assertEquals(2, run("experiment", "error", "--runs", "0"));
        assertTrue(stderr.startsWith("tensor-attention experiment error: "), stderr);
        assertEquals(1, stderr.strip().lines().count(), stderr);
        assertEquals(2, run("experiment", "threshold", "--bounds", "2,1"));
        assertTrue(stderr.contains("bounds must increase"), stderr);
    }

    @Test
    void helpListsTheNewCommands() {
        assertEquals(0, run("--help"));
        assertTrue(stdout.contains("bench"));
        assertTrue(stdout.contains("experiment"));
        assertEquals(0, run("experiment", "--help"));
        assertTrue(stdout.contains("hardness"), stdout);
        assertEquals(0, run("experiment", "threshold", "--help"));
        assertTrue(stdout.contains("--bounds"));
    }
}
