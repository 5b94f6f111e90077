package org.tensorattention.nn;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.tensorattention.io.Json;
import org.tensorattention.nn.task.Batch;
import org.tensorattention.plot.Panels;

/**
 * One training run from start (or a resumed step) to the configured number of steps: held-out evaluation
 * every {@code evalEvery} steps and at the end, a progress bar, and in the output folder
 * {@code metrics.json}, {@code curve.png} and {@code checkpoint.npz}.
 */
public final class TrainingRun {
    /** The outcome: final accuracies and the wall time of the training loop. */
    public record Result(String name, double trainAccuracy, double testAccuracy, double testLoss, double seconds,
                         long steps, Trainer trainer) {
    }

    private TrainingRun() {
    }

    /** Trains to {@code trainer.config().steps()}; progress may be null. */
    public static Result train(String name, Trainer trainer, PrintStream progress) {
        TrainConfig c = trainer.config();
        ProgressBar bar = progress == null ? null : new ProgressBar(progress, name, c.steps());
        long start = System.nanoTime();
        try {
            if (trainer.evaluations().isEmpty()) {
                Trainer.Evaluation e = trainer.evaluate();
                if (bar != null) {
                    bar.evaluation(e);
                }
            }
            while (trainer.stepsDone() < c.steps()) {
                Trainer.Step s = trainer.step();
                if (s.step() % c.evalEvery() == 0 || s.step() == c.steps()) {
                    Trainer.Evaluation e = trainer.evaluate();
                    if (bar != null) {
                        bar.evaluation(e);
                    }
                }
                if (bar != null) {
                    bar.step(s);
                }
            }
        } finally {
            if (bar != null) {
                bar.finish();
            }
        }
        double seconds = (System.nanoTime() - start) * 1e-9;
        Trainer.Evaluation last = trainer.evaluations().get(trainer.evaluations().size() - 1);
        return new Result(name, trainAccuracy(trainer), last.accuracy(), last.loss(), seconds, trainer.stepsDone(), trainer);
    }

    /**
     * Accuracy of the final parameters on the last training batches (re-drawn from their seeds), about as
     * many sequences as the held-out set.
     */
    static double trainAccuracy(Trainer trainer) {
        TrainConfig c = trainer.config();
        long done = trainer.stepsDone();
        int batches = (int) Math.min(done, Math.max(1, c.testSize() / c.batch()));
        double correct = 0;
        double rows = 0;
        for (long t = done - batches; t < done; t++) {
            Batch b = trainer.data().sample(new SplittableRandom(Trainer.batchSeed(c.seed(), t)), c.batch());
            Trainer.Evaluation e = Trainer.evaluate(trainer.model(), b, c.batch());
            int r = b.size() * c.length();
            correct += e.accuracy() * r;
            rows += r;
        }
        return rows == 0 ? Double.NaN : correct / rows;
    }

    /** metrics.json, curve.png and checkpoint.npz in dir (which must exist). */
    public static void writeOutputs(Result r, Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("output folder " + dir + " does not exist");
        }
        Json.write(dir.resolve("metrics.json"), metrics(r));
        Trainer t = r.trainer();
        Panels.writeRow(List.of(
                Curves.loss(r.name() + ": training loss", t.history()).size(640, 440),
                Curves.accuracy(r.name() + ": accuracy", t.history(), t.evaluations()).size(640, 440)),
                dir.resolve("curve.png"));
        Checkpoint.save(t, dir.resolve("checkpoint.npz"));
    }

    /** Everything a run reports: configuration, per-step loss and accuracy, evaluations, final figures. */
    public static Map<String, Object> metrics(Result r) {
        Trainer t = r.trainer();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("model", t.model().config().toNumbers());
        m.put("train", t.config().toNumbers());
        m.put("task", t.config().task().label());
        m.put("method", t.model().config().method().label());
        m.put("parameters", t.model().parameterCount());
        m.put("steps", r.steps());
        m.put("seconds", r.seconds());
        m.put("final_train_accuracy", r.trainAccuracy());
        m.put("final_test_accuracy", r.testAccuracy());
        m.put("final_test_loss", r.testLoss());
        m.put("test_positive_rate", t.testSet().positiveRate());
        List<Trainer.Step> h = t.history();
        m.put("step", h.stream().mapToLong(Trainer.Step::step).toArray());
        m.put("loss", h.stream().mapToDouble(Trainer.Step::loss).toArray());
        m.put("train_batch_accuracy", h.stream().mapToDouble(Trainer.Step::accuracy).toArray());
        m.put("lr", h.stream().mapToDouble(Trainer.Step::lr).toArray());
        List<Trainer.Evaluation> e = t.evaluations();
        m.put("eval_step", e.stream().mapToLong(Trainer.Evaluation::step).toArray());
        m.put("test_accuracy", e.stream().mapToDouble(Trainer.Evaluation::accuracy).toArray());
        m.put("test_loss", e.stream().mapToDouble(Trainer.Evaluation::loss).toArray());
        return m;
    }
}
