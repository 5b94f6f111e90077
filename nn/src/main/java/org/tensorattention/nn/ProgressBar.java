package org.tensorattention.nn;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place with carriage returns: bar, step, loss and accuracy (averaged
 * over the steps since the last redraw), the last held-out accuracy, elapsed time.
 */
public final class ProgressBar {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long lastDraw;
    private double lossSum;
    private double accSum;
    private int count;
    private double testAccuracy = Double.NaN;

    public ProgressBar(PrintStream out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = total;
    }

    public void step(Trainer.Step s) {
        lossSum += s.loss();
        accSum += s.accuracy();
        count++;
        long now = System.nanoTime();
        if (now - lastDraw > 250_000_000L || s.step() == total) {
            draw(s.step());
            lastDraw = now;
            lossSum = 0;
            accSum = 0;
            count = 0;
        }
    }

    public void evaluation(Trainer.Evaluation e) {
        testAccuracy = e.accuracy();
    }

    private void draw(long step) {
        int width = 24;
        int filled = (int) Math.min(width, width * step / Math.max(1, total));
        String bar = "#".repeat(filled) + "-".repeat(width - filled);
        double seconds = (System.nanoTime() - start) * 1e-9;
        out.printf(Locale.ROOT, "\r%s [%s] step %d/%d  loss %.4f  acc %.3f  test %s  %.0fs ", label, bar, step, total,
                lossSum / Math.max(1, count), accSum / Math.max(1, count),
                Double.isNaN(testAccuracy) ? "-" : String.format(Locale.ROOT, "%.3f", testAccuracy), seconds);
        out.flush();
    }

    /** Ends the line. */
    public void finish() {
        out.println();
        out.flush();
    }
}
