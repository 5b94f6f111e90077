package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** decode against forward --causal on the same arrays and flags, and its refusals. */
class DecodeCommandTest {
    @TempDir
    Path tmp;

    private record Run(int status, String err) {
    }

    private static Run run(List<String> argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv.toArray(String[]::new), new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, err.toString(StandardCharsets.UTF_8));
    }

    /** q, k1.., v1.. of n tokens, values in [-1, 1) rounded to the dtype. */
    private Path input(String name, int order, int n, int d, int dv, DType dt, long seed) throws Exception {
        Random rnd = new Random(seed);
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("q", random(rnd, n, d, dt));
        for (int t = 1; t < order; t++) {
            a.put("k" + t, random(rnd, n, d, dt));
            a.put("v" + t, random(rnd, n, dv, dt));
        }
        Path in = tmp.resolve(name + ".npz");
        Npz.write(in, a);
        return in;
    }

    private static Tensor random(Random rnd, int rows, int cols, DType dt) {
        double[] x = new double[rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = 2 * rnd.nextDouble() - 1;
        }
        return Tensor.of(x, rows, cols).to(dt);
    }

    /** Runs command on in with flags; returns o and lse. */
    private Map<String, Tensor> outputs(String command, Path in, String... flags) throws Exception {
        Path out = tmp.resolve(command + "-out.npz");
        Files.deleteIfExists(out);
        List<String> argv = new ArrayList<>(List.of(command, "--input", in.toString(), "--output", out.toString(),
                "--quiet"));
        argv.addAll(List.of(flags));
        Run r = run(argv);
        assertEquals(0, r.status(), r.err());
        return Npz.read(out);
    }

    @Test
    void order2EqualsForwardCausalBitForBit() throws Exception {
        for (DType dt : DType.values()) {
            Path in = input("o2" + dt.numpyName(), 2, 150, 12, 7, dt, 1);
            String[][] masks = {{}, {"--window", "17"}, {"--band", "9"}, {"--scale", "sqrt"}};
            for (String[] mask : masks) {
                List<String> forward = new ArrayList<>(List.of("--causal", "--threads", "2"));
                forward.addAll(List.of(mask));
                Map<String, Tensor> f = outputs("forward", in, forward.toArray(String[]::new));
                for (String prefill : new String[] {"0", "40", "150"}) {
                    // Neither side depends on the thread count: one run decodes on a single thread.
                    String threads = prefill.equals("40") ? "1" : "2";
                    List<String> flags = new ArrayList<>(List.of("--threads", threads, "--prefill", prefill));
                    flags.addAll(List.of(mask));
                    Map<String, Tensor> r = outputs("decode", in, flags.toArray(String[]::new));
                    String where = dt + " " + String.join(" ", flags);
                    assertEquals(dt, r.get("o").dtype(), where);
                    assertEquals(List.of(150, 7), List.of(r.get("o").dim(0), r.get("o").dim(1)), where);
                    for (int x = 0; x < f.get("o").size(); x++) {
                        assertEquals(f.get("o").get(x), r.get("o").get(x), 0, where + " o[" + x + "]");
                    }
                    for (int x = 0; x < 150; x++) {
                        assertEquals(f.get("lse").get(x), r.get("lse").get(x), 0, where + " lse[" + x + "]");
                    }
                }
            }
        }
    }

    /**
     * Order 3, float64: the decoder and the batch kernel sum the same terms in different orders. Each output is
     * a softmax-weighted mean of products of values below 1 over N = n^2 tuples, each side within
     * (d + 3 + N) u of the exact result (a score's d products and sums, its exp and the product of values, then
     * N sums), so the two agree within twice that; the lse within twice (d + 3 + N) u times its magnitude.
     */
    @Test
    void order3EqualsForwardCausalWithinRounding() throws Exception {
        int n = 40;
        int d = 6;
        Path in = input("o3", 3, n, d, 4, DType.FLOAT64, 2);
        double u = Math.ulp(1.0) / 2;
        double tol = 2 * (d + 3 + (double) n * n) * u;
        String[][] masks = {{}, {"--window", "5,9"}, {"--band", "4"}, {"--scale", "0.7"}};
        for (String[] mask : masks) {
            List<String> forward = new ArrayList<>(List.of("--causal", "--threads", "2"));
            forward.addAll(List.of(mask));
            Map<String, Tensor> f = outputs("forward", in, forward.toArray(String[]::new));
            List<String> flags = new ArrayList<>(List.of("--threads", "2", "--prefill", "3"));
            flags.addAll(List.of(mask));
            Map<String, Tensor> r = outputs("decode", in, flags.toArray(String[]::new));
            for (int x = 0; x < f.get("o").size(); x++) {
                assertEquals(f.get("o").get(x), r.get("o").get(x), tol, String.join(" ", flags) + " o[" + x + "]");
            }
            for (int x = 0; x < n; x++) {
                double lse = f.get("lse").get(x);
                assertEquals(lse, r.get("lse").get(x), tol * Math.max(1, Math.abs(lse)), "lse[" + x + "]");
            }
        }
    }

    private void refused(Path in, String expected, String... flags) {
        Path out = tmp.resolve("refused.npz");
        List<String> argv = new ArrayList<>(List.of("decode", "--input", in.toString(), "--output", out.toString()));
        argv.addAll(List.of(flags));
        Run r = run(argv);
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().strip().startsWith("tensor-attention decode: "), r.err());
        assertTrue(r.err().contains(expected), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void badInputIsOneLineAndNoOutput() throws Exception {
        Path in = input("ok", 3, 10, 4, 3, DType.FLOAT32, 3);
        refused(in, "--prefill must lie in 0..10", "--prefill", "11");
        refused(in, "--prefill must lie in 0..10", "--prefill", "-1");
        refused(in, "--band must be at least 1", "--band", "0");
        refused(in, "--scale expects a finite number or sqrt", "--scale", "half");
        refused(in, "give one width per factor", "--window", "3");
        Random rnd = new Random(4);
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("q", random(rnd, 10, 4, DType.FLOAT32).reshape(2, 5, 4));
        a.put("k1", random(rnd, 10, 4, DType.FLOAT32).reshape(2, 5, 4));
        a.put("v1", random(rnd, 10, 3, DType.FLOAT32).reshape(2, 5, 3));
        Path batched = tmp.resolve("batched.npz");
        Npz.write(batched, a);
        refused(batched, "decode reads one sequence, q (n, d)");
        a = new LinkedHashMap<>();
        a.put("q", random(rnd, 10, 4, DType.FLOAT32));
        a.put("k1", random(rnd, 12, 4, DType.FLOAT32));
        a.put("v1", random(rnd, 12, 3, DType.FLOAT32));
        Path longer = tmp.resolve("longer.npz");
        Npz.write(longer, a);
        refused(longer, "k1 and v1 must have the 10 rows of q");
    }

    @Test
    void helpListsDecode() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, Main.run(new String[] {"help"}, new PrintStream(out), new PrintStream(new ByteArrayOutputStream())));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("decode"));
    }
}
