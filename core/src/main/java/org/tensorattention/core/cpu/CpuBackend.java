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
        Call c = Call.of(q, keys, values, options);
        options = Validation.align(c.g(), options);
        Plan plan = resolve(c.q(), c.keys(), c.values(), c.g(), options);
        if (plan.method() == Method.EXACT) {
            return new Estimate(Method.EXACT, plan.g().exactFlops(options.mask()), null, plan.reason());
        }
        PolyPlan p = plan.poly().plan();
        return new Estimate(Method.POLY, p.predictedFlops(),
                new AttentionResult.PolyInfo(p.degree(), p.rank(), p.radius(), p.delta(), Double.NaN), plan.reason());
    }

    @Override
    public AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        Call c = Call.of(q, keys, values, options);
        options = Validation.align(c.g(), options);
        Plan plan = resolve(c.q(), c.keys(), c.values(), c.g(), options);
        if (plan.method() == Method.EXACT && !plan.fallback()) {
            AttentionResult r = ExactForward.run(c.q(), plan.g(), c.keys(), c.values(), options);
            return c.out(new AttentionResult(r.output(), r.logSumExp(), r.method(), r.seconds(), r.flops(), null,
                    Vectorization.say(plan.reason())));
        }
        if (plan.method() == Method.POLY) {
            return c.out(PolyAttention.forward(plan.poly(), plan.g(), options, plan.reason()));
        }
        return c.out(PolyAttention.exactWithinEpsilon(c.q(), c.keys(), c.values(), plan.g(), options,
                plan.poly().plan()));
    }

    @Override
    public GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                   AttentionResult forward, AttentionOptions options) {
        Call c = Call.of(q, keys, values, options);
        Geometry g = c.g();
        options = Validation.align(g, options);
        Tensor dO = c.in("dout", dout);
        Validation.requireDout(c.q(), g, dO);
        Vectorization.require("the backward pass");
        AttentionResult f = c.in(forward);
        if (options.method() == Method.AUTO && f != null && f.method() == Method.EXACT && f.logSumExp() != null) {
            // The forward already resolved auto to exact: reuse its choice, output and log-sum-exp.
            return c.out(ExactBackward.run(c.q(), c.keys(), c.values(), dO, f, g, options, f.reason()));
        }
        Plan plan = resolve(c.q(), c.keys(), c.values(), g, options);
        if (plan.method() == Method.EXACT) {
            return c.out(ExactBackward.run(c.q(), c.keys(), c.values(), dO, f, g, options, plan.reason()));
        }
        GradientResult r = PolyBackward.run(c.q(), c.keys(), c.values(), dO, plan.poly(), f, g, options);
        return c.out(new GradientResult(r.output(), r.dq(), r.dk(), r.dv(), r.method(), r.seconds(), r.flops(),
                r.poly(), options.method() == Method.AUTO ? plan.reason() : r.reason()));
    }

    /**
     * A call's arrays as every kernel takes them. bhsd: as given. bshd: read and written in place, with the
     * shapes relabelled bhsd (seq and heads swapped, no copy) and a geometry that interleaves the heads' rows;
     * results come back relabelled bshd over the order the kernels wrote.
     */
    private record Call(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g, boolean bshd) {
        static Call of(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
            Geometry g = Validation.geometry(q, keys, values, options.layout());
            if (options.layout() != AttentionOptions.Layout.BSHD) {
                return new Call(q, keys, values, g, false);
            }
            return new Call(Layouts.headsFirst("q", q), Layouts.headsFirst("k", keys),
                    Layouts.headsFirst("v", values), g, true);
        }

        /** An array shaped like the output (dout), relabelled as the inputs are. */
        Tensor in(String name, Tensor t) {
            return bshd ? Layouts.headsFirst(name, t) : t;
        }

        /** A forward result given to the backward, relabelled as the inputs are. */
        AttentionResult in(AttentionResult r) {
            return r == null ? null : relabelled(r, true);
        }

        AttentionResult out(AttentionResult r) {
            return relabelled(r, false);
        }

        /** The swap of seq and heads in the shapes is its own inverse: one relabelling serves both ways. */
        private AttentionResult relabelled(AttentionResult r, boolean input) {
            if (!bshd) {
                return r;
            }
            Tensor lse = r.logSumExp() == null ? null : Layouts.relabel(r.logSumExp(), r.logSumExp().rank() - 2);
            return new AttentionResult(input ? in("o", r.output()) : back(r.output()), lse, r.method(), r.seconds(),
                    r.flops(), r.poly(), r.reason());
        }

        GradientResult out(GradientResult r) {
            if (!bshd) {
                return r;
            }
            return new GradientResult(back(r.output()), back(r.dq()), r.dk().stream().map(Call::back).toList(),
                    r.dv().stream().map(Call::back).toList(), r.method(), r.seconds(), r.flops(), r.poly(),
                    r.reason());
        }

        private static Tensor back(Tensor t) {
            return Layouts.relabel(t, t.rank() - 3);
        }
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
