package org.tensorattention.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.tensorattention.core.Method;
import org.tensorattention.io.Progress;
import org.tensorattention.nn.Checkpoint;
import org.tensorattention.nn.Experiment;
import org.tensorattention.nn.ModelConfig;
import org.tensorattention.nn.TrainConfig;
import org.tensorattention.nn.Trainer;
import org.tensorattention.nn.TrainingRun;
import org.tensorattention.nn.Transformer;
import org.tensorattention.nn.task.MatchData;
import org.tensorattention.nn.task.Task;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * {@code tensor-attention train}: a one-layer transformer with attention of order k learns Match3 or Match2;
 * progress on stderr, metrics.json, curve.png and checkpoint.npz in the output folder. {@code --compare}
 * runs the Match3 experiment (order 3 against order 2 at 1x, 2x and 4x width).
 *
 * <p>A checkpoint is saved every --checkpoint-every steps and when SIGINT (Ctrl-C) or SIGTERM arrives: the
 * step under way finishes, the outputs are written, and the exit status is 130 or 143 as for a signal.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        header = "train a small transformer with order-k attention on Match3/Match2 (--compare: the experiment)",
        description = {
            "Trains a one-layer transformer (embedding, attention of order k, MLP, per-position classifier) with "
                    + "AdamW on Match3 or Match2 (SPEC.md section 6), then reports per-position accuracy on held-out "
                    + "sequences. Each sequence draws s distinct residues of Z_M and its n tokens from them; s is "
                    + "chosen so that about half the labels are 1 unless --subset is given. Writes metrics.json, "
                    + "curve.png and checkpoint.npz into --output DIR, which must not exist yet (--overwrite replaces "
                    + "it). --resume FILE continues a checkpoint to --steps, its curve and metrics included (the "
                    + "configuration is the checkpoint's); its outputs go to the checkpoint's folder unless --output "
                    + "says otherwise."})
final class TrainCommand extends Base {
    static final String DEFAULT_OUTPUT = "train-output";

    @Option(names = "--task", paramLabel = "match3|match2", defaultValue = "match3", description = "the task (default: ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--order", paramLabel = "K", description = "attention order (default: the task's arity)")
    Integer order;

    @Option(names = "--method", paramLabel = "exact|poly", defaultValue = "exact", description = "attention method (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--epsilon", paramLabel = "E", defaultValue = "1e-4", converter = Flags.Finite.class,
            description = "poly: error target (default: ${DEFAULT-VALUE})")
    double epsilon;

    @Option(names = "--width", paramLabel = "D", defaultValue = "" + Defaults.WIDTH, description = "model width (default: ${DEFAULT-VALUE})")
    int width;

    @Option(names = "--heads", paramLabel = "H", defaultValue = "" + Defaults.HEADS, description = "attention heads (default: ${DEFAULT-VALUE})")
    int heads;

    @Option(names = "--n", paramLabel = "N", defaultValue = "" + Defaults.N, description = "sequence length (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--M", paramLabel = "M", defaultValue = "" + Defaults.M, description = "modulus, the vocabulary size (default: ${DEFAULT-VALUE})")
    int m;

    @Option(names = "--subset", paramLabel = "S", description = "residues per sequence (default: balanced labels)")
    Integer subset;

    @Option(names = "--steps", paramLabel = "T", description = "optimizer steps (default: " + Defaults.STEPS + "; with --resume, the checkpoint's)")
    Integer steps;

    @Option(names = "--batch", paramLabel = "B", defaultValue = "" + Defaults.BATCH, description = "sequences per step (default: ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--lr", paramLabel = "LR", defaultValue = "" + Defaults.LR, converter = Flags.Finite.class,
            description = "peak learning rate (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", paramLabel = "W", defaultValue = "" + Defaults.WEIGHT_DECAY, converter = Flags.Finite.class,
            description = "AdamW weight decay (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--test-size", paramLabel = "N", defaultValue = "" + Defaults.TEST_SIZE, description = "held-out sequences (default: ${DEFAULT-VALUE})")
    int testSize;

    @Option(names = "--eval-every", paramLabel = "T", defaultValue = "" + Defaults.EVAL_EVERY, description = "evaluate every T steps (default: ${DEFAULT-VALUE})")
    int evalEvery;

    @Option(names = "--checkpoint-every", paramLabel = "T", defaultValue = "500",
            description = "save checkpoint.npz every T steps, 0 for only at the end (default: ${DEFAULT-VALUE})")
    int checkpointEvery;

    @Option(names = "--mlp", paramLabel = "W", description = "MLP hidden width (default: 4x width)")
    Integer mlp;

    @Option(names = "--scale", paramLabel = "C", converter = Flags.Finite.class, description = "attention score scale (default: 1/sqrt(head width))")
    Double scale;

    @Option(names = "--no-sink", description = "no sink token in front of the sequences")
    boolean noSink;

    @Option(names = "--fourier", description = "start the token table from Fourier features of the residue")
    boolean fourier;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "seed of initialisation and data (default: ${DEFAULT-VALUE})")
    int seed;

    @Mixin
    Flags.Threads threads;

    @Option(names = "--output", paramLabel = "DIR", description = "output folder, created if its parent exists (default: " + DEFAULT_OUTPUT + ")")
    String output;

    @Option(names = "--overwrite", description = "replace what an existing output folder holds")
    boolean overwrite;

    @Option(names = "--resume", paramLabel = "FILE", description = "continue training from a checkpoint")
    Path resume;

    @Option(names = "--compare", description = "the Match3 experiment: order 3 vs order 2 at 1x, 2x, 4x width")
    boolean compare;

    @Mixin
    Flags.Quiet quiet;

    @Override
    int run() throws Exception {
        if (checkpointEvery < 0) {
            throw new UsageException("--checkpoint-every must be >= 0, got " + checkpointEvery);
        }
        int threadCount = threads.resolved();
        PrintStream progress = Progress.defaultMode().quiet() ? null : err;
        if (resume != null) {
            Checkpoint.Loaded c = Checkpoint.load(resume, threadCount);
            TrainConfig tc = c.train().withSteps(steps == null ? c.train().steps() : steps);
            if (c.optimizer().step() >= tc.steps()) {
                throw new UsageException("the checkpoint has done " + c.optimizer().step() + " steps already; ask for more with --steps");
            }
            Path own = resume.toAbsolutePath().getParent();
            Path dir = outputDir(output == null ? own.toString() : output, own);
            Trainer trainer = c.withTrain(tc).trainer();
            return train("resumed", trainer, progress, dir);
        }
        Task t;
        try {
            t = Task.parse(task);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--task " + task + ": " + e.getMessage());
        }
        int k = order == null ? t.arity() : order;
        if (n < 1 || m < 2 || k < 2 || width < 1 || heads < 1) {
            throw new UsageException("needs --n >= 1, --M >= 2, --order >= 2, --width >= 1 and --heads >= 1");
        }
        Method mt = Method.parse(method);
        if (mt == Method.AUTO) {
            throw new UsageException("--method must be exact or poly for training");
        }
        ModelConfig mc = Defaults.model(m, n, width, heads, k, seed).withMethod(mt, epsilon).withSink(!noSink).withFourier(fourier);
        if (mlp != null) {
            if (mlp < 0) {
                throw new UsageException("--mlp must be >= 0, got " + mlp);
            }
            mc = mc.withMlp(mlp, mc.activation());
        }
        if (scale != null) {
            mc = mc.withScale(scale);
        }
        int s = subset != null ? subset : MatchData.balancedSubset(t, n, m);
        int total = steps == null ? Defaults.STEPS : steps;
        TrainConfig tc = new TrainConfig(t, n, m, s, total, batch, lr, weightDecay, Defaults.warmup(total), seed, testSize, evalEvery);
        Path dir = outputDir(output == null ? DEFAULT_OUTPUT : output, null);
        if (compare) {
            List<TrainingRun.Result> results = Experiment.compare(mc, tc, Experiment.MATCH3_ARMS, threadCount, dir, progress);
            out.print(Experiment.table(results));
            out.println("wrote " + dir.resolve("compare.png") + ", compare.md, compare.json and one folder per model");
            return 0;
        }
        out.printf(Locale.ROOT, "%s: n = %d, M = %d, subset %d (positive rate %.3f), order %d, width %d, %d heads, %s%n",
                t.label(), n, m, s, new MatchData(t, n, m, s).positiveRate(2000), k, width, heads, mt.label());
        return train("order " + k, new Trainer(new Transformer(mc, threadCount), tc), progress, dir);
    }

    /** Trains with checkpoints and signal handling, writes the outputs, prints the final line. */
    private int train(String label, Trainer trainer, PrintStream progress, Path dir) throws IOException {
        Path checkpoint = dir.resolve("checkpoint.npz");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<String> signal = new AtomicReference<>();
        TrainingRun.Result r;
        try (SignalStop handlers = new SignalStop(stop, signal)) {
            r = TrainingRun.train(label, trainer, progress, new TrainingRun.Checkpoints(checkpointEvery, checkpoint, stop));
        }
        TrainingRun.writeOutputs(r, dir);
        out.printf(Locale.ROOT, "steps %d  time %.1f s  train accuracy %.4f  held-out accuracy %.4f%n", r.steps(),
                r.seconds(), r.trainAccuracy(), r.testAccuracy());
        out.println("wrote " + dir.resolve("metrics.json") + ", curve.png, checkpoint.npz");
        if (signal.get() != null) {
            err.println("tensor-attention train: stopped by SIG" + signal.get() + " after step " + r.steps() + " of "
                    + trainer.config().steps() + "; continue with: tensor-attention train --resume " + checkpoint);
            return signal.get().equals("INT") ? 130 : 143;
        }
        return 0;
    }

    /**
     * While training, SIGINT and SIGTERM ask the loop to stop after the step under way (so that a checkpoint
     * of consistent parameters is written) instead of ending the JVM; the previous handlers come back after.
     */
    private static final class SignalStop implements AutoCloseable {
        private final List<Signal> signals = List.of(new Signal("INT"), new Signal("TERM"));
        private final List<sun.misc.SignalHandler> previous = new java.util.ArrayList<>();

        SignalStop(AtomicBoolean stop, AtomicReference<String> which) {
            for (Signal s : signals) {
                previous.add(Signal.handle(s, sig -> {
                    which.compareAndSet(null, sig.getName());
                    stop.set(true);
                }));
            }
        }

        @Override
        public void close() {
            for (int i = 0; i < signals.size(); i++) {
                Signal.handle(signals.get(i), previous.get(i));
            }
        }
    }

    /**
     * The output folder, created when its parent exists; a missing parent is bad input. An existing folder
     * that holds files is refused unless --overwrite is given, or it is {@code own}, the folder of the
     * checkpoint being resumed.
     */
    Path outputDir(String name, Path own) throws IOException {
        Path dir = Path.of(name).toAbsolutePath().normalize();
        if (Files.isDirectory(dir)) {
            boolean empty;
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            }
            boolean resumingInPlace = own != null && Files.isSameFile(dir, own);
            if (!empty && !overwrite && !resumingInPlace) {
                throw new UsageException("--output " + name + " exists and is not empty; give --overwrite to replace its files, or another folder");
            }
            return dir;
        }
        if (Files.exists(dir)) {
            throw new UsageException("--output " + name + " exists and is not a folder");
        }
        Path parent = dir.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new UsageException("--output " + name + ": folder " + parent + " does not exist");
        }
        Files.createDirectory(dir);
        return dir;
    }
}
