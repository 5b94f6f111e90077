package org.tensorattention.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

/** The --report JSON of the attention commands. */
final class Reports {
    private Reports() {
    }

    static Map<String, Object> attention(String command, Geometry g, Tensor q, AttentionOptions o, Method method,
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
    static void putPoly(Map<String, Object> j, AttentionResult.PolyInfo poly) {
        if (poly != null) {
            j.put("degree", poly.degree());
            j.put("rank", poly.rank());
            j.put("R", poly.radius());
            j.put("delta", poly.delta());
            j.put("error_bound", poly.errorBound());
        }
    }
}
