package org.tensorattention.nn;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.tensorattention.io.Json;
import org.tensorattention.io.OutputTarget;
import org.tensorattention.io.Progress;
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

    /**
     * When to save a checkpoint on the way, and when to stop early: {@code every} steps (0: never) into
     * {@code file}, and as soon as {@code stop} is set (by a signal handler), after the step under way.
     */
    public record Checkpoints(int every, Path file, AtomicBoolean stop) {
        public static final Checkpoints NONE = new Checkpoints(0, null, new AtomicBoolean());
    }

    /** Trains to {@code trainer.config().steps()}; progress may be null. */
    public static Result train(String name, Trainer trainer, PrintStream progress) throws IOException {
        return train(name, trainer, progress, Checkpoints.NONE);
    }

    /**
     * Trains to {@code trainer.config().steps()} or until {@code checkpoints.stop()} is set; the result's
     * {@code steps} says how far it got. Progress may be null.
     */
    public static Result train(String name, Trainer trainer, PrintStream progress, Checkpoints checkpoints)
            throws IOException {
        TrainConfig c = trainer.config();
        long first = trainer.stepsDone();
        Progress bar = progress == null ? null : new Progress(name, Math.max(1, c.steps() - first), progress);
        String note = "";
        double testAccuracy = trainer.evaluations().isEmpty() ? Double.NaN
                : trainer.evaluations().get(trainer.evaluations().size() - 1).accuracy();
        long start = System.nanoTime();
        try {
            if (trainer.evaluations().isEmpty()) {
                testAccuracy = trainer.evaluate().accuracy();
            }
            while (trainer.stepsDone() < c.steps() && !checkpoints.stop().get()) {
                Trainer.Step s = trainer.step();
                if (s.step() % c.evalEvery() == 0 || s.step() == c.steps()) {
                    testAccuracy = trainer.evaluate().accuracy();
                }
                if (checkpoints.every() > 0 && s.step() % checkpoints.every() == 0 && s.step() < c.steps()) {
                    Checkpoint.save(trainer, checkpoints.file());
                }
                if (bar != null) {
                    // "batch": the step's own batch, not the train accuracy of the final line
                    note = String.format(Locale.ROOT, "batch loss %.4f  batch acc %.3f  test %s", s.loss(), s.accuracy(),
                            Double.isNaN(testAccuracy) ? "-" : String.format(Locale.ROOT, "%.3f", testAccuracy));
                    bar.step(note);
                }
            }
            if (trainer.evaluations().get(trainer.evaluations().size() - 1).step() != trainer.stepsDone()) {
                trainer.evaluate(); // stopped between evaluations: the results describe the parameters as they are
            }
        } finally {
            if (bar != null) {
                bar.finish(note);
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
        OutputTarget.of(dir.resolve("metrics.json")).writeText(Json.render(metrics(r)));
        Trainer t = r.trainer();
        Panels.writeRow(List.of(
                Curves.loss(r.name() + ": training loss", t.history()).size(640, 440),
                Curves.accuracy(r.name() + ": accuracy", t.history(), t.evaluations()).size(640, 440)),
                dir.resolve("curve.png"));
        Checkpoint.save(t, dir.resolve("checkpoint.npz"));
    }

    /** The checkpoint's numeric form of a configuration, with whole numbers as integers. */
    private static Map<String, Object> readable(Map<String, Double> numbers) {
        Map<String, Object> r = new LinkedHashMap<>();
        numbers.forEach((k, v) -> r.put(k, v == Math.rint(v) && Math.abs(v) < 1e15 ? (Object) (long) (double) v : v));
        return r;
    }

    /** Everything a run reports: configuration, per-step loss and accuracy, evaluations, final figures. */
    public static Map<String, Object> metrics(Result r) {
        Trainer t = r.trainer();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        ModelConfig mc = t.model().config();
        Map<String, Object> model = readable(mc.toNumbers());
        model.put("activation", mc.activation().name().toLowerCase(java.util.Locale.ROOT));
        model.put("method", mc.method().label());
        for (String flag : new String[] {"positions", "sink", "fourier"}) {
            model.computeIfPresent(flag, (k, v) -> ((Number) v).doubleValue() != 0);
        }
        m.put("model", model);
        Map<String, Object> train = readable(t.config().toNumbers());
        train.put("task", t.config().task().label());
        m.put("train", train);
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
