package org.tensorattention.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.Validation;
import org.tensorattention.core.grad.ExactBackward;
import org.tensorattention.core.poly.PolyPlan;

/**
 * Tensor attention on Apache Spark: the same calls, options and results as {@link TensorAttention}, with the
 * work cut into Spark tasks. Results equal the single-machine ones up to the order of floating-point sums, and
 * do not depend on the order in which tasks run.
 *
 * <pre>{@code
 * SparkAttention.Result r = SparkAttention.forward(sc, q, List.of(k1, k2), List.of(v1, v2),
 *         AttentionOptions.defaults().causal(), Settings.defaults());
 * r.result().output(); r.report().tasks();
 * }</pre>
 */
public final class SparkAttention {
    private SparkAttention() {
    }

    /** A forward result and what the distributed run did. */
    public record Result(AttentionResult result, Report report) {
    }

    /** A backward result and what the distributed run did. */
    public record Gradients(GradientResult result, Report report) {
    }

    /** O (and for exact the log-sum-exp), as {@link TensorAttention#forward}. */
    public static Result forward(JavaSparkContext sc, Tensor q, List<Tensor> keys, List<Tensor> values,
                                 AttentionOptions options, Settings settings) {
        Call c = new Call(q, keys, values, options);
        try (Run run = new Run(sc)) {
            return forward(run, c, options, settings);
        }
    }

    private static Result forward(Run run, Call c, AttentionOptions options, Settings settings) {
        if (options.method() == Method.EXACT) {
            return exactForward(run, c, settings, "exact requested");
        }
        PolyRun pr = PolyRun.start(run, c, settings, options, null);
        PolyPlan plan = pr.bound.plan();
        if (options.method() == Method.AUTO && !plan.cheaperThanExact()) {
            // The single machine's words; it also widens float32 to float64 here, which this path does not.
            return exactForward(run, c, settings,
                    "exact: " + (plan.feasible() ? "poly " + plan.verdict() : plan.refusal()));
        }
        if (!plan.feasible()) {
            throw new IllegalArgumentException(plan.refusal());
        }
        String reason = (options.method() == Method.AUTO ? "poly: " : "poly requested: ") + plan.verdict();
        double[] out = PolySpark.forward(run, c, pr.poly, (int) plan.rank(), pr.keys, pr.queries, pr.scans);
        Report report = run.finish();
        AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(), plan.radius(),
                plan.delta(), org.tensorattention.core.poly.PolyBlocks.errorBound(plan, c.dtype, pr.bound.vinf()));
        return new Result(new AttentionResult(Tensor.of(out, c.outputShape()).to(c.dtype), null, Method.POLY,
                report.seconds(), plan.predictedFlops(), info, reason), report);
    }

    private static Result exactForward(Run run, Call c, Settings settings, String reason) {
        ExactSpark.Forward f = ExactSpark.forward(run, c, settings);
        Report report = run.finish();
        return new Result(new AttentionResult(tensor(f.out(), c.outputShape()), Tensor.of(f.lse(), c.lseShape()),
                Method.EXACT, report.seconds(), c.g.exactFlops(c.mask), null, reason), report);
    }

    /**
     * dQ, dK, dV, as {@link TensorAttention#backward}.
     *
     * @param forward an exact forward result of the same call to reuse (its output and log-sum-exp), or null
     */
    public static Gradients backward(JavaSparkContext sc, Tensor q, List<Tensor> keys, List<Tensor> values,
                                     Tensor dout, AttentionResult forward, AttentionOptions options,
                                     Settings settings) {
        Call c = new Call(q, keys, values, options);
        int[] expected = c.outputShape();
        if (!java.util.Arrays.equals(dout.shape(), expected)) {
            throw new IllegalArgumentException("dout has shape " + Tensor.shapeString(dout.shape())
                    + " but the output has shape " + Tensor.shapeString(expected));
        }
        Validation.requireFinite("dout", dout);
        try (Run run = new Run(sc)) {
            return backward(run, c, keys, values, Rows.of(dout), forward, options, settings);
        }
    }

    private static Gradients backward(Run run, Call c, List<Tensor> keys, List<Tensor> values, Rows dO,
                                      AttentionResult forward, AttentionOptions options, Settings settings) {
        if (options.method() != Method.EXACT) {
            PolyRun pr = PolyRun.start(run, c, settings, options, dO);
            PolyPlan plan = pr.bound.plan();
            boolean poly = options.method() == Method.POLY || plan.cheaperThanExact();
            if (poly) {
                if (!plan.feasible()) {
                    throw new IllegalArgumentException(plan.refusal());
                }
                PolySpark.Backward b = c.mask instanceof Mask.Full
                        ? PolySpark.backwardFull(run, c, pr.poly, (int) plan.rank(), pr.qBounds, pr.kBounds, pr.keys,
                                pr.queries)
                        : PolySpark.backwardMasked(run, c, pr.poly, dO);
                Report report = run.finish();
                AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(),
                        plan.radius(), plan.delta(), Double.NaN);
                String reason = options.method() == Method.POLY ? "poly backward: " + plan.verdict()
                        : "poly: " + plan.verdict();
                return new Gradients(gradients(c, keys, values, Tensor.of(b.out(), c.outputShape()).to(c.dtype),
                        b.dq(), b.dk(), b.dv(), Method.POLY, report.seconds(), 3 * plan.predictedFlops(), info,
                        reason), report);
            }
        }
        Rows out;
        double[] lse;
        if (forward != null && forward.method() == Method.EXACT && forward.logSumExp() != null) {
            out = Rows.of(forward.output());
            lse = forward.logSumExp().doubles();
        } else {
            ExactSpark.Forward f = ExactSpark.forward(run, c, settings);
            out = f.out();
            lse = f.lse();
        }
        ExactSpark.Gradients g = ExactSpark.backward(run, c, settings, dO, out.f64(), lse);
        Report report = run.finish();
        String reason = options.method() == Method.EXACT ? "exact requested" : "exact: poly not cheaper";
        return new Gradients(gradients(c, keys, values, tensor(out, c.outputShape()), g.dq(), g.dk(), g.dv(),
                Method.EXACT, report.seconds(), ExactBackward.flops(c.g, c.mask), null, reason), report);
    }

    private static GradientResult gradients(Call c, List<Tensor> keys, List<Tensor> values, Tensor out, double[] dq,
                                            double[][] dk, double[][] dv, Method method, double seconds, double flops,
                                            AttentionResult.PolyInfo info, String reason) {
        List<Tensor> dkT = new ArrayList<>();
        List<Tensor> dvT = new ArrayList<>();
        for (int t = 0; t < dk.length; t++) {
            dkT.add(Tensor.of(dk[t], keys.get(t).shape()).to(keys.get(t).dtype()));
            dvT.add(Tensor.of(dv[t], values.get(t).shape()).to(values.get(t).dtype()));
        }
        int[] qShape = Geometry.concat(c.lead, c.g.nq(), c.g.d());
        return new GradientResult(out, Tensor.of(dq, qShape).to(c.dtype), dkT, dvT, method, seconds, flops, info,
                reason);
    }

    private static Tensor tensor(Rows r, int[] shape) {
        return r.isFloat() ? Tensor.of(r.f, shape) : Tensor.of(r.d, shape);
    }

    /** The chunks and the bound of a poly call: what forward and backward share. */
    private record PolyRun(PolySpark.Bound bound, PolySpark.Poly poly, int[] qBounds, int[] kBounds,
                           JavaRDD<PolySpark.Chunk> keys, JavaRDD<PolySpark.Chunk> queries,
                           JavaRDD<PolySpark.Chunk> scans) {

        static PolyRun start(Run run, Call c, Settings s, AttentionOptions options, Rows dout) {
            int chunks = Blocks.perProblem(s, c.g.problems(), run.cores());
            int[] qBounds = PolySpark.bounds(c.g.nq(), chunks);
            int[] kBounds = PolySpark.bounds(minKeys(c), chunks);
            JavaRDD<PolySpark.Chunk> keys = null;
            JavaRDD<PolySpark.Chunk> queries;
            JavaRDD<PolySpark.Chunk> scans = null;
            if (c.mask instanceof Mask.Full) {
                List<PolySpark.Chunk> kc = PolySpark.keyChunks(c, kBounds);
                keys = run.sc.parallelize(kc, kc.size());
                List<PolySpark.Chunk> qc = PolySpark.queryChunks(c, qBounds, false, 0, dout);
                queries = run.sc.parallelize(qc, qc.size());
            } else {
                for (int nk : c.g.nk()) {
                    if (nk != c.g.nq()) {
                        throw new IllegalArgumentException("on Spark the polynomial method's causal and window masks "
                                + "need keys as long as the queries (" + nk + " keys, " + c.g.nq() + " queries)");
                    }
                }
                int halo = 0;
                for (int w : ((Mask.Window) c.mask).widths()) {
                    halo = Math.max(halo, w - 1);
                }
                List<PolySpark.Chunk> sc = PolySpark.queryChunks(c, qBounds, true, halo, null);
                scans = run.sc.parallelize(sc, sc.size());
                // The radius needs every key row; the chunks with their halos cover them (max does not mind overlap).
                keys = scans;
                queries = scans;
            }
            PolySpark.Bound bound = PolySpark.bound(run, c, keys, queries, options);
            PolyPlan plan = bound.plan();
            PolySpark.Poly poly = plan.polynomial() == null ? null : PolySpark.Poly.of(plan.polynomial(), bound.shifts());
            return new PolyRun(bound, poly, qBounds, kBounds, keys, queries, scans);
        }

        private static int minKeys(Call c) {
            int m = Integer.MAX_VALUE;
            for (int nk : c.g.nk()) {
                m = Math.min(m, nk);
            }
            return m;
        }
    }
}
