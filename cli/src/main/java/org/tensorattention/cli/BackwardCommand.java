package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;

/** {@code tensor-attention backward}: O and the gradients of q, keys and values from dout. */
final class BackwardCommand implements Command {
    @Override
    public String name() {
        return "backward";
    }

    @Override
    public String summary() {
        return "gradients dq, dk1.., dv1.. of tensor attention given dout = dL/dO";
    }

    @Override
    public String usage() {
        return """
                IN.npz holds the forward's arrays (q, k1.., v1..) plus dout, shaped like o. OUT.npz holds o, dq,
                dk1 .. dk{k-1} and dv1 .. dv{k-1}, in the dtype of q. Grouped-query heads sum their gradients into
                the shared keys and values.""";
    }

    @Override
    public List<Args.Option> options() {
        List<Args.Option> all = new ArrayList<>(ForwardCommand.IO);
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
        Tensor dout = job.require("dout");
        GradientResult r;
        try (Ticker ticker = Ticker.start("backward (" + options.method().label() + ")", err)) {
            r = TensorAttention.backward(a.q(), a.keys(), a.values(), dout, null, options);
        }
        Map<String, Tensor> results = new LinkedHashMap<>();
        results.put("o", r.output());
        results.put("dq", r.dq());
        for (int t = 0; t < r.dk().size(); t++) {
            results.put("dk" + (t + 1), r.dk().get(t));
        }
        for (int t = 0; t < r.dv().size(); t++) {
            results.put("dv" + (t + 1), r.dv().get(t));
        }
        Npz.write(job.output(), results);
        if (args.has("report")) {
            Json.write(args.path("report"),
                    Reports.attention(name(), a.geometry(), a.q(), options, r.method(), r.seconds(), r.flops(), r.poly(), r.reason()));
        }
        return 0;
    }
}
