package org.tensorattention.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.tensorattention.core.Method;
import org.tensorattention.nn.Checkpoint;
import org.tensorattention.nn.Experiment;
import org.tensorattention.nn.ModelConfig;
import org.tensorattention.nn.TrainConfig;
import org.tensorattention.nn.Trainer;
import org.tensorattention.nn.TrainingRun;
import org.tensorattention.nn.Transformer;
import org.tensorattention.nn.task.MatchData;
import org.tensorattention.nn.task.Task;

/**
 * {@code tensor-attention train}: a one-layer transformer with attention of order k learns Match3 or Match2;
 * progress on stderr, metrics.json, curve.png and checkpoint.npz in the output folder. {@code --compare}
 * runs the Match3 experiment (order 3 against order 2 at 1x, 2x and 4x width).
 */
final class TrainCommand implements Command {
    static final String DEFAULT_OUTPUT = "train-output";

    @Override
    public String name() {
        return "train";
    }

    @Override
    public String summary() {
        return "train a small transformer with order-k attention on Match3/Match2 (--compare: the experiment)";
    }

    @Override
    public String usage() {
        return """
                Trains a one-layer transformer (embedding, attention of order k, MLP, per-position classifier) with
                AdamW on Match3 or Match2 (SPEC.md section 6), then reports per-position accuracy on held-out
                sequences. Each sequence draws s distinct residues of Z_M and its n tokens from them; s is chosen
                so that about half the labels are 1 unless --subset is given. With no options: Match3 at the
                default settings. --resume FILE continues a checkpoint to --steps (the configuration is the
                checkpoint's). Writes metrics.json, curve.png and checkpoint.npz into --output DIR.""";
    }

    @Override
    public List<Args.Option> options() {
        return List.of(
                Args.Option.value("task", "match3|match2", "the task (default match3)"),
                Args.Option.value("order", "K", "attention order (default 3)"),
                Args.Option.value("method", "exact|poly", "attention method (default exact)"),
                Args.Option.value("epsilon", "E", "poly: error target (default 1e-4)"),
                Args.Option.value("width", "D", "model width (default " + Defaults.WIDTH + ")"),
                Args.Option.value("heads", "H", "attention heads (default " + Defaults.HEADS + ")"),
                Args.Option.value("n", "N", "sequence length (default " + Defaults.N + ")"),
                Args.Option.value("M", "M", "modulus, the vocabulary size (default " + Defaults.M + ")"),
                Args.Option.value("subset", "S", "residues per sequence (default: balanced labels)"),
                Args.Option.value("steps", "T", "optimizer steps (default " + Defaults.STEPS + ")"),
                Args.Option.value("batch", "B", "sequences per step (default " + Defaults.BATCH + ")"),
                Args.Option.value("lr", "LR", "peak learning rate (default " + Defaults.LR + ")"),
                Args.Option.value("weight-decay", "W", "AdamW weight decay (default " + Defaults.WEIGHT_DECAY + ")"),
                Args.Option.value("test-size", "N", "held-out sequences (default " + Defaults.TEST_SIZE + ")"),
                Args.Option.value("eval-every", "T", "evaluate every T steps (default " + Defaults.EVAL_EVERY + ")"),
                Args.Option.value("mlp", "W", "MLP hidden width (default 4x width)"),
                Args.Option.value("scale", "C", "attention score scale (default 1/sqrt(head width))"),
                Args.Option.flag("no-sink", "no sink token in front of the sequences"),
                Args.Option.flag("fourier", "start the token table from Fourier features of the residue"),
                Args.Option.value("seed", "S", "seed of initialisation and data (default 1)"),
                Args.THREADS,
                Args.Option.value("output", "DIR", "output folder, created if its parent exists (default " + DEFAULT_OUTPUT + ")"),
                Args.Option.value("resume", "FILE", "continue training from a checkpoint"),
                Args.Option.flag("compare", "the Match3 experiment: order 3 vs order 2 at 1x, 2x, 4x width"),
                Args.Option.flag("quiet", "no progress bar"));
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws Exception {
        int threads = args.integer("threads", 0);
        if (threads < 0) {
            throw new UsageException("--threads must be >= 0, got " + threads);
        }
        threads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        Path dir = outputDir(args.string("output", DEFAULT_OUTPUT));
        PrintStream progress = args.has("quiet") ? null : err;
        if (args.has("resume")) {
            Checkpoint.Loaded c = Checkpoint.load(args.path("resume"), threads);
            TrainConfig tc = c.train().withSteps(args.integer("steps", c.train().steps()));
            Trainer trainer = new Checkpoint.Loaded(c.model(), tc, c.optimizer()).trainer();
            if (trainer.stepsDone() >= tc.steps()) {
                throw new UsageException("the checkpoint has done " + trainer.stepsDone() + " steps already; ask for more with --steps");
            }
            report(out, finish(TrainingRun.train("resumed", trainer, progress), dir), dir);
            return 0;
        }
        Task task = Task.parse(args.string("task", "match3"));
        int n = args.integer("n", Defaults.N);
        int m = args.integer("M", task == Task.MATCH2 ? Defaults.M2 : Defaults.M);
        int order = args.integer("order", task.arity());
        int width = args.integer("width", Defaults.WIDTH);
        int heads = args.integer("heads", Defaults.HEADS);
        if (n < 1 || m < 2 || order < 2 || width < 1 || heads < 1) {
            throw new UsageException("need n >= 1, M >= 2, order >= 2, width >= 1 and heads >= 1");
        }
        Method method = Method.parse(args.string("method", "exact"));
        if (method == Method.AUTO) {
            throw new UsageException("--method must be exact or poly for training");
        }
        ModelConfig mc = Defaults.model(m, n, width, heads, order, args.integer("seed", 1))
                .withMethod(method, args.number("epsilon", 1e-4))
                .withSink(!args.has("no-sink"))
                .withFourier(args.has("fourier"));
        if (args.has("mlp")) {
            int hidden = args.integer("mlp", 0);
            if (hidden < 0) {
                throw new UsageException("--mlp must be >= 0, got " + hidden);
            }
            mc = mc.withMlp(hidden, mc.activation());
        }
        if (args.has("scale")) {
            mc = mc.withScale(args.number("scale", 1));
        }
        int subset = args.has("subset") ? args.integer("subset", m) : MatchData.balancedSubset(task, n, m);
        TrainConfig tc = new TrainConfig(task, n, m, subset, args.integer("steps", Defaults.STEPS),
                args.integer("batch", Defaults.BATCH), args.number("lr", Defaults.LR),
                args.number("weight-decay", Defaults.WEIGHT_DECAY), Defaults.warmup(args.integer("steps", Defaults.STEPS)),
                args.integer("seed", 1), args.integer("test-size", Defaults.TEST_SIZE),
                args.integer("eval-every", Defaults.EVAL_EVERY));
        if (args.has("compare")) {
            List<TrainingRun.Result> results = Experiment.compare(mc, tc, Experiment.MATCH3_ARMS, threads, dir, progress);
            out.print(Experiment.table(results));
            out.println("wrote " + dir.resolve("compare.png") + ", compare.md, compare.json and one folder per model");
            return 0;
        }
        out.printf(Locale.ROOT, "%s: n = %d, M = %d, subset %d (positive rate %.3f), order %d, width %d, %d heads, %s%n",
                task.label(), n, m, subset, new MatchData(task, n, m, subset).positiveRate(2000), order, width, heads, method.label());
        Trainer trainer = new Trainer(new Transformer(mc, threads), tc);
        report(out, finish(TrainingRun.train("order " + order, trainer, progress), dir), dir);
        return 0;
    }

    private static TrainingRun.Result finish(TrainingRun.Result r, Path dir) throws java.io.IOException {
        TrainingRun.writeOutputs(r, dir);
        return r;
    }

    private static void report(PrintStream out, TrainingRun.Result r, Path dir) {
        out.printf(Locale.ROOT, "steps %d  time %.1f s  train accuracy %.4f  held-out accuracy %.4f%n", r.steps(),
                r.seconds(), r.trainAccuracy(), r.testAccuracy());
        out.println("wrote " + dir.resolve("metrics.json") + ", curve.png, checkpoint.npz");
    }

    /** The folder, created when its parent exists; a missing parent is bad input. */
    static Path outputDir(String name) throws java.io.IOException {
        Path dir = Path.of(name).toAbsolutePath();
        if (Files.isDirectory(dir)) {
            return dir;
        }
        if (Files.exists(dir)) {
            throw new UsageException("--output " + name + " exists and is not a folder");
        }
        Path parent = dir.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new UsageException("output folder " + parent + " does not exist");
        }
        Files.createDirectory(dir);
        return dir;
    }
}
