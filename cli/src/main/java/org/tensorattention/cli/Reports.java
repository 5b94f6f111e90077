package org.tensorattention.cli;

import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.AttentionFiles;

/** The --report JSON of the attention commands. */
final class Reports {
    private Reports() {
    }

    static Map<String, Object> attention(String command, Geometry g, Tensor q, AttentionOptions o, Method method,
                                         double seconds, double flops, AttentionResult.PolyInfo poly,
                                         String reason) {
        return AttentionFiles.report(command, g, q, o, method, seconds, flops, poly, reason);
    }

    /** The polynomial method's account: degree, rank, R, delta, error bound. */
    static void putPoly(Map<String, Object> j, AttentionResult.PolyInfo poly) {
        AttentionFiles.putPoly(j, poly);
    }
}
