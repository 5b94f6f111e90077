package org.tensorattention.nn;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.tensorattention.io.Json;
import org.tensorattention.io.OutputTarget;
import org.tensorattention.plot.LinePlot;
import org.tensorattention.plot.Panels;

/**
 * The Match3 comparison: one-layer attention of order 3 against one-layer ordinary attention (order 2) at
 * the same width and at 2x and 4x the width, all on the same data, schedule and seed. Writes each run's
 * outputs into a sub-folder, the learning curves side by side in {@code compare.png}, and a table in
 * {@code compare.md} and {@code compare.json}.
 */
public final class Experiment {
    /** One arm of the comparison: its name, attention order and width multiple. */
    public record Arm(String name, int order, int widthFactor) {
    }

    public static final List<Arm> MATCH3_ARMS = List.of(
            new Arm("order 3, width 1x", 3, 1),
            new Arm("order 2, width 1x", 2, 1),
            new Arm("order 2, width 2x", 2, 2),
            new Arm("order 2, width 4x", 2, 4));

    private Experiment() {
    }

    /** Runs the arms one after the other from the base configuration (whose order and width are overridden). */
    public static List<TrainingRun.Result> compare(ModelConfig base, TrainConfig train, List<Arm> arms, int threads,
                                                   Path dir, PrintStream progress) throws IOException {
        List<TrainingRun.Result> results = new ArrayList<>();
        for (Arm arm : arms) {
            ModelConfig mc = armConfig(base, arm);
            Trainer trainer = new Trainer(new Transformer(mc, threads), train);
            TrainingRun.Result r = TrainingRun.train(arm.name(), trainer, progress);
            Path sub = dir.resolve(slug(arm));
            Files.createDirectories(sub);
            TrainingRun.writeOutputs(r, sub);
            results.add(r);
        }
        writeSummary(results, dir);
        return results;
    }

    /** The base configuration with the arm's order and width (heads kept; head and MLP widths scale with it). */
    static ModelConfig armConfig(ModelConfig base, Arm arm) {
        int width = base.width() * arm.widthFactor();
        int hw = width / base.heads();
        return new ModelConfig(base.vocab(), base.length(), width, base.heads(), hw, arm.order(), base.layers(),
                base.mlpWidth() * arm.widthFactor(), base.activation(), base.positions(), base.sink(), base.fourier(), base.method(), base.epsilon(),
                scaleFor(base, hw), base.classes(), base.seed());
    }

    /** The default scale 1/sqrt(head width) follows the arm's head width; any other scale is kept as given. */
    private static double scaleFor(ModelConfig base, int hw) {
        boolean isDefault = Math.abs(base.scale() - 1 / Math.sqrt(base.headWidth())) < 1e-15;
        return isDefault ? 1 / Math.sqrt(hw) : base.scale();
    }

    static String slug(Arm arm) {
        return "order" + arm.order() + "-width" + arm.widthFactor() + "x";
    }

    /** compare.png (held-out accuracy and training loss of every arm), compare.md and compare.json. */
    public static void writeSummary(List<TrainingRun.Result> results, Path dir) throws IOException {
        LinePlot acc = new LinePlot("Match3: held-out per-position accuracy", "step", "accuracy").yRange(0.4, 1.0)
                .legend(LinePlot.Corner.BOTTOM_RIGHT).size(700, 480);
        LinePlot loss = new LinePlot("Match3: training loss", "step", "cross-entropy (smoothed)").logY()
                .legend(LinePlot.Corner.BOTTOM_LEFT).size(700, 480);
        for (TrainingRun.Result r : results) {
            Trainer t = r.trainer();
            acc.series(label(r), t.evaluations().stream().mapToDouble(Trainer.Evaluation::step).toArray(),
                    t.evaluations().stream().mapToDouble(Trainer.Evaluation::accuracy).toArray());
            loss.line(label(r), Curves.steps(t.history()), Curves.smooth(Curves.losses(t.history())));
        }
        acc.horizontal("95%", 0.95);
        Panels.writeRow(List.of(acc, loss), dir.resolve("compare.png"));
        OutputTarget.of(dir.resolve("compare.md")).writeText(table(results));
        List<Object> rows = new ArrayList<>();
        for (TrainingRun.Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", r.name());
            m.put("order", r.trainer().model().config().order());
            m.put("width", r.trainer().model().config().width());
            m.put("parameters", r.trainer().model().parameterCount());
            m.put("steps", r.steps());
            m.put("seconds", r.seconds());
            m.put("final_train_accuracy", r.trainAccuracy());
            m.put("final_test_accuracy", r.testAccuracy());
            rows.add(m);
        }
        OutputTarget.of(dir.resolve("compare.json")).writeText(Json.render(rows));
    }

    private static String label(TrainingRun.Result r) {
        ModelConfig c = r.trainer().model().config();
        return "order " + c.order() + ", width " + c.width();
    }

    /** A markdown table of the results. */
    public static String table(List<TrainingRun.Result> results) {
        StringBuilder sb = new StringBuilder();
        sb.append("| model | order | width | parameters | steps | time (s) | train acc. | held-out acc. |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (TrainingRun.Result r : results) {
            ModelConfig c = r.trainer().model().config();
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %d | %d | %.0f | %.3f | %.3f |%n", r.name(), c.order(),
                    c.width(), r.trainer().model().parameterCount(), r.steps(), r.seconds(), r.trainAccuracy(),
                    r.testAccuracy()));
        }
        return sb.toString();
    }
}
