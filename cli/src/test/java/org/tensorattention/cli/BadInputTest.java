package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** Bad input: one line naming the problem, a non-zero exit, no stack trace, no output file. */
class BadInputTest {
    @TempDir
    Path tmp;
    Path out;

    @BeforeEach
    void setUp() {
        out = tmp.resolve("out.npz");
    }

    private static Tensor m(int rows, int cols) {
        double[] a = new double[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = Math.sin(i);
        }
        return Tensor.of(a, rows, cols);
    }

    private Path write(Map<String, Tensor> arrays) throws Exception {
        Path in = tmp.resolve("in-" + arrays.keySet().hashCode() + ".npz");
        Npz.write(in, arrays);
        return in;
    }

    private static Map<String, Tensor> order3() {
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("q", m(5, 4));
        a.put("k1", m(5, 4));
        a.put("k2", m(5, 4));
        a.put("v1", m(5, 3));
        a.put("v2", m(5, 3));
        return a;
    }

    /** Runs the command, checks the failure shape, and returns the one line it printed. */
    private String fails(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        int status = Main.run(argv, new PrintStream(stdout), new PrintStream(err));
        String text = err.toString(StandardCharsets.UTF_8);
        assertNotEquals(0, status, "exit status for " + List.of(argv));
        assertEquals(1, text.strip().lines().count(), "exactly one line: " + text);
        assertFalse(text.contains("\tat ") || text.contains("Exception"), "no stack trace: " + text);
        assertFalse(Files.exists(out), "no output file left behind");
        return text;
    }

    private String forward(Path in, String... extra) {
        List<String> argv = new ArrayList<>(List.of("forward", "--input", in.toString(), "--output", out.toString()));
        argv.addAll(List.of(extra));
        return fails(argv.toArray(String[]::new));
    }

    @Test
    void missingQuery() throws Exception {
        Map<String, Tensor> a = order3();
        a.remove("q");
        assertTrue(forward(write(a)).contains("no array 'q'"));
    }

    @Test
    void keysAndValuesThatDoNotPair() throws Exception {
        Map<String, Tensor> a = order3();
        a.remove("v2");
        assertTrue(forward(write(a)).contains("'v2'"));
        a = order3();
        a.put("k3", m(5, 4));
        assertTrue(forward(write(a)).contains("'v3'"));
    }

    @Test
    void shapesThatDisagree() throws Exception {
        Map<String, Tensor> a = order3();
        a.put("k2", m(5, 6));
        assertTrue(forward(write(a)).contains("k2 has width 6"));
        a = order3();
        a.put("v1", m(4, 3));
        assertTrue(forward(write(a)).contains("v1 has 4 rows"));
        a = order3();
        a.put("v2", m(5, 2));
        assertTrue(forward(write(a)).contains("v2 has width 2"));
    }

    @Test
    void nonFiniteValues() throws Exception {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY}) {
            Map<String, Tensor> a = order3();
            Tensor k1 = m(5, 4).to(DType.FLOAT32);
            k1.floats()[7] = (float) bad;
            a.put("k1", k1);
            assertTrue(forward(write(a)).contains("k1 contains a non-finite value"));
        }
    }

    @Test
    void unreadableAndMissingFiles() throws Exception {
        Path garbage = tmp.resolve("garbage.npz");
        Files.writeString(garbage, "this is not a zip file at all");
        String line = forward(garbage);
        assertTrue(line.contains("garbage.npz"), line);
        assertTrue(forward(tmp.resolve("nowhere.npz")).contains("does not exist"));
    }

    @Test
    void outputFolderThatDoesNotExist() throws Exception {
        Path in = write(order3());
        out = tmp.resolve("no-such-folder").resolve("out.npz");
        assertTrue(fails("forward", "--input", in.toString(), "--output", out.toString()).contains("does not exist"));
    }

    @Test
    void badOptions() throws Exception {
        Path in = write(order3());
        assertTrue(forward(in, "--window", "3").contains("--window gives 1 width but"));
        assertTrue(forward(in, "--window", "a,b").contains("--window"));
        assertTrue(forward(in, "--method", "fast").contains("unknown method"));
        assertTrue(forward(in, "--epsilon", "2").contains("--epsilon"));
        assertTrue(forward(in, "--epsilon", "nan").contains("--epsilon: expected a finite number, got 'nan'"));
        assertTrue(forward(in, "--threads", "x").contains("--threads: 'x' is not a whole number"));
        String line = forward(in, "--bogus");
        assertEquals("tensor-attention forward: unknown option --bogus (see tensor-attention forward --help)", line.strip());
        assertEquals("tensor-attention forward: --output is required", fails("forward", "--input", in.toString()).strip());
        assertTrue(fails("nonsense").contains("unknown command 'nonsense'"));
    }

    @Test
    void backwardNeedsDout() throws Exception {
        Path in = write(order3());
        assertTrue(fails("backward", "--input", in.toString(), "--output", out.toString()).contains("no array 'dout'"));
    }

    @Test
    void lossGradientNeedsItsArrays() throws Exception {
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("a1", m(3, 2));
        Path in = write(a);
        assertTrue(fails("loss-gradient", "--input", in.toString(), "--output", out.toString()).contains("no array 'a2'"));
    }

    @Test
    void helpWorksForEveryCommandAndAgreesWithHelpCommand() {
        List<String[]> commands = new ArrayList<>();
        picocli.CommandLine root = Main.commandLine(System.in, System.out, System.err);
        for (var e : root.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            commands.add(new String[] {e.getKey()});
            for (String sub : e.getValue().getSubcommands().keySet()) {
                if (!sub.equals("help")) {
                    commands.add(new String[] {e.getKey(), sub});
                }
            }
        }
        assertTrue(commands.size() >= 10, commands.toString());
        for (String[] words : commands) {
            String name = String.join(" ", words);
            List<String> dashHelp = new ArrayList<>(List.of(words));
            dashHelp.add("--help");
            List<String> helpWord = new ArrayList<>(List.of(words));
            helpWord.add(words.length - 1, "help");
            String a = stdout(dashHelp);
            assertTrue(a.contains("Usage: tensor-attention " + name), name + ": " + a);
            assertEquals(a, stdout(helpWord), "help " + name + " and " + name + " --help agree");
            List<String> fromTheTop = new ArrayList<>(List.of("help"));
            fromTheTop.addAll(List.of(words));
            assertEquals(a, stdout(fromTheTop), "help " + name + " from the top");
        }
    }

    private static String stdout(List<String> argv) {
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.run(argv.toArray(String[]::new), new PrintStream(stdout), new PrintStream(err)), argv + ": " + err);
        return stdout.toString(StandardCharsets.UTF_8);
    }

    @Test
    void experimentHelpListsTheExperimentsAndVersionIsThePoms() {
        String help = stdout(List.of("experiment", "--help"));
        for (String e : new String[] {"error", "threshold", "hardness"}) {
            assertTrue(help.contains("  " + e + " "), help);
        }
        String v = stdout(List.of("-V"));
        assertEquals(v, stdout(List.of("--version")));
        assertTrue(v.matches("tensor-attention \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\\s*"), v);
    }
}
