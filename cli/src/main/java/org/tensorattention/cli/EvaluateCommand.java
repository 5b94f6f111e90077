package org.tensorattention.cli;

import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.tensorattention.nn.Checkpoint;
import org.tensorattention.nn.TrainConfig;
import org.tensorattention.nn.Trainer;
import org.tensorattention.nn.task.Batch;
import org.tensorattention.nn.task.MatchData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tensor-attention evaluate}: accuracy of a checkpoint on a fresh held-out set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        header = "per-position accuracy of a trained checkpoint on fresh sequences",
        description = {
            "Loads a checkpoint written by train and prints its per-position accuracy and loss on freshly drawn "
                    + "sequences of its task (same n, M and sampling scheme; a seed the training never used)."})
final class EvaluateCommand extends Base {
    @Option(names = "--checkpoint", paramLabel = "FILE", required = true, description = "checkpoint.npz written by train")
    Path checkpoint;

    @Option(names = "--sequences", paramLabel = "N", defaultValue = "2000", description = "sequences to draw (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "2024", description = "seed of the fresh sequences (default: ${DEFAULT-VALUE})")
    long seedOption;

    @Mixin
    Flags.Threads threads;

    @Override
    int run() throws Exception {
        if (count < 1) {
            throw new UsageException("--sequences must be >= 1, got " + count);
        }
        Checkpoint.Loaded c = Checkpoint.load(checkpoint, threads.resolved());
        TrainConfig t = c.train();
        MatchData data = new MatchData(t.task(), t.length(), t.modulus(), t.subset());
        // Mixed with a constant so that no seed collides with the training batches' or the training test set's.
        long seed = seedOption * 0xD1B54A32D192ED03L + 0xE7A1L;
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
