package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.loss.LossGradient;
import org.tensorattention.io.Json;
import org.tensorattention.io.Npz;

/** {@code tensor-attention loss-gradient}: the training loss L(X) and dL/dX. */
final class LossGradientCommand implements Command {
    @Override
    public String name() {
        return "loss-gradient";
    }

    @Override
    public String summary() {
        return "the tensor-attention training loss L(X) and its gradient dL/dX";
    }

    @Override
    public String usage() {
        return """
                L(X) = 1/2 || D(X)^{-1} exp(c A1 X (A2 ⊗ A3)^T) (A4 ⊗ A5) Y - E ||_F^2 with ⊗ the Kronecker product.
                IN.npz: a1 .. a5 (n x d), x (d x d^2), y (d^2 x dv), e (n x dv), optional scale (0-d; default 1/d).
                OUT.npz: loss (0-d) and dx (d x d^2), in the dtype of a1. Computed through order-3 tensor attention
                of head width d^2, never forming the n^2 x d^2 Kronecker matrices.""";
    }

    @Override
    public List<Args.Option> options() {
        return List.of(
                Args.Option.value("input", "IN.npz", "arrays a1 .. a5, x, y, e and optionally scale"),
                ForwardCommand.OUTPUT,
                ForwardCommand.REPORT,
                AttentionFlags.METHOD,
                AttentionFlags.EPSILON,
                Args.THREADS);
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        AttentionOptions options = AttentionFlags.parse(args);
        Inputs.Job job = Inputs.open(args);
        List<Tensor> a = new ArrayList<>();
        for (int t = 1; t <= 5; t++) {
            a.add(job.require("a" + t));
        }
        Tensor x = job.require("x");
        Tensor y = job.require("y");
        Tensor e = job.require("e");
        Tensor scale = job.arrays().get("scale");
        if (scale != null) {
            if (scale.size() != 1 || !Double.isFinite(scale.get(0))) {
                throw new UsageException(job.input() + ": 'scale' must be one finite number, got " + scale.describe());
            }
            options = options.withScale(scale.get(0));
        }
        LossGradient.Result r;
        try (Ticker ticker = Ticker.start("loss-gradient (" + options.method().label() + ")", err)) {
            r = LossGradient.compute(a, x, y, e, options);
        }
        Map<String, Tensor> results = new LinkedHashMap<>();
        DType dt = a.get(0).dtype();
        results.put("loss", Tensor.scalar(r.loss()).to(dt));
        results.put("dx", r.dx());
        Npz.write(job.output(), results);
        if (args.has("report")) {
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
            Json.write(args.path("report"), j);
        }
        return 0;
    }
}
