package org.tensorattention.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Progress;
import picocli.CommandLine.Command;

/** {@code tensor-attention forward}: O from q, k1.., v1.. in an .npz. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        header = "tensor attention of any order: O from q, k1.., v1.. (.npz in, .npz out)",
        description = {
            "Computes O[i] = sum_J softmax_J(c * sum_l q[i,l] prod_t k_t[j_t,l]) * prod_t v_t[j_t] over key "
                    + "tuples J = (j_1, .., j_{k-1}); the order k is read from the arrays present (k1/v1 only: ordinary "
                    + "attention). Leading dimensions of the arrays are independent problems (batch, heads); keys may "
                    + "have fewer heads than q (grouped-query). IN.npz holds q, k1 .. k{k-1}, v1 .. v{k-1}; OUT.npz "
                    + "holds o, in the dtype of q, and lse = log sum_J exp(s(i,J)) per query (float64, natural log; "
                    + "-inf for a query that sees nothing; exact method only). An int array cu_seqlens (or "
                    + "cu_seqlens_q and cu_seqlens_k) packs sequences of different lengths along the rows."})
final class ForwardCommand extends AttentionCommand {
    @Override
    int runHere(AttentionOptions options) throws Exception {
        try (Inputs.Job job = Inputs.open(name(), files, in, out)) {
            Inputs.Attention a = Inputs.attention(job, options);
            job.finish("q", err);
            AttentionResult r;
            try (Progress.Running p = Progress.whileRunning("forward (" + options.method().label() + ")", err)) {
                r = a.packed() ? Packed.forward(a.q(), a.keys(), a.values(), a.cuQ(), a.cuK(), options)
                        : TensorAttention.forward(a.q(), a.keys(), a.values(), options);
            }
            Map<String, Tensor> results = new LinkedHashMap<>();
            results.put("o", r.output());
            if (r.logSumExp() != null) {
                results.put("lse", r.logSumExp());
            }
            job.output.writeNpz(results);
            job.report(Reports.attention(name(), a.geometry(), a.q(), options, r.method(), r.seconds(), r.flops(), r.poly(), r.reason()));
        }
        return 0;
    }
}
