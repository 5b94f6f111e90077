package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/** The golden poly cases of testdata/golden (options and tolerances from manifest.json). */
class GoldenPolyTest {
    private static final Path GOLDEN = Path.of("..", "testdata", "golden");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"poly-o3,false,9.886865565776658e-05", "poly-o3-causal,true,9.71277865138995e-05"})
    void goldenPolyCases(String name, boolean causal, double tol) throws IOException {
        Map<String, Tensor> in = readNpz(GOLDEN.resolve("cases").resolve(name + ".in.npz"));
        Tensor expected = readNpz(GOLDEN.resolve("expected").resolve(name + ".npz")).get("o");
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; in.containsKey("k" + t); t++) {
            keys.add(in.get("k" + t));
            values.add(in.get("v" + t));
        }
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-4)
                .withMask(causal ? Mask.CAUSAL : Mask.FULL);
        AttentionResult r = TensorAttention.forward(in.get("q"), keys, values, o);
        assertEquals(Method.POLY, r.method());
        assertArrayEquals(expected.shape(), r.output().shape());
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            worst = Math.max(worst, Math.abs(expected.get(i) - r.output().get(i)));
        }
        assertTrue(worst <= tol, "max error " + worst + " > " + tol);
        assertTrue(worst <= r.poly().errorBound(), "max error " + worst + " > certified " + r.poly().errorBound());
    }

    /** A minimal .npz reader for tests: little-endian float32/float64 arrays in C order. */
    static Map<String, Tensor> readNpz(Path path) throws IOException {
        Map<String, Tensor> arrays = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(path))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName().replaceAll("\\.npy$", "");
                arrays.put(name, readNpy(zip));
            }
        }
        return arrays;
    }

    private static Tensor readNpy(InputStream in) throws IOException {
        byte[] all = in.readAllBytes();
        ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int major = all[6];
        int headerLen = major == 1 ? Short.toUnsignedInt(b.getShort(8)) : b.getInt(8);
        int start = major == 1 ? 10 : 12;
        String header = new String(all, start, headerLen, StandardCharsets.ISO_8859_1);
        Matcher descr = Pattern.compile("'descr':\\s*'([^']*)'").matcher(header);
        Matcher shape = Pattern.compile("'shape':\\s*\\(([^)]*)\\)").matcher(header);
        if (!descr.find() || !shape.find()) {
            throw new IOException("unsupported .npy header " + header);
        }
        String[] dims = shape.group(1).split(",");
        List<Integer> s = new ArrayList<>();
        for (String dim : dims) {
            if (!dim.isBlank()) {
                s.add(Integer.parseInt(dim.trim()));
            }
        }
        int[] sh = s.stream().mapToInt(Integer::intValue).toArray();
        int size = (int) Tensor.sizeOf(sh);
        b.position(start + headerLen);
        double[] a = new double[size];
        switch (descr.group(1)) {
            case "<f8" -> b.asDoubleBuffer().get(a);
            case "<f4" -> {
                for (int i = 0; i < size; i++) {
                    a[i] = b.getFloat(start + headerLen + 4 * i);
                }
            }
            default -> throw new IOException("unsupported dtype " + descr.group(1));
        }
        if (header.contains("'fortran_order': True")) {
            a = fortranToC(a, sh);
        }
        Tensor t = Tensor.of(a, sh);
        return descr.group(1).equals("<f4") ? t.to(org.tensorattention.core.DType.FLOAT32) : t;
    }

    /** Reorders column-major data into row-major. */
    private static double[] fortranToC(double[] f, int[] shape) {
        double[] c = new double[f.length];
        int[] idx = new int[shape.length];
        for (int flat = 0; flat < c.length; flat++) {
            int rest = flat;
            for (int a = shape.length - 1; a >= 0; a--) {
                idx[a] = rest % shape[a];
                rest /= shape[a];
            }
            int fo = 0;
            for (int a = shape.length - 1; a >= 0; a--) {
                fo = fo * shape[a] + idx[a];
            }
            c[flat] = f[fo];
        }
        return c;
    }
}
