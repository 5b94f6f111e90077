package org.tensorattention.spark;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionOptions.Layout;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Backend;
import org.tensorattention.core.DType;
import org.tensorattention.core.Estimate;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Packed;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.Validation;
import org.tensorattention.core.grad.ExactBackward;
import org.tensorattention.io.AttentionFiles;
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
        if (options.layout() == Layout.BSHD) {
            // Relabelled: the tasks cut bhsd rows; an O(n d) copy each way against the kernels' O(n^k d).
            Result r = forward(sc, BshdCopies.toBhsd("q", q), BshdCopies.toBhsd("k", keys), BshdCopies.toBhsd("v", values),
                    options.withLayout(Layout.BHSD), settings);
            AttentionResult a = r.result();
            return new Result(new AttentionResult(BshdCopies.toBshd(a.output()),
                    a.logSumExp() == null ? null : BshdCopies.lseToBshd(a.logSumExp()), a.method(), a.seconds(),
                    a.flops(), a.poly(), a.reason()), r.report());
        }
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
        PolySpark.Forward f = PolySpark.forward(run, c, pr.poly, (int) plan.rank(), pr.keys, pr.queries, pr.scans);
        Report report = run.finish();
        AttentionResult.PolyInfo info = new AttentionResult.PolyInfo(plan.degree(), plan.rank(), plan.radius(),
                plan.delta(), org.tensorattention.core.poly.PolyBlocks.errorBound(plan, c.dtype, pr.bound.vinf()));
        return new Result(new AttentionResult(Tensor.of(f.out(), c.outputShape()).to(c.dtype),
                f.lse() == null ? null : Tensor.of(f.lse(), c.lseShape()), Method.POLY,
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
        if (options.layout() == Layout.BSHD) {
            AttentionResult f = forward == null ? null : new AttentionResult(BshdCopies.toBhsd("o", forward.output()),
                    forward.logSumExp() == null ? null
                            : BshdCopies.swapAdjacent(forward.logSumExp(), forward.logSumExp().rank() - 2),
                    forward.method(), forward.seconds(), forward.flops(), forward.poly(), forward.reason());
            Gradients r = backward(sc, BshdCopies.toBhsd("q", q), BshdCopies.toBhsd("k", keys),
                    BshdCopies.toBhsd("v", values), BshdCopies.toBhsd("dout", dout), f, options.withLayout(Layout.BHSD),
                    settings);
            GradientResult g = r.result();
            return new Gradients(new GradientResult(BshdCopies.toBshd(g.output()), BshdCopies.toBshd(g.dq()),
                    BshdCopies.toBshd(g.dk()), BshdCopies.toBshd(g.dv()), g.method(), g.seconds(), g.flops(), g.poly(),
                    g.reason()), r.report());
        }
        Call c = new Call(q, keys, values, options);
        AttentionFiles.requireDoutShape(q, values.get(0), dout);
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

    /**
     * Packed sequences ({@link Packed}): rows cuQ[b] .. cuQ[b+1] - 1 of q attend to rows cuK[b] .. cuK[b+1] - 1
     * of the keys; each sequence is its own distributed call, several of them submitted at once, and the report
     * sums them. Short exact sequences ({@link ShortSequences}) share one job instead, a task per block of them.
     */
    public static Result forwardPacked(JavaSparkContext sc, Tensor q, List<Tensor> keys, List<Tensor> values,
                                       int[] cuQ, int[] cuK, AttentionOptions options, Settings settings) {
        Sequences each = new Sequences(sc, settings);
        Packed.forward(each, q, keys, values, cuQ, cuK, options);
        each.runAll();
        AttentionResult r = Packed.forward(each, q, keys, values, cuQ, cuK, options);
        return new Result(r, each.report());
    }

    /** The backward of packed sequences, as {@link #forwardPacked}. */
    public static Gradients backwardPacked(JavaSparkContext sc, Tensor q, List<Tensor> keys, List<Tensor> values,
                                           Tensor dout, int[] cuQ, int[] cuK, AttentionOptions options,
                                           Settings settings) {
        Sequences each = new Sequences(sc, settings);
        Packed.backward(each, q, keys, values, dout, cuQ, cuK, options);
        each.runAll();
        GradientResult r = Packed.backward(each, q, keys, values, dout, cuQ, cuK, options);
        return new Gradients(r, each.report());
    }

    /**
     * The sequences of a packed batch as Spark calls, several in flight at once: one Spark job per sequence
     * costs tens of milliseconds of scheduling, which concurrent jobs overlap. Packed walks the batch twice:
     * the first walk records each sequence's call and gets zeros of the right shapes back; once the recorded
     * calls have run, the second walk gets their results in the same order.
     */
    private static final class Sequences implements Backend {
        private final JavaSparkContext sc;
        private final Settings settings;
        private final List<java.util.concurrent.Callable<Object>> calls = new ArrayList<>();
        /** The result slot of each call; -1 for the job of the short sequences, which fills theirs. */
        private final List<Integer> callSlots = new ArrayList<>();
        private final ShortSequences group = new ShortSequences();
        private final List<Report> reports = new ArrayList<>();
        private final long start = System.nanoTime();
        private Object[] results;
        private int slots;
        private boolean recorded;
        private int next;

        Sequences(JavaSparkContext sc, Settings settings) {
            this.sc = sc;
            this.settings = settings;
        }

        @Override
        public boolean supports(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
            return true;
        }

        @Override
        public Estimate estimate(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
            return TensorAttention.estimate(q, keys, values, options);
        }

        @Override
        public AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
            if (!recorded) {
                Call c = ShortSequences.shortCall(q, keys, values, options, settings.shortFlops());
                if (c != null) {
                    group.add(slots++, c);
                } else {
                    callSlots.add(slots++);
                    calls.add(() -> SparkAttention.forward(sc, q, keys, values, options, settings));
                }
                int[] lead = Geometry.leading(q);
                return new AttentionResult(Tensor.zeros(q.dtype(), Geometry.concat(lead, q.dim(-2),
                        values.get(0).dim(-1))), Tensor.zeros(DType.FLOAT64, Geometry.concat(lead, q.dim(-2))),
                        Method.EXACT, 0, 0, null, "");
            }
            return ((Result) results[next++]).result();
        }

        @Override
        public GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                       AttentionResult forward, AttentionOptions options) {
            if (!recorded) {
                Call c = ShortSequences.shortCall(q, keys, values, options, settings.shortFlops());
                if (c != null) {
                    group.add(slots++, c, keys, values, dout);
                } else {
                    callSlots.add(slots++);
                    calls.add(() -> SparkAttention.backward(sc, q, keys, values, dout, forward, options, settings));
                }
                return new GradientResult(Tensor.zeros(dout.dtype(), dout.shape()), Tensor.zeros(q.dtype(), q.shape()),
                        keys.stream().map(k -> Tensor.zeros(k.dtype(), k.shape())).toList(),
                        values.stream().map(v -> Tensor.zeros(v.dtype(), v.shape())).toList(), Method.EXACT, 0, 0,
                        null, "");
            }
            return ((Gradients) results[next++]).result();
        }

        /** Runs the recorded calls, settings.sequenceCalls() at a time; the first failure is thrown as it was. */
        void runAll() {
            recorded = true;
            results = new Object[slots];
            if (!group.isEmpty()) {
                // First, so that the one job of the short sequences overlaps the long ones' calls.
                calls.add(0, () -> group.run(sc));
                callSlots.add(0, -1);
            }
            if (calls.isEmpty()) {
                return;
            }
            int inFlight = settings.sequenceCalls() > 0 ? settings.sequenceCalls() : 2 * sc.defaultParallelism();
            int threads = Math.max(1, Math.min(calls.size(), inFlight));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
            try {
                List<java.util.concurrent.Future<Object>> futures = pool.invokeAll(calls);
                for (int x = 0; x < futures.size(); x++) {
                    Object r = futures.get(x).get();
                    if (r instanceof ShortSequences.Done done) {
                        done.results().forEach((slot, one) -> results[slot] = one);
                        reports.add(done.report());
                    } else {
                        results[callSlots.get(x)] = r;
                        reports.add(r instanceof Result a ? a.report() : ((Gradients) r).report());
                    }
                }
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while the sequences ran", e);
            } finally {
                pool.shutdownNow();
            }
        }

        /** What the calls did together: tasks summed, wall time that of the whole batch on the driver. */
        Report report() {
            long tasks = 0;
            long failed = 0;
            int executors = 0;
            double kernel = 0;
            for (Report r : reports) {
                tasks += r.tasks();
                failed += r.failedTasks();
                executors = Math.max(executors, r.executors());
                kernel += r.kernelSeconds();
            }
            double wall = (System.nanoTime() - start) * 1e-9;
            return new Report(tasks, failed, executors, wall, kernel,
                    Math.max(0, wall - kernel / Math.max(1, sc.defaultParallelism())));
        }
    }

    static GradientResult gradients(Call c, List<Tensor> keys, List<Tensor> values, Tensor out, double[] dq,
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
            if (c.mask instanceof Mask.Full || c.mask.band() != Mask.UNBOUNDED) {
                // A band gets here only for its bound: the plan refuses it as on one machine.
                List<PolySpark.Chunk> kc = PolySpark.keyChunks(c, kBounds);
                keys = run.sc.parallelize(kc, kc.size());
                List<PolySpark.Chunk> qc = PolySpark.queryChunks(c, qBounds, false, 0, dout);
                queries = run.sc.parallelize(qc, qc.size());
            } else if (c.mask.isShifted()) {
                // Bottom-right (nq != nk): one chunk per problem with all its rows.
                List<PolySpark.Chunk> pc = PolySpark.problemChunks(c, null);
                scans = run.sc.parallelize(pc, pc.size());
                keys = scans;
                queries = scans;
            } else {
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
