package org.tensorattention.plot;

import java.io.PrintStream;

/**
 * A one-line progress bar for long runs, redrawn in place with a carriage return:
 *
 * <pre>
 * bench  [##########..........]  12/24  elapsed 0:41  eta 0:39  exact n=512
 * </pre>
 *
 * <p>The estimate of the time left assumes the remaining steps cost what the finished ones did on average;
 * callers whose steps differ in cost can pass weights ({@link #advance(double, String)}). Redraws are
 * throttled to a few per second so that a fast loop does not flood the terminal.
 */
public final class ProgressBar {
    private static final int WIDTH = 24;
    private static final long REDRAW_NANOS = 200_000_000L;

    private final String label;
    private final double total;
    private final PrintStream out;
    private final long start;
    private final Clock clock;
    private double done;
    private int steps;
    private long lastDraw;
    private int lastLength;
    private boolean finished;

    /** The clock, replaceable in tests. */
    @FunctionalInterface
    public interface Clock {
        long nanos();
    }

    /** A bar for {@code total} units of work (steps, or any positive weight), drawn on {@code out}. */
    public ProgressBar(String label, double total, PrintStream out) {
        this(label, total, out, System::nanoTime);
    }

    public ProgressBar(String label, double total, PrintStream out, Clock clock) {
        if (!(total > 0) || !Double.isFinite(total)) {
            throw new IllegalArgumentException("progress total must be positive and finite, got " + total);
        }
        this.label = label == null ? "" : label;
        this.total = total;
        this.out = out;
        this.clock = clock;
        this.start = clock.nanos();
        this.lastDraw = start - REDRAW_NANOS;
    }

    /** One unit done. */
    public void step(String note) {
        advance(1, note);
    }

    /** {@code units} of work done; {@code note} says what comes next or what just finished. */
    public void advance(double units, String note) {
        done = Math.min(total, done + units);
        steps++;
        long now = clock.nanos();
        if (now - lastDraw >= REDRAW_NANOS || done >= total) {
            lastDraw = now;
            draw(now, note);
        }
    }

    /** Shows a note without counting work (e.g. the step now starting); throttled like the steps. */
    public void note(String note) {
        long now = clock.nanos();
        if (now - lastDraw >= REDRAW_NANOS) {
            lastDraw = now;
            draw(now, note);
        }
    }

    /** Draws the final state and ends the line. */
    public void finish(String note) {
        if (finished || out == null) {
            finished = true;
            return;
        }
        finished = true;
        draw(clock.nanos(), note);
        out.println();
        out.flush();
    }

    /** The line as it would be drawn now (without the carriage return). */
    public String line(String note) {
        return render(clock.nanos(), note);
    }

    private void draw(long now, String note) {
        if (out == null) {
            return;
        }
        String s = render(now, note);
        int pad = Math.max(0, lastLength - s.length());
        out.print("\r" + s + " ".repeat(pad));
        out.flush();
        lastLength = s.length();
    }

    String render(long now, String note) {
        double fraction = done / total;
        int filled = (int) Math.round(fraction * WIDTH);
        double elapsed = (now - start) * 1e-9;
        String eta = done > 0 && done < total ? clock(elapsed * (total - done) / done) : done >= total ? "0:00" : "?";
        String count = total == Math.rint(total) && done == Math.rint(done)
                ? String.format("%d/%d", (long) done, (long) total)
                : String.format("%3.0f%%", 100 * fraction);
        return String.format("%s [%s%s] %s  elapsed %s  eta %s%s", label, "#".repeat(filled),
                ".".repeat(WIDTH - filled), count, clock(elapsed), eta, note == null || note.isEmpty() ? "" : "  " + note);
    }

    /** Seconds as m:ss (or h:mm:ss past an hour). */
    static String clock(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        if (s >= 3600) {
            return String.format("%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        }
        return String.format("%d:%02d", s / 60, s % 60);
    }

    public int steps() {
        return steps;
    }
}
