package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.tensorattention.nn.Checkpoint;
import org.tensorattention.nn.TrainConfig;
import org.tensorattention.nn.Trainer;
import org.tensorattention.nn.task.Batch;
import org.tensorattention.nn.task.MatchData;

/** {@code tensor-attention evaluate}: accuracy of a checkpoint on a fresh held-out set. */
final class EvaluateCommand implements Command {
    @Override
    public String name() {
        return "evaluate";
    }

    @Override
    public String summary() {
        return "per-position accuracy of a trained checkpoint on fresh sequences";
    }

    @Override
    public String usage() {
        return """
                Loads a checkpoint written by train and prints its per-position accuracy and loss on freshly drawn
                sequences of its task (same n, M and sampling scheme; a seed the training never used).""";
    }

    @Override
    public List<Args.Option> options() {
        return List.of(
                Args.Option.value("checkpoint", "FILE", "checkpoint.npz written by train"),
                Args.Option.value("sequences", "N", "sequences to draw (default 2000)"),
                Args.Option.value("seed", "S", "seed of the fresh sequences (default 2024)"),
                Args.THREADS);
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        int threads = args.integer("threads", 0);
        int count = args.integer("sequences", 2000);
        if (threads < 0 || count < 1) {
            throw new UsageException("--threads must be >= 0 and --sequences >= 1");
        }
        Checkpoint.Loaded c = Checkpoint.load(args.path("checkpoint"), threads == 0 ? Runtime.getRuntime().availableProcessors() : threads);
        TrainConfig t = c.train();
        MatchData data = new MatchData(t.task(), t.length(), t.modulus(), t.subset());
        // Mixed with a constant so that no seed collides with the training batches' or the training test set's.
        long seed = args.integer("seed", 2024) * 0xD1B54A32D192ED03L + 0xE7A1L;
        Batch set = data.sample(new SplittableRandom(seed), count);
        Trainer.Evaluation e = Trainer.evaluate(c.model(), set, t.batch());
        out.printf(Locale.ROOT, "%s, n = %d, M = %d, order %d, width %d, %s, trained %d steps%n", t.task().label(), t.length(),
                t.modulus(), c.model().config().order(), c.model().config().width(), c.model().config().method().label(),
                c.optimizer().step());
        out.printf(Locale.ROOT, "accuracy %.4f  loss %.4f  on %d fresh sequences (%d positions, %.3f of labels are 1)%n",
                e.accuracy(), e.loss(), count, count * t.length(), set.positiveRate());
        return 0;
    }
}
