package org.tensorattention.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorattention.nn.task.Task;

/**
 * How a model is trained on a Match task: the data (task, length n, modulus M, subset size s of the
 * balanced sampling scheme), the schedule (steps, batch, peak learning rate, warm-up steps, then cosine
 * decay to a tenth), AdamW's weight decay, the seed of the training batches and of the held-out test set,
 * the size of the test set and how often it is evaluated.
 */
public record TrainConfig(Task task, int length, int modulus, int subset, int steps, int batch, double lr,
                          double weightDecay, int warmup, long seed, int testSize, int evalEvery) {

    public TrainConfig {
        if (task == null) {
            throw new IllegalArgumentException("task must not be null");
        }
        check(steps >= 1, "steps must be at least 1, got " + steps);
        check(batch >= 1, "batch must be at least 1, got " + batch);
        check(lr > 0 && Double.isFinite(lr), "learning rate must be positive, got " + lr);
        check(weightDecay >= 0 && Double.isFinite(weightDecay), "weight decay must be >= 0, got " + weightDecay);
        check(warmup >= 0, "warm-up must be >= 0, got " + warmup);
        check(testSize >= 1, "test size must be at least 1, got " + testSize);
        check(evalEvery >= 1, "evaluation interval must be at least 1, got " + evalEvery);
        check(length >= 1 && modulus >= 2 && subset >= 1 && subset <= modulus,
                "need n >= 1, M >= 2 and 1 <= subset <= M (got n " + length + ", M " + modulus + ", subset " + subset + ")");
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** The learning rate at a step (0-based): linear warm-up, then cosine decay from lr to lr/10 at the last step. */
    public double lrAt(long step) {
        if (step < warmup) {
            return lr * (step + 1) / warmup;
        }
        double span = Math.max(1, steps - warmup);
        double progress = Math.min(1, (step - warmup) / span);
        return lr * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
    }

    public TrainConfig withSteps(int s) {
        return new TrainConfig(task, length, modulus, subset, s, batch, lr, weightDecay, warmup, seed, testSize, evalEvery);
    }

    /** Every value as a number, by name (how a checkpoint stores it). */
    public Map<String, Double> toNumbers() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("task", (double) task.ordinal());
        m.put("n", (double) length);
        m.put("modulus", (double) modulus);
        m.put("subset", (double) subset);
        m.put("steps", (double) steps);
        m.put("batch", (double) batch);
        m.put("lr", lr);
        m.put("weight_decay", weightDecay);
        m.put("warmup", (double) warmup);
        m.put("seed", (double) seed);
        m.put("test_size", (double) testSize);
        m.put("eval_every", (double) evalEvery);
        return m;
    }

    public static TrainConfig fromNumbers(Map<String, Double> m) {
        int task = whole(m, "task");
        if (task < 0 || task >= Task.values().length) {
            throw new IllegalArgumentException("training value 'task' is out of range: " + task);
        }
        return new TrainConfig(Task.values()[task], whole(m, "n"), whole(m, "modulus"), whole(m, "subset"),
                whole(m, "steps"), whole(m, "batch"), get(m, "lr"), get(m, "weight_decay"), whole(m, "warmup"),
                (long) get(m, "seed"), whole(m, "test_size"), whole(m, "eval_every"));
    }

    private static double get(Map<String, Double> m, String name) {
        Double v = m.get(name);
        if (v == null) {
            throw new IllegalArgumentException("training value '" + name + "' is missing");
        }
        return v;
    }

    private static int whole(Map<String, Double> m, String name) {
        double v = get(m, name);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("training value '" + name + "' must be a whole number, got " + v);
        }
        return (int) v;
    }
}
