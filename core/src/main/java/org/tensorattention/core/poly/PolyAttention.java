package org.tensorattention.core.poly;

import java.util.List;
import java.util.Locale;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.core.exact.ExactForward;

/** The polynomial method (SPEC.md section 2) and the auto choice between it and the exact kernel. */
public final class PolyAttention {
    private PolyAttention() {
    }

    /**
     * A validated call's balanced float64 inputs and its poly plan, made once: the method resolution, the poly
     * forward and the poly backward all read the same copy.
     */
    public static final class Prepared {
        final Inputs in;
        private final PolyPlan plan;

        private Prepared(Inputs in, PolyPlan plan) {
            this.in = in;
            this.plan = plan;
        }

        public PolyPlan plan() {
            return plan;
        }
    }

    /** Converts, balances and plans an already validated call, without running it. */
    public static Prepared prepare(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g,
                                   AttentionOptions options) {
        Inputs in = Inputs.of(q, keys, values, g, options);
        return new Prepared(in, plan(in, g, options));
    }

    /** Runs the poly forward on a prepared call whose plan is feasible. */
    public static AttentionResult forward(Prepared call, Geometry g, AttentionOptions options, String reason) {
        return run(call.in, g, options, call.plan, reason);
    }

    /**
     * Auto's fallback, which keeps auto's promise max |O - O_true| <= epsilon Vinf (O_true: attention of the
     * inputs as given, exactly): the exact kernel in float64 (float32 inputs are widened, their values exact)
     * whose rounding bound {@link #exactRounding} plus the final rounding to float32 must fit in epsilon;
     * otherwise a refusal.
     */
    public static AttentionResult exactWithinEpsilon(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g,
                                              AttentionOptions options, PolyPlan plan) {
        boolean narrow = q.dtype() == DType.FLOAT32;
        double bound = exactRounding(g, options.mask(), plan.radius()) + (narrow ? FLOAT32_OUTPUT_ROUNDING : 0);
        if (!(bound <= options.epsilon())) {
            String reach = Double.isFinite(bound) ? String.format(Locale.ROOT, "may reach %.2g Vinf", bound)
                    : "is unbounded";
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "auto cannot keep epsilon %.3g at R = %.3g: poly cannot run (%s) and the exact kernel's float64 "
                            + "rounding%s %s; use --method exact for its best effort",
                    options.epsilon(), plan.radius(), shortReason(plan), narrow ? " with the float32 output" : "",
                    reach));
        }
        if (!narrow) {
            AttentionResult r = ExactForward.run(q, g, keys, values, options);
            return new AttentionResult(r.output(), r.logSumExp(), r.method(), r.seconds(), r.flops(), null,
                    "exact: " + whyNotPoly(plan));
        }
        List<Tensor> wideKeys = keys.stream().map(t -> t.to(DType.FLOAT64)).toList();
        List<Tensor> wideValues = values.stream().map(t -> t.to(DType.FLOAT64)).toList();
        AttentionResult r = ExactForward.run(q.to(DType.FLOAT64), g, wideKeys, wideValues, options);
        return new AttentionResult(r.output().to(DType.FLOAT32), r.logSumExp(), r.method(), r.seconds(), r.flops(),
                null, "exact in float64, rounded to float32: " + whyNotPoly(plan));
    }

    /** "poly rank .. costs .. vs exact .." when poly could run but costs more, else its refusal. */
    public static String whyNotPoly(PolyPlan plan) {
        return plan.feasible() ? "poly " + plan.verdict() : plan.refusal();
    }

    /** Rounding a float64 output to float32 moves it by at most 2^-24 |O| <= 2^-24 Vinf (with room for O's error). */
    static final double FLOAT32_OUTPUT_ROUNDING = 0x1p-24 * 1.01;

    private static String shortReason(PolyPlan plan) {
        if (plan.feasible()) {
            return "slower than exact";
        }
        // The refusal's cause without its advice: after "poly cannot certify ...: ", before " (" or "; ".
        String r = plan.refusal();
        int colon = r.indexOf(": ");
        String cause = colon < 0 ? r : r.substring(colon + 2);
        for (String cut : new String[] {" (", "; "}) {
            int at = cause.indexOf(cut);
            cause = at < 0 ? cause : cause.substring(0, at);
        }
        return cause;
    }

    /**
     * A bound, relative to Vinf, on the float64 exact kernel's error for scores bounded by radius, whatever its
     * order of operations (u = 2^-53, gamma_n = n u / (1 - n u), N the most tuples a row sees):
     * <ul>
     *   <li>each score, d products of k factors summed, is off by at most gamma_{d+k+1} R, and subtracting the
     *       running maximum (|s - max| <= 2R) adds 2 u R: every weight e^{s - max} moves by a relative
     *       expm1(gamma_{d+k+1} R + 2 u R);</li>
     *   <li>exp itself: a few ulps (8 u); rescaling partial sums by exp(old - new) and summing N positive terms:
     *       gamma_{2N+16};</li>
     *   <li>weights of relative error w give normalised weights of relative error 2 w / (1 - w); the numerator's
     *       N-term sum and the division add gamma_{N+4}; weights below e^-708, flushed to 0, at most N e^-708.</li>
     * </ul>
     */
    static double exactRounding(Geometry g, Mask mask, double radius) {
        double n = 1;
        int rows = mask instanceof Mask.Full ? Math.min(1, g.nq()) : g.nq();
        for (int i = 0; i < rows; i++) {
            n = Math.max(n, mask.allowed(i, g.nk()));
        }
        double w = Math.expm1(gamma(g.d() + g.order() + 1) * radius + 2 * UNIT_ROUNDOFF * radius)
                + 8 * UNIT_ROUNDOFF + gamma(2 * n + 16);
        if (!(w < 1)) {
            return Double.POSITIVE_INFINITY;
        }
        return 2 * w / (1 - w) + gamma(n + 4) + n * Math.exp(-708);
    }

    private static final double UNIT_ROUNDOFF = PolyPlan.UNIT_ROUNDOFF;

    private static double gamma(double count) {
        return PolyPlan.gamma(count, UNIT_ROUNDOFF);
    }

    /**
     * What the polynomial method would need for this call (degree, rank, R, delta, predicted flops, and a
     * refusal when it cannot or should not run), without running it.
     */
    public static PolyPlan plan(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        Geometry g = Validation.geometry(q, keys, values);
        options = Validation.align(g, options);
        return plan(Inputs.of(q, keys, values, g, options), g, options);
    }

    /** Working memory the poly kernel may allocate. */
    static double memoryCap() {
        return Math.min(Runtime.getRuntime().maxMemory() / 2.0, 8e9);
    }

    static PolyPlan plan(Inputs in, Geometry g, AttentionOptions options) {
        // On the balanced data: the same bound as on the caller's, but its products cannot overflow.
        double radius = ScoreBound.radius(g, in.scale, in.q, in.k);
        return PolyPlan.of(radius, g, options.mask(), options.epsilon(), in.dtype, options.threadCount(),
                memoryCap(), true, in.balance.magnitude);
    }

    private static AttentionResult run(Inputs in, Geometry g, AttentionOptions options, PolyPlan plan,
                                       String reason) {
        long start = System.nanoTime();
        double[] lse = new double[g.problems() * g.nq()];
        double[] out = compute(in, g, options, RowLevels.forCall(plan, g, in.balance.magnitude), lse, plan.float32());
        double seconds = (System.nanoTime() - start) * 1e-9;
        double vinf = in.vinf;
        double weightError = 2 * plan.delta() / (1 - plan.delta());
        // Float32: the cast rounds relatively, and absolutely by half a subnormal step where o underflows.
        double castError = in.dtype == DType.FLOAT32 ? 0x1p-23 : 0;
        double underflow = in.dtype == DType.FLOAT32 ? 0x1p-150 : 0;
        AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(), plan.radius(),
                plan.delta(), (weightError + castError) * vinf + underflow);
        Tensor lseT = RowOrder.scatter(lse, g.nq(), g.qHeads(), 1, Geometry.concat(in.lead, g.nq()), DType.FLOAT64);
        // Float32 inputs: the reason says which arithmetic ran (float64 inputs keep theirs unchanged).
        String said = in.dtype == DType.FLOAT32 && reason != null ? reason + "; " + plan.arithmetic() : reason;
        return new AttentionResult(in.output(out, g), lseT, Method.POLY, seconds, plan.predictedFlops(), info, said);
    }

    /** The poly forward in float64 with a given polynomial (certified on [-R, R] for this call's R), in the caller's scale. */
    static double[] compute(Inputs in, Geometry g, AttentionOptions options, ExpPolynomial p) {
        return compute(in, g, options, RowLevels.single(p), null, false);
    }

    /**
     * The same with a level per query row ({@link RowLevels}), filling lse (problems x nq) unless it is null; in
     * the float32 mode ({@link Float32Forward}, full mask) when float32 is true.
     */
    static double[] compute(Inputs in, Geometry g, AttentionOptions options, RowLevels levels, double[] lse,
                            boolean float32) {
        FeatureMap fm = new FeatureMap(levels, g.d(), in.scale);
        double[] out = new double[g.problems() * g.nq() * g.dv()];
        if (float32) {
            Float32Forward.run(g, fm, in.q, in.k, in.v, out, lse, options.threadCount());
        } else {
            PolyForward.run(g, in.scale, options.mask(), fm, in.q, in.k, in.v, out, lse, options.threadCount());
        }
        in.balance.restoreOutput(out);
        return out;
    }

    /**
     * The call's arrays as balanced float64 copies ({@link Balance}) in bhsd order ({@link RowOrder}: bshd rows
     * are gathered in the same copy), the scale left after folding, the caller's Vinf, and what the output needs
     * to be scaled and cast back.
     */
    record Inputs(double[] q, double[][] k, double[][] v, double scale, DType dtype, int[] lead, Balance balance,
                  double vinf) {
        static Inputs of(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry g, AttentionOptions options) {
            double[] q64 = RowOrder.gather(q, g.nq(), g.qHeads(), g.d());
            double[][] k64 = new double[keys.size()][];
            double[][] v64 = new double[values.size()][];
            for (int t = 0; t < k64.length; t++) {
                k64[t] = RowOrder.gather(keys.get(t), g.nk()[t], g.kvHeads(), g.d());
                v64[t] = RowOrder.gather(values.get(t), g.nk()[t], g.kvHeads(), g.dv());
            }
            double vinf = ScoreBound.valueScale(g, v64);
            Balance b = Balance.apply(g, options.scaleFor(g.d()), q64, k64, v64);
            return new Inputs(q64, k64, v64, b.scale, q.dtype(), Geometry.leading(q), b, vinf);
        }

        /** An output in the caller's scale, cast to q's dtype, in the caller's layout. */
        Tensor output(double[] out, Geometry g) {
            return Validation.requireInRange("o", RowOrder.scatter(out, g.nq(), g.qHeads(), g.dv(), Geometry.concat(lead, g.nq(), g.dv()),
                    dtype));
        }
    }
}
