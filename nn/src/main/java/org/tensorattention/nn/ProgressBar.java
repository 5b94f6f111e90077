package org.tensorattention.nn;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The training progress line: the shared {@link org.tensorattention.plot.ProgressBar} (bar, step count,
 * elapsed time and estimate) with the loss and accuracy averaged over the last quarter second of steps and the
 * last held-out accuracy as its note.
 */
public final class ProgressBar {
    private static final long WINDOW_NANOS = 250_000_000L;

    private final org.tensorattention.plot.ProgressBar bar;
    private double lossSum;
    private double accSum;
    private int count;
    private long windowStart = System.nanoTime();
    private String averages = "";
    private double testAccuracy = Double.NaN;
    private String note = "";

    public ProgressBar(PrintStream out, String label, long total) {
        bar = new org.tensorattention.plot.ProgressBar(label, Math.max(1, total), out);
    }

    public void step(Trainer.Step s) {
        lossSum += s.loss();
        accSum += s.accuracy();
        count++;
        long now = System.nanoTime();
        if (now - windowStart >= WINDOW_NANOS || averages.isEmpty()) {
            averages = String.format(Locale.ROOT, "loss %.4f  acc %.3f", lossSum / count, accSum / count);
            windowStart = now;
            lossSum = 0;
            accSum = 0;
            count = 0;
        }
        note = averages + "  test " + (Double.isNaN(testAccuracy) ? "-"
                : String.format(Locale.ROOT, "%.3f", testAccuracy));
        bar.advance(1, note);
    }

    public void evaluation(Trainer.Evaluation e) {
        testAccuracy = e.accuracy();
    }

    /** Ends the line. */
    public void finish() {
        bar.finish(note);
    }
}
