package org.tensorattention.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

/**
 * What the attention commands read and report, shared by every front end (the command line, Spark): the key
 * and value factors of an input's named arrays, and the --report JSON of a call.
 */
public final class AttentionFiles {
    private static final Pattern FACTOR = Pattern.compile("([kv])(\\d+)");

    private AttentionFiles() {
    }

    /** The names of packed offsets: one array for queries and keys, or one each. */
    public static final List<String> OFFSETS = List.of("cu_seqlens", "cu_seqlens_q", "cu_seqlens_k");

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([a-zA-Z])(\\d+)'");

    /**
     * The packed offsets of an input as {cuQ, cuK}: cu_seqlens for both, or cu_seqlens_q and cu_seqlens_k; null
     * when it has none. Their values are checked against the rows by {@link org.tensorattention.core.Packed}.
     *
     * @param dtypes the numpy dtype of each array in the file ({@link #fileDtypes})
     * @throws IllegalArgumentException when they are not integers, not one dimension, or do not pair up
     */
    public static int[][] packedOffsets(Map<String, Tensor> arrays, Map<String, String> dtypes, String input) {
        int[] cu = offsets(arrays, dtypes, "cu_seqlens", input);
        int[] cuQ = offsets(arrays, dtypes, "cu_seqlens_q", input);
        int[] cuK = offsets(arrays, dtypes, "cu_seqlens_k", input);
        if (cu != null && (cuQ != null || cuK != null)) {
            throw new IllegalArgumentException(input + " has cu_seqlens and cu_seqlens_q/_k: give one or the other");
        }
        if ((cuQ == null) != (cuK == null)) {
            throw new IllegalArgumentException(input + " has " + (cuQ == null ? "cu_seqlens_k without cu_seqlens_q"
                    : "cu_seqlens_q without cu_seqlens_k"));
        }
        if (cu != null) {
            return new int[][] {cu, cu};
        }
        return cuQ == null ? null : new int[][] {cuQ, cuK};
    }

    /**
     * Checks that dout has the output's shape, q's with its last dimension dv (in either layout, packed or not),
     * before any work: a packed call slices dout per sequence and would otherwise read past it.
     *
     * @throws IllegalArgumentException naming dout and both shapes
     */
    public static void requireDoutShape(Tensor q, Tensor value, Tensor dout) {
        int[] expected = q.shape().clone();
        expected[expected.length - 1] = value.dim(-1);
        if (!java.util.Arrays.equals(dout.shape(), expected)) {
            throw new IllegalArgumentException("dout has shape " + Tensor.shapeString(dout.shape())
                    + " but the output has shape " + Tensor.shapeString(expected));
        }
    }

    /**
     * An int array of offsets, when present: one dimension of integers (the reader hands them over widened to
     * float64, exactly).
     */
    static int[] offsets(Map<String, Tensor> arrays, Map<String, String> dtypes, String name, String input) {
        Tensor t = arrays.get(name);
        if (t == null) {
            return null;
        }
        String dtype = dtypes.get(name);
        if (dtype == null || !(dtype.startsWith("int") || dtype.startsWith("uint"))) {
            throw new IllegalArgumentException(input + ": array '" + name + "' is " + dtype
                    + "; it must hold integer offsets (numpy: np.asarray(cu, dtype=np.int32))");
        }
        if (t.rank() != 1) {
            throw new IllegalArgumentException(input + ": array '" + name + "' has shape "
                    + Tensor.shapeString(t.shape()) + "; it must be one dimension of batch + 1 offsets");
        }
        int[] cu = new int[t.size()];
        for (int b = 0; b < cu.length; b++) {
            double x = t.get(b);
            if (x != Math.rint(x) || Math.abs(x) > Integer.MAX_VALUE) {
                // Integers from the file arrive exactly up to 2^53: name them as integers, not as 1.0E12.
                String value = x == Math.rint(x) && Math.abs(x) < 0x1p53 ? Long.toString((long) x) : Double.toString(x);
                throw new IllegalArgumentException(input + ": " + name + "[" + b + "] = " + value
                        + " does not fit an int offset (at most 2147483647)");
            }
            cu[b] = (int) x;
        }
        return cu;
    }

    /**
     * The numpy dtype each array has in an .npz file (the reader widens float16 and integers, so the tensors do
     * not tell). Best effort: a file the reader will refuse anyway gives an empty map.
     */
    public static Map<String, String> fileDtypes(Path file) {
        Map<String, String> m = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            var entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4) : e.getName();
                try (InputStream s = zip.getInputStream(e)) {
                    String head = new String(s.readNBytes(4096), StandardCharsets.ISO_8859_1);
                    Matcher d = DESCR.matcher(head);
                    if (d.find()) {
                        m.put(name, dtypeName(d.group(2).charAt(0), Integer.parseInt(d.group(3))));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return m;
    }

    private static String dtypeName(char kind, int size) {
        return switch (kind) {
            case 'f' -> "float" + 8 * size;
            case 'i' -> "int" + 8 * size;
            case 'u' -> "uint" + 8 * size;
            case 'b' -> "bool";
            case 'c' -> "complex" + 8L * size;
            default -> "'" + kind + size + "'";
        };
    }

    /**
     * The key and value factors k1..km, v1..vm of named arrays; each k needs its v and no index may be skipped.
     *
     * @return the keys and the values, in factor order
     * @throws IllegalArgumentException naming the array that is missing, and what it pairs with
     */
    public static List<List<Tensor>> factors(Map<String, Tensor> arrays, String file) {
        TreeSet<Integer> indices = new TreeSet<>();
        for (String name : arrays.keySet()) {
            Matcher m = FACTOR.matcher(name);
            if (m.matches() && m.group(2).charAt(0) != '0') {
                indices.add(Integer.parseInt(m.group(2)));
            }
        }
        if (indices.isEmpty()) {
            throw new IllegalArgumentException(file + " has no keys: expected arrays k1, v1 (and k2, v2, .. for higher orders)");
        }
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; t <= indices.last(); t++) {
            Tensor k = arrays.get("k" + t);
            Tensor v = arrays.get("v" + t);
            if (k == null || v == null) {
                String missing = k == null ? "k" + t : "v" + t;
                String present = k == null ? "v" + t : "k" + t;
                throw new IllegalArgumentException(file + " has no array '" + missing + "'"
                        + (arrays.containsKey(present) ? " to pair with '" + present + "'" : "")
                        + ": keys and values must pair up as k1/v1, k2/v2, ..");
            }
            keys.add(k);
            values.add(v);
        }
        return List.of(keys, values);
    }

    /** The --report of forward and backward: method, seconds, flops, sizes, and poly's account when it ran. */
    public static Map<String, Object> report(String command, Geometry g, Tensor q, AttentionOptions o, Method method,
                                             double seconds, double flops, AttentionResult.PolyInfo poly,
                                             String reason) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("command", command);
        j.put("method", method.label());
        j.put("seconds", seconds);
        j.put("flops", flops);
        j.put("gflops_per_second", seconds > 0 ? flops / seconds / 1e9 : null);
        j.put("order", g.order());
        j.put("n", g.nq());
        j.put("d", g.d());
        j.put("dv", g.dv());
        j.put("problems", g.problems());
        j.put("dtype", q.dtype().numpyName());
        j.put("mask", switch (o.mask().intervals()) {
            case org.tensorattention.core.Mask.Full f -> "full";
            case org.tensorattention.core.Mask.Window w -> w.causal() ? "causal" : "window";
            case org.tensorattention.core.Mask.Banded b -> throw new IllegalStateException("a band inside a band");
        });
        if (o.mask().intervals() instanceof org.tensorattention.core.Mask.Window w && !w.causal()) {
            j.put("window", java.util.Arrays.stream(w.widths()).asLongStream().toArray());
        }
        if (o.mask().band() != org.tensorattention.core.Mask.UNBOUNDED) {
            j.put("band", (long) o.mask().band());
        }
        j.put("layout", o.layout().name().toLowerCase(java.util.Locale.ROOT));
        j.put("scale", o.scaleFor(g.d()));
        j.put("threads", o.threadCount());
        j.put("reason", reason);
        if (poly != null) {
            j.put("epsilon", o.epsilon());
            putPoly(j, poly);
        }
        return j;
    }

    /** The polynomial method's account: degree, rank, R, delta, error bound. */
    public static void putPoly(Map<String, Object> j, AttentionResult.PolyInfo poly) {
        if (poly != null) {
            j.put("degree", poly.degree());
            j.put("rank", poly.rank());
            j.put("R", poly.radius());
            j.put("delta", poly.delta());
            j.put("error_bound", poly.errorBound());
        }
    }
}
