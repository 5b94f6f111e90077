package org.tensorattention.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.AttentionFiles;
import org.tensorattention.io.Progress;
import picocli.CommandLine.Command;

/** {@code tensor-attention backward}: O and the gradients of q, keys and values from dout. */
@Command(name = "backward", mixinStandardHelpOptions = true,
        header = "gradients dq, dk1.., dv1.. of tensor attention given dout = dL/dO",
        description = {
            "IN.npz holds the forward's arrays (q, k1.., v1..) plus dout, shaped like o. OUT.npz holds o, dq, "
                    + "dk1 .. dk{k-1} and dv1 .. dv{k-1}, in the dtype of q. Grouped-query heads sum their gradients "
                    + "into the shared keys and values."})
final class BackwardCommand extends AttentionCommand {
    @Override
    int runHere(AttentionOptions options) throws Exception {
        try (Inputs.Job job = Inputs.open(name(), files, in, out)) {
            Inputs.Attention a = Inputs.attention(job, options);
            Tensor dout = job.require("dout");
            AttentionFiles.requireDoutShape(a.q(), a.values().get(0), dout);
            job.finish("q", err);
            // The library checks o before any work; the gradients come on top of it.
            Map<String, Long> sizes = new LinkedHashMap<>();
            sizes.put("o", Inputs.outputElements(a.q(), a.values().get(0)));
            sizes.put("dq", (long) a.q().size());
            for (int t = 0; t < a.keys().size(); t++) {
                sizes.put("dk" + (t + 1), (long) a.keys().get(t).size());
                sizes.put("dv" + (t + 1), (long) a.values().get(t).size());
            }
            Inputs.requireRoom(a.q().dtype(), sizes);
            GradientResult r;
            try (Progress.Running p = Progress.whileRunning("backward (" + options.method().label() + ")", err)) {
                r = a.packed() ? Packed.backward(a.q(), a.keys(), a.values(), dout, a.cuQ(), a.cuK(), options)
                        : TensorAttention.backward(a.q(), a.keys(), a.values(), dout, null, options);
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
            job.output.writeNpz(results);
            job.report(Reports.attention(name(), a.geometry(), a.q(), options, r.method(), r.seconds(), r.flops(), r.poly(), r.reason()));
        }
        return 0;
    }
}
