package org.tensorattention.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import scala.Tuple2;

/**
 * The short sequences of a packed exact forward, run as one Spark job: a task takes a block of whole
 * sequences (blocks of about equal work) and runs each one's kernel as a one-block call would. A job costs
 * tens of milliseconds of scheduling whatever its size, which a short sequence's kernel does not repay.
 */
final class ShortSequences {
    /**
     * The default limit of a short sequence's flops ({@link Settings#shortFlops}): about what one job's
     * scheduling costs (40 ms) at the exact kernel's rate on one core (62 GFLOP/s at d = 8, docs/PERFORMANCE.md).
     */
    static final double SHORT_FLOPS = 2.5e9;

    /** One sequence as its task runs it: its shape and one whole-range item per problem, keys carried. */
    record Entry(int slot, Shape shape, List<ExactSpark.Item> items) implements Serializable {
    }

    /** The results by slot, and what the job did. */
    record Done(Map<Integer, SparkAttention.Result> results, Report report) {
    }

    private final List<Integer> slots = new ArrayList<>();
    private final List<Call> calls = new ArrayList<>();
    private final List<ExactSpark.Plan> plans = new ArrayList<>();
    private final List<Double> flops = new ArrayList<>();

    /** The call of an exact bhsd sequence when it is short, else null (it then runs as its own call). */
    static Call shortCall(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options, double limit) {
        if (limit <= 0 || options.method() != Method.EXACT || options.layout() != AttentionOptions.Layout.BHSD) {
            return null;
        }
        Call c = new Call(q, keys, values, options);
        return c.g.exactFlops(c.mask) <= limit ? c : null;
    }

    boolean isEmpty() {
        return calls.isEmpty();
    }

    /** Adds a short sequence whose result goes to slot; its problems become one query block each. */
    void add(int slot, Call c) {
        // Whole key ranges carried by each item: the plan's broadcast ranges with no broadcast.
        ExactSpark.Plan plan = ExactSpark.plan(c, Settings.defaults().withQueryBlocks(1)
                .withBroadcastLimit(Long.MAX_VALUE), 1);
        slots.add(slot);
        calls.add(c);
        plans.add(plan);
        flops.add(Math.max(1, c.g.exactFlops(c.mask)));
    }

    /** Runs every sequence in one job of at most two tasks per core. */
    Done run(JavaSparkContext sc) {
        try (Run run = new Run(sc)) {
            List<List<Entry>> blocks = blocks(2 * run.cores());
            List<Tuple2<Integer, List<Tuple2<Integer, ExactSpark.Partial>>>> done = sc
                    .parallelize(blocks, blocks.size()).flatMap(block -> {
                        List<Tuple2<Integer, List<Tuple2<Integer, ExactSpark.Partial>>>> out = new ArrayList<>();
                        for (Entry e : block) {
                            List<Tuple2<Integer, ExactSpark.Partial>> parts = new ArrayList<>();
                            for (ExactSpark.Item it : e.items()) {
                                parts.add(new Tuple2<>(it.task().index(), ExactSpark.forwardTask(e.shape(), it, null)));
                            }
                            out.add(new Tuple2<>(e.slot(), parts));
                        }
                        return out.iterator();
                    }).collect();
            Map<Integer, Integer> at = new HashMap<>();
            for (int x = 0; x < slots.size(); x++) {
                at.put(slots.get(x), x);
            }
            Map<Integer, AttentionResult> results = new HashMap<>();
            for (Tuple2<Integer, List<Tuple2<Integer, ExactSpark.Partial>>> d : done) {
                int x = at.get(d._1());
                Call c = calls.get(x);
                long nanos = 0;
                for (Tuple2<Integer, ExactSpark.Partial> p : d._2()) {
                    nanos += p._2().nanos();
                }
                ExactSpark.Forward f = ExactSpark.place(run, c, plans.get(x), d._2());
                Tensor o = f.out().isFloat() ? Tensor.of(f.out().f, c.outputShape()) : Tensor.of(f.out().d,
                        c.outputShape());
                results.put(d._1(), new AttentionResult(o, Tensor.of(f.lse(), c.lseShape()), Method.EXACT,
                        nanos * 1e-9, c.g.exactFlops(c.mask), null, "exact requested"));
            }
            Report report = run.finish();
            Map<Integer, SparkAttention.Result> out = new HashMap<>();
            results.forEach((slot, r) -> out.put(slot, new SparkAttention.Result(r, report)));
            return new Done(out, report);
        }
    }

    /** Consecutive sequences in at most {@code tasks} blocks of about equal work (none empty). */
    private List<List<Entry>> blocks(int tasks) {
        double total = 0;
        for (double f : flops) {
            total += f;
        }
        int m = Math.max(1, Math.min(tasks, calls.size()));
        List<List<Entry>> out = new ArrayList<>();
        List<Entry> block = new ArrayList<>();
        double sum = 0;
        for (int x = 0; x < calls.size(); x++) {
            Call c = calls.get(x);
            List<ExactSpark.Item> items = new ArrayList<>();
            for (ExactSpark.Task t : plans.get(x).tasks()) {
                items.add(ExactSpark.item(c, t, false, null, null, null));
            }
            block.add(new Entry(slots.get(x), c.shape, items));
            sum += flops.get(x);
            // Close the block once it holds its share of the work, keeping a sequence for each later block.
            boolean share = sum >= total * (out.size() + 1) / m;
            if (out.size() < m - 1 && share && calls.size() - x - 1 >= m - 1 - out.size()) {
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
