package org.tensorattention.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.exact.ExactForward;
import org.tensorattention.core.grad.ExactBackward;
import scala.Tuple2;

/**
 * The exact kernel spread over Spark tasks.
 *
 * <p>A task is (problem, query block) when all keys and values fit under the broadcast limit: they are
 * broadcast once, and a task slices the key rows its block can see (for a window, only the halo of w_t - 1
 * rows before the block). Otherwise a task is (problem, query block, key block per factor) and carries its
 * key blocks itself; the partial outputs of one query block merge through their log-sum-exps.
 *
 * <p>Backward tasks are the same; dQ of a query block is summed over its key blocks, dK and dV are partial
 * sums cut into fixed blocks of key rows. Every sum runs in task order after a groupByKey, so the result does
 * not depend on which task finished first or how often one was retried.
 */
final class ExactSpark {
    private ExactSpark() {
    }

    /** One unit of work: query rows [i0, i1) of problem p against key rows [j0_t, j1_t) of each factor. */
    record Task(int index, int p, int block, int i0, int i1, int[] j0, int[] j1) implements Serializable {
    }

    /** A task and the data it carries: key slices only when they are not broadcast; backward adds the rest. */
    record Item(Task task, Rows q, Rows[] k, Rows[] v, Rows dout, double[] out, double[] lse)
            implements Serializable {
    }

    /** One task's output rows and log-sum-exps (over its key blocks only). */
    record Partial(int index, Rows out, double[] lse, long nanos) implements Serializable {
    }

    /** Where a gradient piece goes: dq of (problem, query block), or dk / dv of (kv problem, factor, key block). */
    record GradKey(int kind, int problem, int factor, int block) implements Serializable {
        static final int DQ = 0;
        static final int DK = 1;
        static final int DV = 2;
    }

    /** Values of a gradient from one task, starting at flat offset {@code offset} of its block. */
    record Piece(int index, int offset, double[] data, long nanos) implements Serializable {
    }

    /** The forward output (q's dtype, flat) and log-sum-exp (float64, flat) of every problem. */
    record Forward(Rows out, double[] lse) {
    }

    /** The tasks of a call, and whether its keys are broadcast. */
    record Plan(List<Task> tasks, int[] bounds, boolean broadcast) {
    }

    static Plan plan(Call c, Settings s, int cores) {
        Geometry g = c.g;
        Mask mask = c.mask;
        int[] bounds = Blocks.cut(mask, g.nq(), g.nk(), Blocks.perProblem(s, g.problems(), cores));
        boolean broadcast = c.keyBytes() <= s.broadcastLimit();
        // Key blocks of different factors start at different rows, which a band cannot compare: with a band,
        // each task carries its query block's whole key range instead.
        boolean banded = mask.band() != Mask.UNBOUNDED;
        // Without the broadcast, each task's key blocks together stay under the limit.
        long rowBytes = (long) (g.d() + g.dv()) * c.dtype.bytes() * c.factors();
        int keyRows = (int) Math.max(1, Math.min(Integer.MAX_VALUE, s.broadcastLimit() / rowBytes));
        List<Task> tasks = new ArrayList<>();
        for (int p = 0; p < g.problems(); p++) {
            for (int b = 0; b + 1 < bounds.length; b++) {
                int i0 = bounds[b];
                int i1 = bounds[b + 1];
                int[] lo = new int[c.factors()];
                int[] hi = new int[c.factors()];
                for (int t = 0; t < c.factors(); t++) {
                    lo[t] = Blocks.firstKey(mask, t, i0);
                    hi[t] = Blocks.endKey(mask, t, i1, g.nk()[t]);
                }
                if (banded) {
                    // The kernel compares the factors' indices in the slice's own numbering: one origin for all.
                    int origin = Integer.MAX_VALUE;
                    for (int x : lo) {
                        origin = Math.min(origin, x);
                    }
                    java.util.Arrays.fill(lo, origin);
                }
                for (int t = 0; t < c.factors(); t++) {
                    hi[t] = Math.max(lo[t], hi[t]);
                }
                if (broadcast || banded) {
                    if (!broadcast && !Blocks.visible(mask, i0, i1, lo, hi, g.nk())) {
                        continue;
                    }
                    tasks.add(new Task(tasks.size(), p, b, i0, i1, lo, hi));
                    continue;
                }
                int[] j0 = lo.clone();
                while (true) {
                    int[] j1 = new int[j0.length];
                    for (int t = 0; t < j0.length; t++) {
                        j1[t] = Math.min(hi[t], j0[t] + keyRows);
                    }
                    if (Blocks.visible(mask, i0, i1, j0, j1, g.nk())) {
                        tasks.add(new Task(tasks.size(), p, b, i0, i1, j0.clone(), j1));
                    }
                    int t = j0.length - 1;
                    while (t >= 0 && j0[t] + keyRows >= hi[t]) {
                        j0[t] = lo[t];
                        t--;
                    }
                    if (t < 0) {
                        break;
                    }
                    j0[t] += keyRows;
                }
            }
        }
        return new Plan(tasks, bounds, broadcast);
    }

    static Item item(Call c, Task t, boolean broadcast, Rows dout, double[] out, double[] lse) {
        Rows q = c.queryRows(c.q, t.p(), t.i0(), t.i1(), c.g.d());
        Rows[] k = null;
        Rows[] v = null;
        if (!broadcast) {
            int kp = c.g.kvProblem()[t.p()];
            k = new Rows[c.factors()];
            v = new Rows[c.factors()];
            for (int f = 0; f < c.factors(); f++) {
                k[f] = c.keyRows(f, kp, t.j0()[f], t.j1()[f]).as(c.shape.float32());
                v[f] = c.valueRows(f, kp, t.j0()[f], t.j1()[f]).as(c.shape.float32());
            }
        }
        if (dout == null) {
            return new Item(t, q, k, v, null, null, null);
        }
        int dv = c.g.dv();
        double[] o = java.util.Arrays.copyOfRange(out, (t.p() * c.g.nq() + t.i0()) * dv, (t.p() * c.g.nq() + t.i1()) * dv);
        double[] l = java.util.Arrays.copyOfRange(lse, t.p() * c.g.nq() + t.i0(), t.p() * c.g.nq() + t.i1());
        return new Item(t, q, k, v, c.queryRows(dout, t.p(), t.i0(), t.i1(), dv).as(c.shape.float32()), o, l);
    }

    /** The distributed exact forward. */
    static Forward forward(Run run, Call c, Settings s) {
        Plan plan = plan(c, s, run.cores());
        List<Item> items = new ArrayList<>();
        for (Task t : plan.tasks()) {
            items.add(item(c, t, plan.broadcast(), null, null, null));
        }
        Broadcast<Rows[][]> kv = plan.broadcast() ? run.sc.broadcast(new Rows[][] {c.k, c.v}) : null;
        Shape shape = c.shape;
        try {
            JavaRDD<Item> rdd = run.sc.parallelize(items, Math.max(1, items.size()));
            List<Tuple2<Integer, Partial>> parts;
            if (plan.broadcast()) {
                parts = rdd.map(it -> new Tuple2<>(it.task().index(), forwardTask(shape, it, kv.value())))
                        .collect();
            } else {
                int perProblem = plan.bounds().length - 1;
                JavaPairRDD<Integer, Partial> byBlock = rdd.mapToPair(it -> new Tuple2<>(
                        it.task().p() * perProblem + it.task().block(), forwardTask(shape, it, null)));
                parts = byBlock.groupByKey().mapValues(ExactSpark::merge).collect();
            }
            return place(run, c, plan, parts);
        } finally {
            if (kv != null) {
                kv.destroy();
            }
        }
    }

    /**
     * The forward's output from its tasks' partials, keyed by task index (keys broadcast or carried whole) or
     * by problem * blocks + query block (partials already merged over key blocks).
     */
    static Forward place(Run run, Call c, Plan plan, List<Tuple2<Integer, Partial>> parts) {
        Geometry g = c.g;
        int blocks = plan.bounds().length - 1;
        // Query blocks that no task covers see nothing: o = 0, lse = -inf.
        double[] lse = new double[g.problems() * g.nq()];
        java.util.Arrays.fill(lse, Double.NEGATIVE_INFINITY);
        double[] outD = c.shape.float32() ? null : new double[g.problems() * g.nq() * g.dv()];
        float[] outF = c.shape.float32() ? new float[g.problems() * g.nq() * g.dv()] : null;
        for (Tuple2<Integer, Partial> part : parts) {
            Partial r = part._2();
            run.addKernel(r.nanos());
            int p;
            int b;
            if (plan.broadcast()) {
                Task t = plan.tasks().get(part._1());
                p = t.p();
                b = t.block();
            } else {
                p = part._1() / blocks;
                b = part._1() % blocks;
            }
            int row = p * g.nq() + plan.bounds()[b];
            System.arraycopy(r.lse(), 0, lse, row, r.lse().length);
            if (outF != null) {
                System.arraycopy(r.out().f, 0, outF, row * g.dv(), r.out().f.length);
            } else {
                System.arraycopy(r.out().d, 0, outD, row * g.dv(), r.out().d.length);
            }
        }
        return new Forward(outF != null ? Rows.of(outF)
                : Rows.of(outD), lse);
    }

    /** The slice geometry and mask of a task: its query rows at their place against its key rows. */
    private static Geometry sliceGeometry(Shape s, Task t) {
        int[] nk = new int[s.factors()];
        for (int f = 0; f < nk.length; f++) {
            nk[f] = t.j1()[f] - t.j0()[f];
        }
        return Geometry.simple(1, t.i1() - t.i0(), nk, s.d(), s.dv());
    }

    /** The call's mask placed for a task: its row i stands at i0 + i + offset_t, its key row j at j0_t + j. */
    private static Mask sliceMask(Shape s, Task t) {
        int[] offsets = new int[s.factors()];
        for (int f = 0; f < offsets.length; f++) {
            offsets[f] = t.i0() + s.offset(f) - t.j0()[f];
        }
        return s.mask().shifted(offsets);
    }

    /** Whether some factor gives the task no key row: then its rows see nothing and the kernel is not called. */
    private static boolean noKeys(Task t) {
        for (int f = 0; f < t.j0().length; f++) {
            if (t.j1()[f] == t.j0()[f]) {
                return true;
            }
        }
        return false;
    }

    /** The task's key and value slices: its own, or cut from the broadcast arrays. */
    private static Rows[][] keys(Shape s, Item it, Rows[][] kv) {
        if (it.k() != null) {
            return new Rows[][] {it.k(), it.v()};
        }
        Task t = it.task();
        int kp = s.kvProblem()[t.p()];
        Rows[] k = new Rows[s.factors()];
        Rows[] v = new Rows[s.factors()];
        for (int f = 0; f < k.length; f++) {
            k[f] = kv[0][f].slice((long) kp * s.nk()[f] * s.d(), t.j0()[f], t.j1()[f], s.d()).as(s.float32());
            v[f] = kv[1][f].slice((long) kp * s.nk()[f] * s.dv(), t.j0()[f], t.j1()[f], s.dv()).as(s.float32());
        }
        return new Rows[][] {k, v};
    }

    static Partial forwardTask(Shape s, Item it, Rows[][] kv) {
        Task t = it.task();
        Rows[][] keys = keys(s, it, kv);
        Geometry g = sliceGeometry(s, t);
        Mask mask = sliceMask(s, t);
        int rows = t.i1() - t.i0();
        double[] lse = new double[rows];
        long start = System.nanoTime();
        Rows out;
        if (noKeys(t)) {
            java.util.Arrays.fill(lse, Double.NEGATIVE_INFINITY);
            out = s.float32() ? Rows.of(new float[rows * s.dv()]) : Rows.of(new double[rows * s.dv()]);
        } else if (s.float32()) {
            float[] o = new float[rows * s.dv()];
            ExactForward.forward(g, s.scale(), mask, it.q().f, floats(keys[0]), floats(keys[1]), o, lse, 1);
            out = Rows.of(o);
        } else {
            double[] o = new double[rows * s.dv()];
            ExactForward.forward(g, s.scale(), mask, it.q().d, doubles(keys[0]), doubles(keys[1]), o, lse, 1);
            out = Rows.of(o);
        }
        return new Partial(t.index(), out, lse, System.nanoTime() - start);
    }

    /**
     * Merges the partial results of one query block over its key blocks, in task order:
     * lse = log sum_b exp(lse_b) and o = sum_b exp(lse_b - lse) o_b. A block a row cannot see (lse_b = -inf)
     * has weight zero; its output row is undefined and is skipped.
     */
    static Partial merge(Iterable<Partial> parts) {
        List<Partial> list = new ArrayList<>();
        parts.forEach(list::add);
        list.sort(Comparator.comparingInt(Partial::index));
        int rows = list.get(0).lse().length;
        int dv = list.get(0).out().length() / Math.max(1, rows);
        double[] max = new double[rows];
        java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
        long nanos = 0;
        for (Partial p : list) {
            nanos += p.nanos();
            for (int i = 0; i < rows; i++) {
                max[i] = Math.max(max[i], p.lse()[i]);
            }
        }
        double[] sum = new double[rows];
        for (Partial p : list) {
            for (int i = 0; i < rows; i++) {
                if (p.lse()[i] != Double.NEGATIVE_INFINITY) {
                    sum[i] += Math.exp(p.lse()[i] - max[i]);
                }
            }
        }
        double[] lse = new double[rows];
        double[] o = new double[rows * dv];
        for (int i = 0; i < rows; i++) {
            lse[i] = max[i] == Double.NEGATIVE_INFINITY ? max[i] : max[i] + Math.log(sum[i]);
        }
        for (Partial p : list) {
            double[] po = p.out().f64();
            for (int i = 0; i < rows; i++) {
                if (p.lse()[i] == Double.NEGATIVE_INFINITY) {
                    continue;
                }
                double w = Math.exp(p.lse()[i] - lse[i]);
                for (int c = 0; c < dv; c++) {
                    o[i * dv + c] += w * po[i * dv + c];
                }
            }
        }
        Rows out = list.get(0).out().isFloat() ? Rows.of(narrow(o)) : Rows.of(o);
        return new Partial(list.get(0).index(), out, lse, nanos);
    }

    /** Gradients of every problem, in float64: dq flat as q, dk[t] and dv[t] flat as the keys and values. */
    record Gradients(double[] dq, double[][] dk, double[][] dv) {
    }

    /** The distributed exact backward, from the forward's output and log-sum-exp. */
    static Gradients backward(Run run, Call c, Settings s, Rows dout, double[] out, double[] lse) {
        Plan plan = plan(c, s, run.cores());
        List<Item> items = new ArrayList<>();
        for (Task t : plan.tasks()) {
            items.add(item(c, t, plan.broadcast(), dout, out, lse));
        }
        Broadcast<Rows[][]> kv = plan.broadcast() ? run.sc.broadcast(new Rows[][] {c.k, c.v}) : null;
        Shape shape = c.shape;
        int reduceRows = s.reduceRows();
        try {
            Map<GradKey, Piece> sums = run.sc.parallelize(items, Math.max(1, items.size()))
                    .flatMapToPair(it -> backwardTask(shape, it, kv == null ? null : kv.value(), reduceRows).iterator())
                    .groupByKey()
                    .mapValues(ExactSpark::sum)
                    .collectAsMap();
            return placeGradients(run, c, plan, sums, reduceRows);
        } finally {
            if (kv != null) {
                kv.destroy();
            }
        }
    }

    /** The gradients from their summed pieces: dq per (problem, query block), dk and dv per block of key rows. */
    static Gradients placeGradients(Run run, Call c, Plan plan, Map<GradKey, Piece> sums, int reduceRows) {
        Geometry g = c.g;
        double[] dq = new double[g.problems() * g.nq() * g.d()];
        double[][] dk = new double[c.factors()][];
        double[][] dv = new double[c.factors()][];
        for (int t = 0; t < c.factors(); t++) {
            dk[t] = new double[c.k[t].length()];
            dv[t] = new double[c.v[t].length()];
        }
        for (Map.Entry<GradKey, Piece> e : sums.entrySet()) {
            GradKey key = e.getKey();
            double[] data = e.getValue().data();
            run.addKernel(e.getValue().nanos());
            switch (key.kind()) {
                case GradKey.DQ -> System.arraycopy(data, 0, dq,
                        (key.problem() * g.nq() + plan.bounds()[key.block()]) * g.d(), data.length);
                case GradKey.DK -> System.arraycopy(data, 0, dk[key.factor()],
                        (key.problem() * g.nk()[key.factor()] + key.block() * reduceRows) * g.d(), data.length);
                default -> System.arraycopy(data, 0, dv[key.factor()],
                        (key.problem() * g.nk()[key.factor()] + key.block() * reduceRows) * g.dv(), data.length);
            }
        }
        return new Gradients(dq, dk, dv);
    }

    static List<Tuple2<GradKey, Piece>> backwardTask(Shape s, Item it, Rows[][] kv, int reduceRows) {
        Task t = it.task();
        Rows[][] keys = keys(s, it, kv);
        Geometry g = sliceGeometry(s, t);
        Mask mask = sliceMask(s, t);
        int rows = t.i1() - t.i0();
        int factors = s.factors();
        double[] dq = new double[rows * s.d()];
        double[][] dk = new double[factors][];
        double[][] dv = new double[factors][];
        for (int f = 0; f < factors; f++) {
            dk[f] = new double[g.nk()[f] * s.d()];
            dv[f] = new double[g.nk()[f] * s.dv()];
        }
        long start = System.nanoTime();
        if (noKeys(t)) {
            // Nothing seen, nothing to differentiate: every gradient of the task stays 0.
        } else if (s.float32()) {
            ExactBackward.gradients(g, s.scale(), mask, it.q().f, floats(keys[0]), floats(keys[1]), it.dout().f,
                    it.out(), it.lse(), dq, dk, dv, 1);
        } else {
            ExactBackward.gradients(g, s.scale(), mask, it.q().d, doubles(keys[0]), doubles(keys[1]), it.dout().d,
                    it.out(), it.lse(), dq, dk, dv, 1);
        }
        long nanos = System.nanoTime() - start;
        List<Tuple2<GradKey, Piece>> out = new ArrayList<>();
        out.add(new Tuple2<>(new GradKey(GradKey.DQ, t.p(), 0, t.block()), new Piece(t.index(), 0, dq, nanos)));
        int kp = s.kvProblem()[t.p()];
        for (int f = 0; f < factors; f++) {
            for (int b = t.j0()[f] / reduceRows; b * reduceRows < t.j1()[f]; b++) {
                int from = Math.max(t.j0()[f], b * reduceRows);
                int to = Math.min(t.j1()[f], (b + 1) * reduceRows);
                int local = from - t.j0()[f];
                out.add(new Tuple2<>(new GradKey(GradKey.DK, kp, f, b), new Piece(t.index(), (from - b * reduceRows) * s.d(),
                        java.util.Arrays.copyOfRange(dk[f], local * s.d(), (local + to - from) * s.d()), 0)));
                out.add(new Tuple2<>(new GradKey(GradKey.DV, kp, f, b), new Piece(t.index(), (from - b * reduceRows) * s.dv(),
                        java.util.Arrays.copyOfRange(dv[f], local * s.dv(), (local + to - from) * s.dv()), 0)));
            }
        }
        return out;
    }

    /**
     * Sums the pieces of one key in task order, so the sum is the same whatever order the tasks ran in. A piece
     * covers values from its offset on; the sum reaches as far as the farthest piece.
     */
    static Piece sum(Iterable<Piece> pieces) {
        List<Piece> list = new ArrayList<>();
        pieces.forEach(list::add);
        list.sort(Comparator.comparingInt(Piece::index));
        int length = 0;
        for (Piece p : list) {
            length = Math.max(length, p.offset() + p.data().length);
        }
        double[] total = new double[length];
        long nanos = 0;
        for (Piece p : list) {
            nanos += p.nanos();
            for (int x = 0; x < p.data().length; x++) {
                total[p.offset() + x] += p.data()[x];
            }
        }
        return new Piece(list.get(0).index(), 0, total, nanos);
    }

    static float[][] floats(Rows[] r) {
        float[][] a = new float[r.length][];
        for (int i = 0; i < r.length; i++) {
            a[i] = r[i].f;
        }
        return a;
    }

    static double[][] doubles(Rows[] r) {
        double[][] a = new double[r.length][];
        for (int i = 0; i < r.length; i++) {
            a[i] = r[i].d;
        }
        return a;
    }

    static float[] narrow(double[] x) {
        float[] r = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            r[i] = (float) x[i];
        }
        return r;
    }
}
