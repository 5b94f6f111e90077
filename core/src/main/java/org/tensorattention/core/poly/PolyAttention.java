package org.tensorattention.core.poly;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/** The polynomial method (SPEC.md section 2) and the auto choice between it and the exact kernel. */
public final class PolyAttention {
    private PolyAttention() {
    }

    /** Runs method poly or auto for an already validated call. */
    public static AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g,
                                          AttentionOptions options) {
        Inputs in = Inputs.of(q, keys, values, g, options);
        PolyPlan plan = plan(in, g, options);
        if (options.method() == Method.AUTO) {
            if (!plan.cheaperThanExact()) {
                AttentionResult r = TensorAttention.exact(q, g, keys, values, options);
                return new AttentionResult(r.output(), r.logSumExp(), r.method(), r.seconds(), r.flops(), null,
                        "exact: poly " + plan.verdict());
            }
            return run(in, g, options, plan, "poly: " + plan.verdict());
        }
        if (!plan.feasible()) {
            throw new IllegalArgumentException(plan.refusal());
        }
        return run(in, g, options, plan, "poly requested: " + plan.verdict());
    }

    /**
     * What the polynomial method would need for this call (degree, rank, R, delta, predicted flops, and a
     * refusal when it cannot or should not run), without running it.
     */
    public static PolyPlan plan(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        Geometry g = TensorAttention.geometry(q, keys, values);
        options.mask().checkOrder(g.order());
        return plan(Inputs.of(q, keys, values, g, options), g, options);
    }

    /** Working memory the poly kernel may allocate. */
    static double memoryCap() {
        return Math.min(Runtime.getRuntime().maxMemory() / 2.0, 8e9);
    }

    static PolyPlan plan(Inputs in, Geometry g, AttentionOptions options) {
        double radius = ScoreBound.radius(g, in.scale, in.q, in.k);
        return PolyPlan.of(radius, g, options.mask(), options.epsilon(), in.dtype, options.threadCount(),
                memoryCap());
    }

    private static AttentionResult run(Inputs in, Geometry g, AttentionOptions options, PolyPlan plan,
                                       String reason) {
        long start = System.nanoTime();
        double[] out = compute(in, g, options, plan.polynomial());
        double seconds = (System.nanoTime() - start) * 1e-9;
        double vinf = ScoreBound.valueScale(g, in.v);
        double weightError = 2 * plan.delta() / (1 - plan.delta());
        double castError = in.dtype == DType.FLOAT32 ? 0x1p-23 : 0;
        AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(), plan.radius(),
                plan.delta(), (weightError + castError) * vinf);
        return new AttentionResult(in.output(out, g), null, Method.POLY, seconds, plan.predictedFlops(), info,
                reason);
    }

    /** The poly forward in float64 with a given polynomial (certified on [-R, R] for this call's R). */
    static double[] compute(Inputs in, Geometry g, AttentionOptions options, ExpPolynomial p) {
        FeatureMap fm = new FeatureMap(p, g.d(), in.scale);
        double[] out = new double[g.problems() * g.nq() * g.dv()];
        PolyForward.run(g, in.scale, options.mask(), fm, in.q, in.k, in.v, out, options.threadCount());
        return out;
    }

    /** The call's arrays in float64, and what the output needs to be cast back. */
    record Inputs(double[] q, double[][] k, double[][] v, double scale, DType dtype, int[] lead) {
        static Inputs of(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g, AttentionOptions options) {
            return new Inputs(q.to(DType.FLOAT64).doubles(), TensorAttention.doubles(keys),
                    TensorAttention.doubles(values), options.scaleFor(g.d()), q.dtype(), TensorAttention.leading(q));
        }

        Tensor output(double[] out, Geometry g) {
            Tensor t = Tensor.of(out, TensorAttention.concat(lead, g.nq(), g.dv()));
            return t.to(dtype);
        }
    }
}
