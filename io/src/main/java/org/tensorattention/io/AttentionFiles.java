package org.tensorattention.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
