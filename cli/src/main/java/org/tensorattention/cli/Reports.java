package org.tensorattention.cli;

import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

/** The --report JSON of the attention commands. */
final class Reports {
    private Reports() {
    }

    static Json attention(String command, Geometry g, Tensor q, AttentionOptions o, Method method, double seconds,
                          double flops, AttentionResult.PolyInfo poly, String reason) {
        Json j = new Json()
                .put("command", command)
                .put("method", method.label())
                .put("seconds", seconds)
                .put("flops", flops)
                .put("gflops_per_second", seconds > 0 ? flops / seconds / 1e9 : null)
                .put("order", g.order())
                .put("n", g.nq())
                .put("d", g.d())
                .put("dv", g.dv())
                .put("problems", g.problems())
                .put("dtype", q.dtype().numpyName())
                .put("mask", o.mask().toString())
                .put("scale", o.scaleFor(g.d()))
                .put("threads", o.threadCount())
                .put("reason", reason);
        if (poly != null) {
            j.put("epsilon", o.epsilon())
                    .put("degree", poly.degree())
                    .put("rank", poly.rank())
                    .put("R", poly.radius())
                    .put("delta", poly.delta())
                    .put("error_bound", poly.errorBound());
        }
        return j;
    }
}
