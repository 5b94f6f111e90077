package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * Reads every archive of testdata/golden and checks it against what numpy saw (a digest made with
 * numpy.load, src/test/resources/golden_digest.tsv) and against what the manifest implies.
 */
class GoldenDataTest {
    private static final Map<Path, Map<String, Tensor>> CACHE = new HashMap<>();

    private static Map<String, Tensor> load(Path file) throws IOException {
        Map<String, Tensor> arrays = CACHE.get(file);
        if (arrays == null) {
            arrays = Npz.read(file);
            CACHE.put(file, arrays);
        }
        return arrays;
    }

    static List<GoldenManifest> cases() throws IOException {
        return GoldenManifest.all();
    }

    static Stream<String[]> digest() throws IOException {
        return Files.readAllLines(Fixtures.GOLDEN_DIGEST).stream()
                .filter(line -> !line.startsWith("#") && !line.isBlank())
                .map(line -> line.split("\t", -1));
    }

    @Test
    void manifestListsEveryCaseAndEveryCaseHasItsFiles() throws IOException {
        List<GoldenManifest> cases = cases();
        TreeSet<String> inputs = new TreeSet<>();
        try (Stream<Path> files = Files.list(Fixtures.GOLDEN.resolve("cases"))) {
            files.forEach(p -> inputs.add(p.getFileName().toString()));
        }
        TreeSet<String> named = new TreeSet<>();
        for (GoldenManifest c : cases) {
            named.add(c.name() + ".in.npz");
            assertTrue(Files.isRegularFile(Fixtures.GOLDEN.resolve("expected").resolve(c.name() + ".npz")), c.name());
        }
        assertEquals(named, inputs);
    }

    @Test
    void digestCoversEveryGoldenArray() throws IOException {
        TreeSet<String> fromDigest = new TreeSet<>();
        digest().forEach(row -> fromDigest.add(row[0] + ":" + row[1]));
        TreeSet<String> fromFiles = new TreeSet<>();
        for (String folder : new String[] {"cases", "expected"}) {
            List<Path> files;
            try (Stream<Path> list = Files.list(Fixtures.GOLDEN.resolve(folder))) {
                files = list.sorted().toList();
            }
            for (Path file : files) {
                for (String key : load(file).keySet()) {
                    fromFiles.add(folder + "/" + file.getFileName() + ":" + key);
                }
            }
        }
        assertEquals(fromDigest, fromFiles);
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("digest")
    void arraysMatchWhatNumpyRead(String file, String key, String descr, String shape, String sum, String first, String last)
            throws IOException {
        Tensor t = load(Fixtures.GOLDEN.resolve(file)).get(key);
        assertEquals(descr.equals("<f4") ? DType.FLOAT32 : DType.FLOAT64, t.dtype());
        int[] expectedShape = shape.isEmpty() ? new int[0] : Arrays.stream(shape.split(",")).mapToInt(Integer::parseInt).toArray();
        assertArrayEquals(expectedShape, t.shape());
        assertEquals(Double.parseDouble(first), t.get(0));
        assertEquals(Double.parseDouble(last), t.get(t.size() - 1));
        double total = 0;
        double magnitude = 0;
        for (int i = 0; i < t.size(); i++) {
            total += t.get(i);
            magnitude += Math.abs(t.get(i));
        }
        // numpy sums pairwise, we sum in order: equal up to rounding.
        assertEquals(Double.parseDouble(sum), total, 1e-13 * magnitude);
        assertTrue(t.firstNonFinite() < 0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void shapesAgreeWithTheManifest(GoldenManifest c) throws IOException {
        Map<String, Tensor> in = load(Fixtures.GOLDEN.resolve("cases").resolve(c.name() + ".in.npz"));
        Map<String, Tensor> out = load(Fixtures.GOLDEN.resolve("expected").resolve(c.name() + ".npz"));
        if (c.kind().equals("loss-gradient")) {
            for (String key : new String[] {"a1", "a2", "a3", "a4", "a5", "x", "y", "e"}) {
                assertTrue(in.containsKey(key), key);
            }
            int d = in.get("a1").dim(1);
            assertArrayEquals(new int[] {d, d * d}, in.get("x").shape());
            assertArrayEquals(new int[] {d * d, in.get("e").dim(1)}, in.get("y").shape());
            if (in.containsKey("scale")) {
                assertEquals(0, in.get("scale").rank());
            }
            assertEquals(0, out.get("loss").rank());
            assertTrue(out.get("loss").get(0) >= 0, "a squared norm");
            assertArrayEquals(in.get("x").shape(), out.get("dx").shape());
            return;
        }
        int order = order(in);
        assertTrue(order >= 2, c.name());
        Tensor q = in.get("q");
        int[] oShape = q.shape();
        oShape[oShape.length - 1] = in.get("v1").dim(-1);
        assertArrayEquals(oShape, out.get("o").shape());
        for (int t = 1; t < order; t++) {
            assertArrayEquals(q.shape(), in.get("k" + t).shape(), "k" + t);
            assertEquals(q.dim(-2), in.get("v" + t).dim(-2), "v" + t);
        }
        if (c.kind().equals("backward")) {
            assertArrayEquals(oShape, in.get("dout").shape());
            assertArrayEquals(q.shape(), out.get("dq").shape());
            for (int t = 1; t < order; t++) {
                assertArrayEquals(in.get("k" + t).shape(), out.get("dk" + t).shape());
                assertArrayEquals(in.get("v" + t).shape(), out.get("dv" + t).shape());
            }
        } else {
            assertEquals("forward", c.kind());
            assertEquals(1, out.size());
        }
    }

    /**
     * Each output row is a weighted average of products of value rows, so it lies between the smallest
     * and largest such product: a check on the values that a mis-decoded array would fail.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void outputsAreAveragesOfValueProducts(GoldenManifest c) throws IOException {
        if (c.kind().equals("loss-gradient")) {
            return;
        }
        Map<String, Tensor> in = load(Fixtures.GOLDEN.resolve("cases").resolve(c.name() + ".in.npz"));
        Tensor o = load(Fixtures.GOLDEN.resolve("expected").resolve(c.name() + ".npz")).get("o");
        int factors = order(in) - 1;
        int n = o.dim(-2);
        int dv = o.dim(-1);
        int problems = o.size() / (n * dv);
        double slack = c.tol() * 2;
        for (int b = 0; b < problems; b++) {
            for (int l = 0; l < dv; l++) {
                double[] lo = new double[factors];
                double[] hi = new double[factors];
                for (int t = 0; t < factors; t++) {
                    Tensor v = in.get("v" + (t + 1));
                    lo[t] = Double.POSITIVE_INFINITY;
                    hi[t] = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < n; j++) {
                        double x = v.get((b * n + j) * dv + l);
                        lo[t] = Math.min(lo[t], x);
                        hi[t] = Math.max(hi[t], x);
                    }
                }
                // A product of box coordinates is extreme at a corner of the box.
                double min = Double.POSITIVE_INFINITY;
                double max = Double.NEGATIVE_INFINITY;
                for (int corner = 0; corner < 1 << factors; corner++) {
                    double p = 1;
                    for (int t = 0; t < factors; t++) {
                        p *= (corner >> t & 1) == 0 ? lo[t] : hi[t];
                    }
                    min = Math.min(min, p);
                    max = Math.max(max, p);
                }
                for (int i = 0; i < n; i++) {
                    double x = o.get((b * n + i) * dv + l);
                    assertTrue(x >= min - slack && x <= max + slack, c.name() + " o[" + b + "," + i + "," + l + "]");
                }
            }
        }
        assertFalse(o.firstNonFinite() >= 0);
    }

    private static int order(Map<String, Tensor> in) {
        int t = 1;
        while (in.containsKey("k" + t)) {
            t++;
        }
        return t;
    }
}
