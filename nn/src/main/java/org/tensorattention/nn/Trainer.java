package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorattention.nn.task.Batch;
import org.tensorattention.nn.task.MatchData;

/**
 * Trains a {@link Transformer} on a Match task with AdamW. The batch of step t is drawn from a generator
 * seeded by (seed, t) alone, so training is a pure function of the configuration, the parameters, the
 * optimizer state and the step: a run resumed from a checkpoint continues exactly as an unbroken one.
 */
public final class Trainer {
    /** What one step did. */
    public record Step(long step, double loss, double accuracy, double lr, double seconds) {
    }

    /** Held-out accuracy at a step. */
    public record Evaluation(long step, double loss, double accuracy) {
    }

    private final Transformer model;
    private final TrainConfig config;
    private final AdamW optimizer;
    private final MatchData data;
    private final Batch testSet;
    private final List<Step> history = new ArrayList<>();
    private final List<Evaluation> evaluations = new ArrayList<>();

    public Trainer(Transformer model, TrainConfig config) {
        this(model, config, AdamW.standard(model.params(), config.weightDecay()));
    }

    Trainer(Transformer model, TrainConfig config, AdamW optimizer) {
        ModelConfig mc = model.config();
        if (mc.vocab() != config.modulus()) {
            throw new IllegalArgumentException("model vocabulary " + mc.vocab() + " differs from the modulus M " + config.modulus());
        }
        if (mc.length() < config.length()) {
            throw new IllegalArgumentException("model length " + mc.length() + " is shorter than n " + config.length());
        }
        this.model = model;
        this.config = config;
        this.optimizer = optimizer;
        this.data = new MatchData(config.task(), config.length(), config.modulus(), config.subset());
        this.testSet = data.sample(new SplittableRandom(testSeed(config.seed())), config.testSize());
    }

    /** The held-out set's seed: far from every training batch's. */
    static long testSeed(long seed) {
        return seed * 0x9E3779B97F4A7C15L + 0x7E57_7E57L;
    }

    /** Training batch t's seed. */
    static long batchSeed(long seed, long step) {
        return new SplittableRandom(seed).split().nextLong() ^ (step * 0xBF58476D1CE4E5B9L);
    }

    public Transformer model() {
        return model;
    }

    public TrainConfig config() {
        return config;
    }

    public AdamW optimizer() {
        return optimizer;
    }

    public MatchData data() {
        return data;
    }

    public Batch testSet() {
        return testSet;
    }

    /** Steps taken so far (also after resuming from a checkpoint). */
    public long stepsDone() {
        return optimizer.step();
    }

    public List<Step> history() {
        return history;
    }

    public List<Evaluation> evaluations() {
        return evaluations;
    }

    /** One optimizer step on a fresh batch. */
    public Step step() {
        long t = optimizer.step();
        long start = System.nanoTime();
        Batch batch = data.sample(new SplittableRandom(batchSeed(config.seed(), t)), config.batch());
        optimizer.zeroGrad();
        CrossEntropy.Result r;
        try {
            Hidden logits = model.forward(batch.tokens());
            r = CrossEntropy.of(logits, batch.labels());
            model.backward(r.gradient());
        } catch (IllegalArgumentException e) {
            // The polynomial method refuses once the scores outgrow what it can certify: say when.
            throw new IllegalArgumentException("step " + (t + 1) + ": " + e.getMessage(), e);
        }
        double lr = config.lrAt(t);
        optimizer.update(lr);
        Step s = new Step(t + 1, r.loss(), r.accuracy(), lr, (System.nanoTime() - start) * 1e-9);
        history.add(s);
        return s;
    }

    /** Loss and per-position accuracy on the held-out set, recorded at the current step. */
    public Evaluation evaluate() {
        Evaluation e = evaluate(model, testSet, config.batch());
        Evaluation at = new Evaluation(optimizer.step(), e.loss(), e.accuracy());
        evaluations.add(at);
        return at;
    }

    /** Loss and per-position accuracy of a model on a set, in chunks of {@code chunk} sequences. */
    public static Evaluation evaluate(Transformer model, Batch set, int chunk) {
        double loss = 0;
        long correct = 0;
        long rows = 0;
        for (int from = 0; from < set.size(); from += chunk) {
            int to = Math.min(set.size(), from + chunk);
            int[][] tokens = java.util.Arrays.copyOfRange(set.tokens(), from, to);
            int[][] labels = java.util.Arrays.copyOfRange(set.labels(), from, to);
            CrossEntropy.Result r = CrossEntropy.of(model.forward(tokens), labels);
            loss += r.loss() * r.rows();
            correct += r.correct();
            rows += r.rows();
        }
        return new Evaluation(0, loss / rows, (double) correct / rows);
    }
}
