package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.nn.Checkpoint;

/**
 * The launcher script itself, run as a user runs it: in a copy of the tree whose jar is a manifest pointing
 * at the classes under test, so that it starts without building.
 */
class LauncherTest {
    @TempDir
    Path tmp;

    Path tree;
    Path launcher;
    String java;

    @BeforeEach
    void setUp() throws Exception {
        tree = Files.createDirectories(tmp.resolve("tree"));
        launcher = tree.resolve("tensor-attention");
        Files.copy(Path.of("..", "tensor-attention"), launcher);
        launcher.toFile().setExecutable(true);
        Path target = Files.createDirectories(tree.resolve("cli/target"));
        Manifest m = new Manifest();
        Attributes a = m.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        a.put(Attributes.Name.CLASS_PATH, classPathUrls());
        a.put(new Attributes.Name("Add-Opens"), "java.base/java.lang java.base/java.io");
        try (OutputStream out = new JarOutputStream(Files.newOutputStream(target.resolve("tensor-attention.jar")), m)) {
            out.flush();
        }
        java = ProcessHandle.current().info().command().orElseThrow();
    }

    /** The test's class path as manifest URLs (surefire may hand it over in a manifest-only jar). */
    private static String classPathUrls() throws Exception {
        String[] entries = System.getProperty("java.class.path").split(File.pathSeparator);
        if (entries.length == 1 && entries[0].endsWith(".jar")) {
            try (JarFile j = new JarFile(entries[0])) {
                String cp = j.getManifest() == null ? null : j.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
                if (cp != null) {
                    return cp;
                }
            }
        }
        List<String> urls = new ArrayList<>();
        for (String e : entries) {
            urls.add(Path.of(e).toAbsolutePath().toUri().toString());
        }
        return String.join(" ", urls);
    }

    private ProcessBuilder launch(Path script, String... args) {
        List<String> cmd = new ArrayList<>(List.of(script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("TENSOR_ATTENTION_JAVA", java);
        env.remove("JAVA_HOME");
        env.remove("JAVA_OPTS");
        // No background training of the ahead-of-time cache, except where a test asks for it.
        env.put("TENSOR_ATTENTION_AOT", "0");
        return pb;
    }

    private static String text(Path p) throws Exception {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    @Test
    void runsThroughASymbolicLinkAndFindsAgainAJdkThatDisappeared() throws Exception {
        Path cache = Files.createDirectories(tree.resolve("cli/target/.launcher"));
        Files.writeString(cache.resolve("java"), java + "|\n" + tmp.resolve("gone/bin/java") + "\n");
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path link = Files.createSymbolicLink(bin.resolve("ta"), Path.of("..", "tree", "tensor-attention"));
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = launch(link, "-V").directory(tmp.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertEquals(0, p.waitFor(), text(err));
        assertTrue(text(out).startsWith("tensor-attention " + Main.Version.VERSION), text(out));
        assertEquals("", text(err), "no incubator notice, nothing else");
        assertTrue(text(cache.resolve("java")).contains(java + "\n"), "the JDK found is cached");
        assertFalse(text(cache.resolve("java")).contains("gone"));
    }

    @Test
    void aBrokenAheadOfTimeCacheIsIgnoredSilently() throws Exception {
        Path cache = Files.createDirectories(tree.resolve("cli/target/.launcher"));
        Path jit = cache.resolve("jit.aot");
        Files.write(jit, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        ProcessBuilder pb = launch(launcher, "-V").redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("TENSOR_ATTENTION_AOT", "1");
        // The JVM's own account of the cache, into a file: proof that the launcher handed it over.
        Path log = tmp.resolve("aot.log");
        pb.environment().put("JAVA_OPTS", "-Xlog:aot=error:file=" + log);
        // Newer than the jar and the JDK choice (written by the first run): the launcher uses it.
        assertEquals(0, launch(launcher, "-V").start().waitFor());
        assertTrue(jit.toFile().setLastModified(System.currentTimeMillis() + 60_000));
        assertEquals(0, pb.start().waitFor(), text(err));
        assertTrue(text(out).startsWith("tensor-attention " + Main.Version.VERSION), text(out));
        assertEquals("", text(err), "a cache the JVM cannot map is no error");
        assertFalse(Files.exists(cache.resolve("jit.lock")), "a fresh cache is not made again");
        if (Runtime.version().feature() >= 25) {
            assertTrue(text(log).contains("AOT cache"), "the JVM tried the cache: " + text(log));
        }
    }

    @Test
    void ctrlCDuringTrainLeavesACheckpointThatResumes() throws Exception {
        Path dir = tmp.resolve("run");
        Path err = tmp.resolve("progress.txt");
        Path out = tmp.resolve("out.txt");
        List<String> args = new ArrayList<>(List.of("setsid", launcher.toString(), "train", "--task", "match2", "--n", "6",
                "--M", "8", "--width", "8", "--heads", "2", "--steps", "1000000", "--batch", "8", "--test-size", "16",
                "--eval-every", "5", "--checkpoint-every", "3", "--threads", "1", "--output", dir.toString()));
        ProcessBuilder pb = launch(launcher);
        pb.command(args);
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        Path checkpoint = dir.resolve("checkpoint.npz");
        try {
            // Wait for the first periodic checkpoint: training is under way.
            for (int i = 0; i < 6000 && !Files.exists(checkpoint) && p.isAlive(); i++) {
                Thread.sleep(20);
            }
            assertTrue(Files.exists(checkpoint), "a periodic checkpoint: " + text(err));
            // As a terminal does: SIGINT to the whole process group (setsid made the launcher its leader).
            OutputsTest.sh("kill", "-INT", "--", "-" + p.pid());
            assertEquals(130, p.waitFor(), text(err));
        } finally {
            if (p.isAlive()) {
                new ProcessBuilder("kill", "-KILL", "--", "-" + p.pid()).start().waitFor();
            }
        }

        String progress = text(err);
        assertFalse(progress.contains("\r"), "progress into a file has no carriage returns: " + progress);
        assertTrue(progress.contains("stopped by SIGINT after step"), progress);
        long steps = Checkpoint.load(checkpoint, 1).optimizer().step();
        assertTrue(steps >= 3 && steps < 1_000_000, "steps " + steps);
        String metrics = text(dir.resolve("metrics.json"));
        assertTrue(metrics.contains("\"steps\": " + steps), metrics);

        OutputsTest.Run resumed = OutputsTest.run("train", "--resume", checkpoint.toString(), "--steps",
                Long.toString(steps + 4), "--quiet");
        assertEquals(0, resumed.status(), resumed.err());
        metrics = text(dir.resolve("metrics.json"));
        assertTrue(metrics.contains("\"steps\": " + (steps + 4)), metrics);
        // The curve goes on from step 1, not from the resumed step.
        Matcher m = Pattern.compile("\"step\": \\[([^\\]]*)\\]").matcher(metrics);
        assertTrue(m.find(), metrics);
        String[] recorded = m.group(1).split(",\\s*");
        assertEquals(steps + 4, recorded.length);
        assertEquals("1", recorded[0].strip());
        assertEquals(Long.toString(steps + 4), recorded[recorded.length - 1].strip());
    }
}
