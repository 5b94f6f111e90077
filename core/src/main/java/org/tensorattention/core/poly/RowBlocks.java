package org.tensorattention.core.poly;

import java.util.ArrayList;
import java.util.List;
import org.tensorattention.core.Parallel;

/**
 * Rows [0, rows) in blocks of {@link Moments#BLOCK}, spread over a few tasks that each build their scratch once:
 * the loop the query and key passes of the full mask share.
 */
final class RowBlocks {
    private RowBlocks() {
    }

    /** One block: rows [r0, r0 + n) with the task's scratch. */
    interface Body<W> {
        void block(W scratch, int r0, int n);
    }

    /** Each task's scratch, in task order, once every block has run (for partial sums to be added). */
    static <W> List<W> run(int rows, int tasks, int threads, java.util.function.Supplier<W> scratch, Body<W> body) {
        int b = Moments.BLOCK;
        int blocks = (rows + b - 1) / b;
        int count = Math.min(blocks, tasks);
        List<W> made = new ArrayList<>();
        for (int task = 0; task < count; task++) {
            made.add(null);
        }
        Parallel.forEach(count, threads, task -> {
            W w = scratch.get();
            int b0 = (int) ((long) blocks * task / count);
            int b1 = (int) ((long) blocks * (task + 1) / count);
            for (int blk = b0; blk < b1; blk++) {
                body.block(w, blk * b, Math.min(b, rows - blk * b));
            }
            synchronized (made) {
                made.set(task, w);
            }
        });
        return made;
    }

    /** The transposed block buffers every pass uses: inputs, features, their gradients, and a contraction. */
    static class Scratch {
        final double[] xt;
        final double[] ut;
        final double[] gt;
        final double[] dxt;
        final double[] num;
        final double[] den;

        Scratch(FeatureMap fm, int dvp) {
            int b = Moments.BLOCK;
            xt = new double[fm.d * b];
            ut = new double[fm.rank * b];
            gt = new double[fm.rank * b];
            dxt = new double[fm.d * b];
            num = new double[b * dvp];
            den = new double[b];
        }
    }
}
