package org.tensorattention.nn;

import java.util.List;
import org.tensorattention.plot.LinePlot;

/** Learning curves as plots: the training loss and the accuracies against the step. */
public final class Curves {
    private Curves() {
    }

    /** Moving average over a window of about 1% of the run (at least 1 step). */
    static double[] smooth(double[] y) {
        int w = Math.max(1, y.length / 100);
        double[] out = new double[y.length];
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += y[i];
            if (i >= w) {
                sum -= y[i - w];
            }
            out[i] = sum / Math.min(i + 1, w);
        }
        return out;
    }

    static double[] steps(List<Trainer.Step> h) {
        return h.stream().mapToDouble(Trainer.Step::step).toArray();
    }

    static double[] losses(List<Trainer.Step> h) {
        return h.stream().mapToDouble(Trainer.Step::loss).toArray();
    }

    static double[] accuracies(List<Trainer.Step> h) {
        return h.stream().mapToDouble(Trainer.Step::accuracy).toArray();
    }

    /** Training loss (smoothed) of one run. */
    public static LinePlot loss(String title, List<Trainer.Step> history) {
        return new LinePlot(title, "step", "training loss (cross-entropy)").logY()
                .line("training loss", steps(history), smooth(losses(history)));
    }

    /** Training accuracy (smoothed) and held-out accuracy of one run. */
    public static LinePlot accuracy(String title, List<Trainer.Step> history, List<Trainer.Evaluation> evals) {
        return new LinePlot(title, "step", "per-position accuracy").yRange(0.4, 1.0)
                .line("training batches", steps(history), smooth(accuracies(history)))
                .series("held-out", evals.stream().mapToDouble(Trainer.Evaluation::step).toArray(),
                        evals.stream().mapToDouble(Trainer.Evaluation::accuracy).toArray())
                .horizontal("95%", 0.95)
                .legend(LinePlot.Corner.BOTTOM_RIGHT);
    }
}
