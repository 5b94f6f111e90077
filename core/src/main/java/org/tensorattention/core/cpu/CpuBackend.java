package org.tensorattention.core.cpu;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Backend;
import org.tensorattention.core.DType;
import org.tensorattention.core.Estimate;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Layouts;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.core.Vectorization;
import org.tensorattention.core.exact.ExactForward;
import org.tensorattention.core.grad.ExactBackward;
import org.tensorattention.core.poly.PolyAttention;
import org.tensorattention.core.poly.PolyBackward;
import org.tensorattention.core.poly.PolyPlan;

/** The library's own kernels on this machine's cores: every dtype, order, mask and method. */
public final class CpuBackend implements Backend {
    public static final CpuBackend INSTANCE = new CpuBackend();

    /** Public for the service loader, which the facade finds it through; stateless, so any instance will do. */
    public CpuBackend() {
    }

    @Override
    public boolean supports(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        return q.dtype() == DType.FLOAT32 || q.dtype() == DType.FLOAT64;
    }

    @Override
    public Estimate estimate(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        if (options.layout() == AttentionOptions.Layout.BSHD) {
            return estimate(Layouts.toBhsd("q", q), Layouts.toBhsd("k", keys), Layouts.toBhsd("v", values),
                    options.withLayout(AttentionOptions.Layout.BHSD));
        }
        Geometry g = Validation.geometry(q, keys, values);
        options = Validation.align(g, options);
        Plan plan = resolve(q, keys, values, g, options);
        if (plan.method() == Method.EXACT) {
            return new Estimate(Method.EXACT, plan.g().exactFlops(options.mask()), null, plan.reason());
        }
        PolyPlan p = plan.poly().plan();
        return new Estimate(Method.POLY, p.predictedFlops(),
                new AttentionResult.PolyInfo(p.degree(), p.rank(), p.radius(), p.delta(), Double.NaN), plan.reason());
    }

    @Override
    public AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        if (options.layout() == AttentionOptions.Layout.BSHD
                && (options.method() == Method.EXACT || !Vectorization.AVAILABLE)) {
            return exactBshd(q, keys, values, options);
        }
        if (options.layout() == AttentionOptions.Layout.BSHD) {
            AttentionResult r = forward(Layouts.toBhsd("q", q), Layouts.toBhsd("k", keys),
                    Layouts.toBhsd("v", values), options.withLayout(AttentionOptions.Layout.BHSD));
            return new AttentionResult(Layouts.toBshd(r.output()), r.logSumExp() == null ? null
                    : Layouts.lseToBshd(r.logSumExp()), r.method(), r.seconds(), r.flops(), r.poly(), r.reason());
        }
        Geometry g = Validation.geometry(q, keys, values);
        options = Validation.align(g, options);
        Plan plan = resolve(q, keys, values, g, options);
        if (plan.method() == Method.EXACT && !plan.fallback()) {
            AttentionResult r = ExactForward.run(q, plan.g(), keys, values, options);
            return new AttentionResult(r.output(), r.logSumExp(), r.method(), r.seconds(), r.flops(), null,
                    Vectorization.say(plan.reason()));
        }
        if (plan.method() == Method.POLY) {
            return PolyAttention.forward(plan.poly(), plan.g(), options, plan.reason());
        }
        return PolyAttention.exactWithinEpsilon(q, keys, values, plan.g(), options, plan.poly().plan());
    }

    /**
     * bshd read and written in place by the exact kernels: the arrays keep their order, their shapes are relabelled
     * bhsd, and the geometry interleaves the heads' rows.
     */
    private static AttentionResult exactBshd(Tensor q, List<Tensor> keys, List<Tensor> values,
                                             AttentionOptions options) {
        Tensor qh = Layouts.headsFirst("q", q);
        List<Tensor> kh = Layouts.headsFirst("k", keys);
        List<Tensor> vh = Layouts.headsFirst("v", values);
        Geometry g = Validation.geometry(qh, kh, vh).interleaved(q.dim(-2), keys.get(0).dim(-2));
        options = Validation.align(g, options.withLayout(AttentionOptions.Layout.BHSD));
        String reason = resolve(qh, kh, vh, g, options).reason();
        AttentionResult r = ExactForward.run(qh, g, kh, vh, options);
        return new AttentionResult(Layouts.relabel(r.output(), r.output().rank() - 3),
                Layouts.relabel(r.logSumExp(), r.logSumExp().rank() - 2), r.method(), r.seconds(), r.flops(), null,
                Vectorization.say(reason));
    }

    @Override
    public GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                   AttentionResult forward, AttentionOptions options) {
        if (options.layout() == AttentionOptions.Layout.BSHD) {
            return backwardBshd(q, keys, values, dout, forward, options);
        }
        Geometry g = Validation.geometry(q, keys, values);
        options = Validation.align(g, options);
        Validation.requireDout(q, g, dout);
        Vectorization.require("the backward pass");
        if (options.method() == Method.AUTO && forward != null && forward.method() == Method.EXACT
                && forward.logSumExp() != null) {
            // The forward already resolved auto to exact: reuse its choice, output and log-sum-exp.
            return ExactBackward.run(q, keys, values, dout, forward, g, options, forward.reason());
        }
        Plan plan = resolve(q, keys, values, g, options);
        if (plan.method() == Method.EXACT) {
            return ExactBackward.run(q, keys, values, dout, forward, g, options, plan.reason());
        }
        GradientResult r = PolyBackward.run(q, keys, values, dout, plan.poly(), forward, g, options);
        return new GradientResult(r.output(), r.dq(), r.dk(), r.dv(), r.method(), r.seconds(), r.flops(), r.poly(),
                options.method() == Method.AUTO ? plan.reason() : r.reason());
    }

    /** bshd through the bhsd kernels: axes swapped on the way in and back on the way out. */
    private GradientResult backwardBshd(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                        AttentionResult forward, AttentionOptions options) {
        AttentionResult f = forward == null ? null : new AttentionResult(Layouts.toBhsd("o", forward.output()),
                forward.logSumExp() == null ? null
                        : Layouts.swapAdjacent(forward.logSumExp(), forward.logSumExp().rank() - 2),
                forward.method(), forward.seconds(), forward.flops(), forward.poly(), forward.reason());
        GradientResult r = backward(Layouts.toBhsd("q", q), Layouts.toBhsd("k", keys), Layouts.toBhsd("v", values),
                Layouts.toBhsd("dout", dout), f, options.withLayout(AttentionOptions.Layout.BHSD));
        return new GradientResult(Layouts.toBshd(r.output()), Layouts.toBshd(r.dq()), Layouts.toBshd(r.dk()),
                Layouts.toBshd(r.dv()), r.method(), r.seconds(), r.flops(), r.poly(), r.reason());
    }

    /**
     * Exact when asked; poly when asked (refused when it cannot certify epsilon); auto: poly when its certified
     * plan is cheaper than exact (or there is nothing to compute), else exact in float64 within epsilon.
     */
    private static Plan resolve(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g,
                                AttentionOptions options) {
        if (options.method() == Method.POLY) {
            Vectorization.require("the polynomial method");
        }
        if (options.method() == Method.EXACT || !Vectorization.AVAILABLE) {
            return new Plan(g, Method.EXACT, false, null, options.method() == Method.AUTO
                    ? "exact: the polynomial method needs the Vector API" : "exact requested");
        }
        PolyAttention.Prepared call = PolyAttention.prepare(q, keys, values, g, options);
        PolyPlan p = call.plan();
        if (options.method() == Method.POLY) {
            if (!p.feasible()) {
                throw new IllegalArgumentException(p.refusal());
            }
            return new Plan(g, Method.POLY, false, call, "poly requested: " + p.verdict());
        }
        boolean empty = g.problems() == 0 || g.nq() == 0;
        if (p.cheaperThanExact() || empty) {
            return new Plan(g, Method.POLY, false, call, "poly: " + (empty ? "no query rows" : p.verdict()));
        }
        return new Plan(g, Method.EXACT, true, call, "exact: " + PolyAttention.whyNotPoly(p));
    }
}
