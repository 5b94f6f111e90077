package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.cli.Main;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Packed;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** The --spark command line: golden cases, Parquet in and out, and bad input. */
class SparkCliTest {
    private static final Path GOLDEN = Path.of("..", "testdata", "golden");

    @TempDir
    Path tmp;

    /** A golden case of a command that runs on Spark. */
    record Golden(String name, String kind, List<String> opts, double tol) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Golden> golden() throws Exception {
        List<Golden> cases = new ArrayList<>();
        for (JsonNode c : new ObjectMapper().readTree(GOLDEN.resolve("manifest.json").toFile())) {
            String kind = c.get("kind").asText();
            // loss-gradient has no --spark: only forward and backward run distributed.
            if (kind.equals("forward") || kind.equals("backward")) {
                List<String> opts = new ArrayList<>();
                c.get("opts").forEach(o -> opts.add(o.asText()));
                cases.add(new Golden(c.get("name").asText(), kind, opts, c.get("tol").asDouble()));
            }
        }
        return cases.stream();
    }

    /**
     * The command line with --spark local[2], through its parser and output writer: npz, Parquet folders and
     * the report by name, stdin and stdout as given.
     */
    static int run(String command, List<String> opts, Path in, Path out, Path report, ByteArrayOutputStream err,
                   byte[] stdin, ByteArrayOutputStream stdout) {
        List<String> argv = new ArrayList<>(List.of(command, "--input", in == null ? "-" : in.toString(),
                "--output", out == null ? "-" : out.toString(), "--spark", "local[2]"));
        if (report != null) {
            argv.addAll(List.of("--report", report.toString()));
        }
        argv.addAll(opts);
        return Main.run(argv.toArray(String[]::new), new ByteArrayInputStream(stdin), new PrintStream(stdout),
                new PrintStream(err));
    }

    static int run(String command, List<String> opts, Path in, Path out, Path report, ByteArrayOutputStream err) {
        return run(command, opts, in, out, report, err, new byte[0], new ByteArrayOutputStream());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("golden")
    void goldenCasesThroughSparkLocal2(Golden c) throws Exception {
        LocalSpark.context();
        Path in = GOLDEN.resolve("cases").resolve(c.name() + ".in.npz");
        Path out = tmp.resolve(c.name() + ".out.npz");
        Path report = tmp.resolve(c.name() + ".json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = run(c.kind(), c.opts(), in, out, report, err);
        assertEquals(0, status, "stderr: " + err);
        Map<String, Tensor> got = Npz.read(out);
        Map<String, Tensor> expected = Npz.read(GOLDEN.resolve("expected").resolve(c.name() + ".npz"));
        DType dtype = Npz.read(in).get("q").dtype();
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor want = e.getValue();
            Tensor have = got.get(e.getKey());
            assertNotNull(have, "missing " + e.getKey());
            assertEquals(dtype, have.dtype(), e.getKey() + " dtype");
            // The manifest's tolerances: absolute for forward, relative to max(1, max |expected|) otherwise.
            double tol = c.kind().equals("forward") ? c.tol() : c.tol() * Math.max(1, want.maxAbs());
            double worst = 0;
            for (int i = 0; i < want.size(); i++) {
                worst = Math.max(worst, Math.abs(have.get(i) - want.get(i)));
            }
            assertTrue(worst <= tol, c.name() + " " + e.getKey() + ": " + worst + " > " + tol);
        }
        JsonNode j = new ObjectMapper().readTree(report.toFile());
        assertTrue(j.get("spark").get("tasks").asLong() >= 1, j.toString());
        assertEquals(1, j.get("spark").get("executors").asInt());
    }

    @Test
    void parquetTokenRowsInAndOut() throws Exception {
        Problems.Case c = Problems.random(5, DType.FLOAT64, 3, 20, 4, 3, new int[] {2}, new int[] {2});
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("q", c.q());
        arrays.put("k1", c.k().get(0));
        arrays.put("k2", c.k().get(1));
        arrays.put("v1", c.v().get(0));
        arrays.put("v2", c.v().get(1));
        arrays.put("dout", c.dout());
        Path in = tmp.resolve("in.parquet");
        TokenRows.write(TokenRows.of(LocalSpark.session(), arrays), in.toString());
        Path out = tmp.resolve("out.parquet");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AttentionOptions o = AttentionOptions.defaults().causal();
        assertEquals(0, run("backward", List.of("--causal"), in, out, null, err), err.toString());
        Map<String, Tensor> got = TokenRows.arrays(TokenRows.read(LocalSpark.session(), out.toString()), "out");
        var one = org.tensorattention.core.TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), null, o);
        Problems.close("o", one.output(), got.get("o"), 1e-12);
        Problems.close("dq", one.dq(), got.get("dq"), 1e-12);
        Problems.close("dk2", one.dk().get(1), got.get("dk2"), 1e-12);
        Problems.close("dv1", one.dv().get(0), got.get("dv1"), 1e-12);

        // forward into token rows: o, and the lse as a column of width 1.
        Path fwd = tmp.resolve("fwd.parquet");
        assertEquals(0, run("forward", List.of("--causal", "--allow-extra"), in, fwd, null, err), err.toString());
        got = TokenRows.arrays(TokenRows.read(LocalSpark.session(), fwd.toString()), "fwd");
        var oneF = org.tensorattention.core.TensorAttention.forward(c.q(), c.k(), c.v(), o);
        Problems.close("forward o", oneF.output(), got.get("o"), 1e-12);
        Tensor lse = got.get("lse");
        assertEquals(List.of(2, 20, 1), java.util.Arrays.stream(lse.shape()).boxed().toList());
        Problems.closeLse("forward lse", oneF.logSumExp(), Tensor.of(lse.doubles(), 2, 20), 1e-12);
    }

    /** Bad input: one line naming the problem, exit status 2, nothing written. */
    @Test
    void badInputEndsInOneLineAndStatusTwoWithoutOutput() throws Exception {
        LocalSpark.context();
        Problems.Case c = Problems.random(9, DType.FLOAT64, 3, 8, 2, 2, new int[0], new int[0]);
        Path missingV2 = tmp.resolve("missing.npz");
        Npz.write(missingV2, Map.of("q", c.q(), "k1", c.k().get(0), "v1", c.v().get(0), "k2", c.k().get(1)));
        double[] nan = c.q().toDoubleArray();
        nan[3] = Double.NaN;
        Path nonFinite = tmp.resolve("nan.npz");
        Npz.write(nonFinite, Map.of("q", Tensor.of(nan, c.q().shape()), "k1", c.k().get(0), "v1", c.v().get(0)));
        Path good = tmp.resolve("good.npz");
        Npz.write(good, Map.of("q", c.q(), "k1", c.k().get(0), "v1", c.v().get(0)));
        Path existing = tmp.resolve("existing.parquet");
        Files.createDirectory(existing);
        record Bad(String command, Path in, Path out, String says) {
        }
        List<Bad> cases = List.of(
                new Bad("forward", missingV2, tmp.resolve("a.npz"), "no array 'v2' to pair with 'k2'"),
                new Bad("forward", nonFinite, tmp.resolve("b.parquet"), "q contains a non-finite value"),
                new Bad("backward", good, tmp.resolve("c.npz"), "has no array 'dout'"),
                new Bad("forward", tmp.resolve("absent.npz"), tmp.resolve("d.npz"), "does not exist"),
                new Bad("forward", good, tmp.resolve("nowhere").resolve("e.npz"), "nowhere does not exist"),
                new Bad("forward", good, existing, "already exists"),
                new Bad("forward", tmp.resolve("absent.parquet"), tmp.resolve("f.parquet"), "does not exist"));
        for (Bad b : cases) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = run(b.command(), List.of(), b.in(), b.out(), null, err);
            String text = err.toString().strip();
            assertEquals(2, status, b + ": " + text);
            assertFalse(text.contains("\n"), "one line: " + text);
            assertTrue(text.startsWith("tensor-attention " + b.command() + ": ") && text.contains(b.says()), text);
            if (!b.out().equals(existing)) {
                assertFalse(Files.exists(b.out()), "no output left: " + b.out());
            }
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().contains(".partial-")), "no staging folder left");
        }
    }

    /** --input - and --output -: the .npz bytes through stdin and stdout, as without Spark. */
    @Test
    void stdinToStdout() throws Exception {
        LocalSpark.context();
        Problems.Case c = Problems.random(4, DType.FLOAT64, 2, 12, 3, 2, new int[0], new int[0]);
        Path in = tmp.resolve("in.npz");
        Npz.write(in, Map.of("q", c.q(), "k1", c.k().get(0), "v1", c.v().get(0)));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        Path report = tmp.resolve("r.json");
        assertEquals(0, run("forward", List.of("--causal"), null, null, report, err, Files.readAllBytes(in), stdout),
                err.toString());
        Path got = Files.write(tmp.resolve("got.npz"), stdout.toByteArray());
        var one = org.tensorattention.core.TensorAttention.forward(c.q(), c.k(), c.v(),
                AttentionOptions.defaults().causal());
        Problems.close("o", one.output(), Npz.read(got).get("o"), 1e-12);
        JsonNode j = new ObjectMapper().readTree(report.toFile());
        assertEquals("causal", j.get("mask").asText());
        assertTrue(j.get("spark").get("tasks").asLong() >= 1, j.toString());
    }

    /** The command line's file rules hold under --spark too, and are checked before Spark runs anything. */
    @Test
    void unknownArraysAndAliasedOutputsAreRefused() throws Exception {
        Problems.Case c = Problems.random(6, DType.FLOAT64, 2, 8, 2, 2, new int[0], new int[0]);
        Path extra = tmp.resolve("extra.npz");
        Npz.write(extra, Map.of("q", c.q(), "k1", c.k().get(0), "v1", c.v().get(0), "bias", c.q()));
        Path out = tmp.resolve("o.npz");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, run("forward", List.of(), extra, out, null, err));
        assertTrue(err.toString().strip().endsWith("has array 'bias' that forward does not use (--allow-extra ignores it)"),
                err.toString());
        assertFalse(Files.exists(out));

        err.reset();
        assertEquals(2, run("forward", List.of(), extra, extra, null, err));
        assertTrue(err.toString().contains("--output " + extra + " is the same file as --input"), err.toString());
        assertEquals(4, Npz.read(extra).size(), "the input is untouched");

        err.reset();
        LocalSpark.context();
        assertEquals(0, run("forward", List.of("--allow-extra"), extra, out, null, err), err.toString());
        assertTrue(err.toString().contains("ignoring array 'bias'"), err.toString());
        assertEquals(List.of("o", "lse"), List.copyOf(Npz.read(out).keySet()));
    }

    /** Arrays, and int32 offsets named offsetName as numpy writes them (when cu is not null). */
    private static Path npz(Path file, Map<String, Tensor> arrays, String offsetName, int[] cu) throws Exception {
        return npz(file, arrays, cu == null ? Map.of() : Map.of(offsetName, cu));
    }

    private static Path npz(Path file, Map<String, Tensor> arrays, Map<String, int[]> offsets) throws Exception {
        try (java.util.zip.ZipOutputStream zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                zip.putNextEntry(new java.util.zip.ZipEntry(e.getKey() + ".npy"));
                org.tensorattention.io.Npy.write(zip, e.getValue());
                zip.closeEntry();
            }
            for (Map.Entry<String, int[]> o : offsets.entrySet()) {
                String offsetName = o.getKey();
                int[] cu = o.getValue();
                zip.putNextEntry(new java.util.zip.ZipEntry(offsetName + ".npy"));
                String header = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + cu.length + ",), }";
                int pad = 64 - (10 + header.length() + 1) % 64;
                header = header + " ".repeat(pad == 64 ? 0 : pad) + "\n";
                java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + header.length() + 4 * cu.length)
                        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                b.put((byte) 0x93).put("NUMPY".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).put((byte) 1)
                        .put((byte) 0).putShort((short) header.length())
                        .put(header.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                for (int x : cu) {
                    b.putInt(x);
                }
                zip.write(b.array());
                zip.closeEntry();
            }
        }
        return file;
    }

    private static Map<String, Tensor> arrays(Problems.Case c) {
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("q", c.q());
        for (int t = 0; t < c.k().size(); t++) {
            a.put("k" + (t + 1), c.k().get(t));
            a.put("v" + (t + 1), c.v().get(t));
        }
        a.put("dout", c.dout());
        return a;
    }

    /** o, lse (forward) and the gradients (backward) of the command line against the single-machine results. */
    private void sameAsOneMachine(String what, Path in, List<String> flags, AttentionResult one, GradientResult oneG)
            throws Exception {
        Path out = tmp.resolve(what + ".out.npz");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<String> forward = new ArrayList<>(flags);
        forward.add("--allow-extra"); // the file's dout is for backward
        assertEquals(0, run("forward", forward, in, out, null, err), what + ": " + err);
        Map<String, Tensor> got = Npz.read(out);
        Problems.close(what + " o", one.output(), got.get("o"), 1e-12);
        Problems.closeLse(what + " lse", one.logSumExp(), got.get("lse"), 1e-12);
        Path back = tmp.resolve(what + ".back.npz");
        assertEquals(0, run("backward", flags, in, back, null, err), what + ": " + err);
        got = Npz.read(back);
        Problems.close(what + " dq", oneG.dq(), got.get("dq"), 1e-12);
        for (int t = 0; t < oneG.dk().size(); t++) {
            Problems.close(what + " dk" + (t + 1), oneG.dk().get(t), got.get("dk" + (t + 1)), 1e-12);
            Problems.close(what + " dv" + (t + 1), oneG.dv().get(t), got.get("dv" + (t + 1)), 1e-12);
        }
    }

    /** --band, --scale sqrt, bottom-right --causal, --layout bshd and cu_seqlens through --spark local[2]. */
    @Test
    void featureOptionsEqualOneMachine() throws Exception {
        LocalSpark.context();
        Problems.Case c = SparkFeaturesTest.uneven(31, DType.FLOAT64, 6, new int[] {10, 10}, 3, 2, new int[] {2});
        AttentionOptions o = AttentionOptions.defaults().causal().withBand(3).withSqrtScale();
        AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
        sameAsOneMachine("band", npz(tmp.resolve("band.npz"), arrays(c), null, null),
                List.of("--causal", "--band", "3", "--scale", "sqrt"), one,
                TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), null, o));

        // bshd: (batch 2, seq 6, heads 4, dim 3) queries, keys with 2 heads.
        java.util.Random rnd = new java.util.Random(5);
        Problems.Case h = new Problems.Case(Problems.tensor(rnd, DType.FLOAT64, new int[] {2, 6}, 4, 3),
                List.of(Problems.tensor(rnd, DType.FLOAT64, new int[] {2, 6}, 2, 3)),
                List.of(Problems.tensor(rnd, DType.FLOAT64, new int[] {2, 6}, 2, 2)),
                Problems.tensor(rnd, DType.FLOAT64, new int[] {2, 6}, 4, 2));
        AttentionOptions b = AttentionOptions.defaults().causal().withLayout(AttentionOptions.Layout.BSHD);
        sameAsOneMachine("bshd", npz(tmp.resolve("bshd.npz"), arrays(h), null, null),
                List.of("--causal", "--layout", "bshd"), TensorAttention.forward(h.q(), h.k(), h.v(), b),
                TensorAttention.backward(h.q(), h.k(), h.v(), h.dout(), null, b));

        // Three sequences of 4, 0 and 5 rows.
        int[] cu = {0, 4, 4, 9};
        Problems.Case p = SparkFeaturesTest.uneven(7, DType.FLOAT64, 9, new int[] {9, 9}, 3, 2, new int[0]);
        AttentionOptions causal = AttentionOptions.defaults().causal();
        sameAsOneMachine("packed", npz(tmp.resolve("packed.npz"), arrays(p), "cu_seqlens", cu), List.of("--causal"),
                Packed.forward(p.q(), p.k(), p.v(), cu, cu, causal),
                Packed.backward(p.q(), p.k(), p.v(), p.dout(), cu, cu, causal));

        record Bad(Path in, String says) {
        }
        Map<String, Tensor> noDout = arrays(p);
        noDout.remove("dout");
        Map<String, Tensor> floatOffsets = new LinkedHashMap<>(noDout);
        floatOffsets.put("cu_seqlens", Tensor.of(new double[] {0, 4, 9}, 3));
        for (Bad bad : List.of(
                new Bad(npz(tmp.resolve("dec.npz"), noDout, "cu_seqlens", new int[] {0, 4, 3, 9}),
                        "cu_seqlens decreases at index 2 (4 then 3): offsets must not decrease"),
                new Bad(npz(tmp.resolve("start.npz"), noDout, "cu_seqlens", new int[] {1, 9}),
                        "cu_seqlens starts at 1, not 0"),
                new Bad(npz(tmp.resolve("end.npz"), noDout, "cu_seqlens", new int[] {0, 4, 8}),
                        "cu_seqlens ends at 8 but q has 9 rows"),
                new Bad(npz(tmp.resolve("float.npz"), floatOffsets, null, null),
                        "array 'cu_seqlens' is float64; it must hold integer offsets"))) {
            Path out = tmp.resolve("bad.npz");
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            assertEquals(2, run("forward", List.of("--causal"), bad.in(), out, null, err), err.toString());
            String text = err.toString().strip();
            assertFalse(text.contains("\n"), "one line: " + text);
            assertTrue(text.startsWith("tensor-attention forward: ") && text.contains(bad.says()), text);
            assertFalse(Files.exists(out), "no output left");
        }
        Map<String, Tensor> shortDout = arrays(p);
        shortDout.put("dout", Tensor.of(new double[8 * 2], 8, 2));
        Path out = tmp.resolve("bad.npz");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, run("backward", List.of(), npz(tmp.resolve("dout.npz"), shortDout, "cu_seqlens", cu), out,
                null, err), err.toString());
        assertEquals("tensor-attention backward: dout has shape (8, 2) but the output has shape (9, 2)",
                err.toString().strip());
        assertFalse(Files.exists(out), "no output left");
    }

    /** Packed sequences whose keys are all empty: o = 0 and lse = -inf, as on one machine. */
    @Test
    void packedSequencesWithoutKeysGiveZeros() throws Exception {
        Map<String, Tensor> a = new LinkedHashMap<>();
        a.put("q", Tensor.of(new double[] {1, 2, 3, 4, 5, 6}, 3, 2));
        a.put("k1", Tensor.of(new double[0], 0, 2));
        a.put("v1", Tensor.of(new double[0], 0, 2));
        a.put("k2", Tensor.of(new double[0], 0, 2));
        a.put("v2", Tensor.of(new double[0], 0, 2));
        Map<String, int[]> cu = new LinkedHashMap<>();
        cu.put("cu_seqlens_q", new int[] {0, 1, 3});
        cu.put("cu_seqlens_k", new int[] {0, 0, 0});
        Path out = tmp.resolve("nokeys-out.npz");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, run("forward", List.of(), npz(tmp.resolve("nokeys.npz"), a, cu), out, null, err),
                err.toString());
        Problems.close("o", Tensor.zeros(DType.FLOAT64, 3, 2), Npz.read(out).get("o"), 0);
    }
}
