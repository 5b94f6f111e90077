package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train and evaluate on tiny settings: the files they write, resuming, and one-line refusals. */
class TrainCommandTest {
    @TempDir
    Path tmp;

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void trainWritesMetricsCurveAndCheckpointThenEvaluateAndResumeUseIt() throws Exception {
        Path dir = tmp.resolve("run");
        Run r = run("train", "--task", "match2", "--n", "6", "--M", "8", "--width", "8", "--heads", "2", "--steps", "12",
                "--batch", "8", "--test-size", "16", "--eval-every", "6", "--threads", "1", "--output", dir.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("held-out accuracy"), r.out());
        assertTrue(r.err().contains("12/12"), "progress bar on stderr");
        for (String f : new String[] {"metrics.json", "curve.png", "checkpoint.npz"}) {
            assertTrue(Files.size(dir.resolve(f)) > 100, f);
        }
        String metrics = Files.readString(dir.resolve("metrics.json"));
        assertTrue(metrics.contains("\"final_test_accuracy\""));
        assertTrue(metrics.contains("\"loss\": ["));

        Run e = run("evaluate", "--checkpoint", dir.resolve("checkpoint.npz").toString(), "--sequences", "20");
        assertEquals(0, e.status(), e.err());
        assertTrue(e.out().contains("accuracy"), e.out());

        Path more = tmp.resolve("more");
        Run resumed = run("train", "--resume", dir.resolve("checkpoint.npz").toString(), "--steps", "14", "--quiet",
                "--output", more.toString());
        assertEquals(0, resumed.status(), resumed.err());
        assertTrue(resumed.out().contains("steps 14"), resumed.out());
    }

    @Test
    void badInputEndsInOneLine() throws Exception {
        Run r = run("evaluate", "--checkpoint", tmp.resolve("missing.npz").toString());
        assertNotEquals(0, r.status());
        assertEquals(1, r.err().strip().lines().count(), r.err());

        Path notCheckpoint = tmp.resolve("x.npz");
        org.tensorattention.io.Npz.write(notCheckpoint, java.util.Map.of("q", org.tensorattention.core.Tensor.scalar(1)));
        r = run("evaluate", "--checkpoint", notCheckpoint.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("not a training checkpoint"), r.err());

        r = run("train", "--task", "match4");
        assertEquals(2, r.status());
        assertTrue(r.err().contains("unknown task"), r.err());

        r = run("train", "--width", "10", "--heads", "3", "--output", tmp.resolve("w").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("not a multiple"), r.err());

        r = run("train", "--output", tmp.resolve("no/such/dir").toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("does not exist"), r.err());
    }

    private static final String[] TINY = {"train", "--task", "match2", "--n", "6", "--M", "8", "--width", "8", "--heads", "2",
        "--steps", "6", "--batch", "8", "--test-size", "16", "--eval-every", "3", "--threads", "1", "--quiet"};

    private static String[] tiny(String... more) {
        String[] argv = java.util.Arrays.copyOf(TINY, TINY.length + more.length);
        System.arraycopy(more, 0, argv, TINY.length, more.length);
        return argv;
    }

    @Test
    void aRerunIntoAnExistingFolderIsRefusedUnlessOverwrite() throws Exception {
        Path dir = tmp.resolve("run");
        assertEquals(0, run(tiny("--output", dir.toString())).status());
        byte[] before = Files.readAllBytes(dir.resolve("checkpoint.npz"));
        Run again = run(tiny("--output", dir.toString(), "--seed", "2"));
        assertEquals(2, again.status());
        assertEquals("tensor-attention train: --output " + dir + " exists and is not empty; give --overwrite to replace"
                + " its files, or another folder", again.err().strip());
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(dir.resolve("checkpoint.npz"))), "untouched");
        assertEquals(0, run(tiny("--output", dir.toString(), "--seed", "2", "--overwrite")).status());
        assertTrue(!java.util.Arrays.equals(before, Files.readAllBytes(dir.resolve("checkpoint.npz"))), "replaced");
    }

    @Test
    void theFinalLineAndMetricsAgreeAndQuietMeansNoProgress() throws Exception {
        Path dir = tmp.resolve("run");
        Run r = run(tiny("--output", dir.toString()));
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err(), "--quiet: nothing on stderr");
        java.util.regex.Matcher line = java.util.regex.Pattern.compile("train accuracy ([0-9.]+)").matcher(r.out());
        assertTrue(line.find(), r.out());
        java.util.regex.Matcher json = java.util.regex.Pattern.compile("\"final_train_accuracy\": ([0-9.eE+-]+)")
                .matcher(Files.readString(dir.resolve("metrics.json")));
        assertTrue(json.find());
        assertEquals(line.group(1), String.format(java.util.Locale.ROOT, "%.4f", Double.parseDouble(json.group(1))));
        assertTrue(Files.readString(dir.resolve("metrics.json")).contains("\"method\": \"exact\""), "choices by name");
    }
}
