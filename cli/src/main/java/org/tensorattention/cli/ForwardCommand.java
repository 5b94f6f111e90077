package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;

/** {@code tensor-attention forward}: O from q, k1.., v1.. in an .npz. */
final class ForwardCommand implements Command {
    static final Args.Option OUTPUT = Args.Option.value("output", "OUT.npz", "where the results go (written only on success)");
    static final Args.Option REPORT = Args.Option.value("report", "FILE.json",
            "also write what was done: method, seconds, flops, sizes");
    static final List<Args.Option> IO = List.of(
            Args.Option.value("input", "IN.npz", "arrays q, k1 .. k{k-1}, v1 .. v{k-1} (float32 or float64)"),
            OUTPUT,
            REPORT,
            SparkBridge.SPARK);

    @Override
    public String name() {
        return "forward";
    }

    @Override
    public String summary() {
        return "tensor attention of any order: O from q, k1.., v1.. (.npz in, .npz out)";
    }

    @Override
    public String usage() {
        return """
                Computes O[i] = sum_J softmax_J(c * sum_l q[i,l] prod_t k_t[j_t,l]) * prod_t v_t[j_t] over key
                tuples J = (j_1, .., j_{k-1}); the order k is read from the arrays present (k1/v1 only: ordinary
                attention). Leading dimensions of the arrays are independent problems (batch, heads); keys may
                have fewer heads than q (grouped-query). OUT.npz holds o, in the dtype of q.""";
    }

    @Override
    public List<Args.Option> options() {
        List<Args.Option> all = new ArrayList<>(IO);
        all.addAll(AttentionFlags.OPTIONS);
        return all;
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        AttentionOptions options = AttentionFlags.parse(args);
        if (args.has("spark")) {
            return SparkBridge.run(name(), args, options, err);
        }
        Inputs.Job job = Inputs.open(args);
        Inputs.Attention a = Inputs.attention(job);
        AttentionResult r;
        try (Ticker ticker = Ticker.start("forward (" + options.method().label() + ")", err)) {
            r = TensorAttention.forward(a.q(), a.keys(), a.values(), options);
        }
        Map<String, Tensor> results = new LinkedHashMap<>();
        results.put("o", r.output());
        Npz.write(job.output(), results);
        if (args.has("report")) {
            Json.write(args.path("report"),
                    Reports.attention(name(), a.geometry(), a.q(), options, r.method(), r.seconds(), r.flops(), r.poly(), r.reason()));
        }
        return 0;
    }
}
