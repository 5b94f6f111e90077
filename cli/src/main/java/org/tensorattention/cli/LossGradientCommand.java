package org.tensorattention.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.loss.LossGradient;
import org.tensorattention.io.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code tensor-attention loss-gradient}: the training loss L(X) and dL/dX. */
@Command(name = "loss-gradient", mixinStandardHelpOptions = true,
        header = "the tensor-attention training loss L(X) and its gradient dL/dX",
        description = {
            "L(X) = 1/2 || D(X)^{-1} exp(c A1 X (A2 ⊗ A3)^T) (A4 ⊗ A5) Y - E ||_F^2 with ⊗ the Kronecker product. "
                    + "IN.npz: a1 .. a5 (n x d), x (d x d^2), y (d^2 x dv), e (n x dv), optional scale (0-d; default "
                    + "1/d). OUT.npz: loss (0-d) and dx (d x d^2), in the dtype of a1. Computed through order-3 tensor "
                    + "attention of head width d^2, never forming the n^2 x d^2 Kronecker matrices."})
final class LossGradientCommand extends Base {
    @Mixin
    Inputs.FileFlags files;

    @Mixin
    AttentionFlags.MethodFlags method;

    @Mixin
    Flags.Quiet quiet;

    @Override
    int run() throws Exception {
        AttentionOptions options = method.options();
        try (Inputs.Job job = Inputs.open(name(), files, in, out)) {
            List<Tensor> a = new ArrayList<>();
            for (int t = 1; t <= 5; t++) {
                a.add(job.require("a" + t));
            }
            Tensor x = job.require("x");
            Tensor y = job.require("y");
            Tensor e = job.require("e");
            Tensor scale = job.optional("scale");
            job.finish("a1", err);
            Inputs.requireRoom(a.get(0).dtype(), Map.of("dx", (long) x.size()));
            if (scale != null) {
                if (scale.size() != 1 || !Double.isFinite(scale.get(0))) {
                    throw new UsageException(job.input + ": 'scale' must be one finite number, got " + scale.describe());
                }
                options = options.withScale(scale.get(0));
            }
            LossGradient.Result r;
            try (Progress.Running p = Progress.whileRunning("loss-gradient (" + options.method().label() + ")", err)) {
                r = LossGradient.compute(a, x, y, e, options);
            }
            Map<String, Tensor> results = new LinkedHashMap<>();
            DType dt = a.get(0).dtype();
            results.put("loss", Tensor.scalar(r.loss()).to(dt));
            results.put("dx", r.dx());
            job.output.writeNpz(results);
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("command", name());
            j.put("method", r.method().label());
            j.put("seconds", r.seconds());
            j.put("flops", r.flops());
            j.put("n", a.get(0).dim(0));
            j.put("d", a.get(0).dim(-1));
            j.put("dv", y.dim(-1));
            j.put("loss", r.loss());
            j.put("reason", r.reason());
            Reports.putPoly(j, r.poly());
            job.report(j);
        }
        return 0;
    }
}
