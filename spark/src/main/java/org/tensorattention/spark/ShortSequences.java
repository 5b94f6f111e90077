package org.tensorattention.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.core.grad.ExactBackward;
import scala.Tuple2;

/**
 * The short sequences of a packed exact forward or backward, run as one Spark job: a task takes a block of
 * whole sequences (blocks of about equal work) and runs each one's kernels as a one-block call would (a
 * backward runs its forward first, in the same task). A job costs
 * tens of milliseconds of scheduling whatever its size, which a short sequence's kernel does not repay.
 */
final class ShortSequences {
    /**
     * The default limit of a short sequence's flops ({@link Settings#shortFlops}): about what one job's
     * scheduling costs (40 ms) at the exact kernel's rate on one core (62 GFLOP/s at d = 8, docs/PERFORMANCE.md).
     */
    static final double SHORT_FLOPS = 2.5e9;

    /**
     * One sequence as its task runs it: its shape and one whole-range item per problem, keys carried; with
     * dout for a backward.
     */
    record Entry(int slot, Shape shape, List<ExactSpark.Item> items, boolean backward, int reduceRows)
            implements Serializable {
    }

    /** What a task returns for one sequence: the forward's partials by task index, and the backward's sums. */
    record Ran(int slot, List<Tuple2<Integer, ExactSpark.Partial>> forward,
               Map<ExactSpark.GradKey, ExactSpark.Piece> sums) implements Serializable {
    }

    /** The results by slot (SparkAttention.Result or Gradients), and what the job did. */
    record Done(Map<Integer, Object> results, Report report) {
    }

    /** A recorded sequence: its call and plan, and for a backward its arrays and dout. */
    private record Seq(int slot, Call c, ExactSpark.Plan plan, double flops, List<Tensor> keys, List<Tensor> values,
                       Tensor dout) {
    }

    private final List<Seq> seqs = new ArrayList<>();

    /** The call of an exact bhsd sequence when it is short, else null (it then runs as its own call). */
    static Call shortCall(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options, double limit) {
        if (limit <= 0 || options.method() != Method.EXACT || options.layout() != AttentionOptions.Layout.BHSD) {
            return null;
        }
        Call c = new Call(q, keys, values, options);
        return c.g.exactFlops(c.mask) <= limit ? c : null;
    }

    boolean isEmpty() {
        return seqs.isEmpty();
    }

    /** Adds a short sequence's forward, whose result goes to slot; its problems become one query block each. */
    void add(int slot, Call c) {
        add(slot, c, null, null, null);
    }

    /** Adds a short sequence's backward (its forward runs in the same task). */
    void add(int slot, Call c, List<Tensor> keys, List<Tensor> values, Tensor dout) {
        if (dout != null) {
            Validation.requireFinite("dout", dout);
        }
        // Whole key ranges carried by each item: the plan's broadcast ranges with no broadcast.
        ExactSpark.Plan plan = ExactSpark.plan(c, Settings.defaults().withQueryBlocks(1)
                .withBroadcastLimit(Long.MAX_VALUE), 1);
        seqs.add(new Seq(slot, c, plan, Math.max(1, c.g.exactFlops(c.mask)), keys, values, dout));
    }

    /** Runs every sequence in one job of at most two tasks per core. */
    Done run(JavaSparkContext sc) {
        try (Run run = new Run(sc)) {
            List<List<Entry>> blocks = blocks(2 * run.cores());
            List<Ran> done = sc.parallelize(blocks, blocks.size()).flatMap(block -> {
                List<Ran> out = new ArrayList<>();
                for (Entry e : block) {
                    out.add(run(e));
                }
                return out.iterator();
            }).collect();
            Map<Integer, Seq> bySlot = new HashMap<>();
            for (Seq q : seqs) {
                bySlot.put(q.slot(), q);
            }
            Map<Integer, Object> results = new HashMap<>();
            List<Tuple2<Integer, Object>> pending = new ArrayList<>();
            for (Ran d : done) {
                Seq q = bySlot.get(d.slot());
                Call c = q.c();
                long nanos = 0;
                for (Tuple2<Integer, ExactSpark.Partial> p : d.forward()) {
                    nanos += p._2().nanos();
                }
                ExactSpark.Forward f = ExactSpark.place(run, c, q.plan(), d.forward());
                Tensor o = f.out().isFloat() ? Tensor.of(f.out().f, c.outputShape())
                        : Tensor.of(f.out().d, c.outputShape());
                if (d.sums() == null) {
                    pending.add(new Tuple2<>(d.slot(), new AttentionResult(o, Tensor.of(f.lse(), c.lseShape()),
                            Method.EXACT, nanos * 1e-9, c.g.exactFlops(c.mask), null, "exact requested")));
                } else {
                    for (ExactSpark.Piece p : d.sums().values()) {
                        nanos += p.nanos();
                    }
                    ExactSpark.Gradients g = ExactSpark.placeGradients(run, c, q.plan(), d.sums(), reduceRows(c));
                    pending.add(new Tuple2<>(d.slot(), SparkAttention.gradients(c, q.keys(), q.values(), o, g.dq(),
                            g.dk(), g.dv(), Method.EXACT, nanos * 1e-9, ExactBackward.flops(c.g, c.mask), null,
                            "exact requested")));
                }
            }
            Report report = run.finish();
            for (Tuple2<Integer, Object> r : pending) {
                results.put(r._1(), r._2() instanceof AttentionResult a ? new SparkAttention.Result(a, report)
                        : new SparkAttention.Gradients((GradientResult) r._2(), report));
            }
            return new Done(results, report);
        }
    }

    /** One sequence inside a task: its forward, then for a backward its gradients summed in task order. */
    private static Ran run(Entry e) {
        List<Tuple2<Integer, ExactSpark.Partial>> parts = new ArrayList<>();
        Map<ExactSpark.GradKey, List<ExactSpark.Piece>> pieces = new HashMap<>();
        for (ExactSpark.Item it : e.items()) {
            ExactSpark.Partial f = ExactSpark.forwardTask(e.shape(), it, null);
            parts.add(new Tuple2<>(it.task().index(), f));
            if (e.backward()) {
                ExactSpark.Item withForward = new ExactSpark.Item(it.task(), it.q(), it.k(), it.v(), it.dout(),
                        f.out().f64(), f.lse());
                for (Tuple2<ExactSpark.GradKey, ExactSpark.Piece> p
                        : ExactSpark.backwardTask(e.shape(), withForward, null, e.reduceRows())) {
                    pieces.computeIfAbsent(p._1(), x -> new ArrayList<>()).add(p._2());
                }
            }
        }
        if (!e.backward()) {
            return new Ran(e.slot(), parts, null);
        }
        Map<ExactSpark.GradKey, ExactSpark.Piece> sums = new HashMap<>();
        pieces.forEach((key, list) -> sums.put(key, ExactSpark.sum(list)));
        return new Ran(e.slot(), parts, sums);
    }

    /** One block of key rows per factor: the sums need no further cut. */
    private static int reduceRows(Call c) {
        int m = 1;
        for (int nk : c.g.nk()) {
            m = Math.max(m, nk);
        }
        return m;
    }

    /** Consecutive sequences in at most {@code tasks} blocks of about equal work (none empty). */
    private List<List<Entry>> blocks(int tasks) {
        double total = 0;
        for (Seq q : seqs) {
            total += q.flops();
        }
        int m = Math.max(1, Math.min(tasks, seqs.size()));
        List<List<Entry>> out = new ArrayList<>();
        List<Entry> block = new ArrayList<>();
        double sum = 0;
        for (int x = 0; x < seqs.size(); x++) {
            Seq q = seqs.get(x);
            Call c = q.c();
            Rows dout = q.dout() == null ? null : Rows.of(q.dout());
            // The forward's output and lse come from the task itself: zeros stand in for them here.
            double[] noOut = dout == null ? null : new double[c.g.problems() * c.g.nq() * c.g.dv()];
            double[] noLse = dout == null ? null : new double[c.g.problems() * c.g.nq()];
            List<ExactSpark.Item> items = new ArrayList<>();
            for (ExactSpark.Task t : q.plan().tasks()) {
                items.add(ExactSpark.item(c, t, false, dout, noOut, noLse));
            }
            block.add(new Entry(q.slot(), c.shape, items, dout != null, reduceRows(c)));
            sum += q.flops();
            // Close the block once it holds its share of the work, keeping a sequence for each later block.
            boolean share = sum >= total * (out.size() + 1) / m;
            if (out.size() < m - 1 && share && seqs.size() - x - 1 >= m - 1 - out.size()) {
                out.add(block);
                block = new ArrayList<>();
            }
        }
        if (!block.isEmpty()) {
            out.add(block);
        }
        return out;
    }
}
