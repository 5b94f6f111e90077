package org.tensorattention.io;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The one progress display of the long commands, on stderr:
 *
 * <pre>
 * bench [##########..............] 12/24  elapsed 0:41  eta 0:39  exact n=512
 * </pre>
 *
 * <ul>
 *   <li>On a terminal ({@link Mode#terminal}) the line is redrawn in place, a few times a second, cut to the
 *       terminal's width so that it never wraps.</li>
 *   <li>Elsewhere (a file, a pipe) it is a plain line every few seconds and at the end: no carriage
 *       returns.</li>
 *   <li>Quiet, nothing.</li>
 * </ul>
 *
 * The launcher tells the JVM what stderr is: {@code -Dtensorattention.tty=1} and
 * {@code -Dtensorattention.columns=N} ({@link Mode#fromSystem}); Java cannot tell a terminal from a pipe by
 * itself. The estimate of the time left assumes the remaining work costs what the finished work did on
 * average; callers whose steps differ in cost pass weights ({@link #advance}).
 */
public final class Progress {
    private static final int BAR = 24;
    private static final long REDRAW_NANOS = 200_000_000L;
    private static final long PLAIN_NANOS = 5_000_000_000L;

    /** Where progress goes and how it is drawn. */
    public record Mode(boolean terminal, int columns, boolean quiet) {
        public static final Mode QUIET = new Mode(false, 0, true);
        public static final Mode PLAIN = new Mode(false, 0, false);

        public static Mode terminal(int columns) {
            return new Mode(true, columns, false);
        }

        /** From the launcher's system properties; plain lines when they are absent. */
        public static Mode fromSystem() {
            if (!"1".equals(System.getProperty("tensorattention.tty"))) {
                return PLAIN;
            }
            int columns = 80;
            try {
                columns = Integer.parseInt(System.getProperty("tensorattention.columns", "80").trim());
            } catch (NumberFormatException ignored) {
                // 80 then: a usual terminal.
            }
            return terminal(columns > 10 ? columns : 80);
        }
    }

    /** The clock, replaceable in tests. */
    @FunctionalInterface
    public interface Clock {
        long nanos();
    }

    private static volatile Mode defaultMode = Mode.fromSystem();

    private final String label;
    private final double total;
    private final PrintStream out;
    private final Mode mode;
    private final Clock clock;
    private final long start;
    private double done;
    private int steps;
    private long lastDraw;
    private int lastLength;
    private boolean drawn;
    private boolean finished;

    /** The mode of this process's progress, set once by the command line (e.g. --quiet). */
    public static void setDefaultMode(Mode mode) {
        defaultMode = mode;
    }

    public static Mode defaultMode() {
        return defaultMode;
    }

    /** {@code total} units of work (steps, or any positive weight) on {@code out} (null: nothing) in the default mode. */
    public Progress(String label, double total, PrintStream out) {
        this(label, total, out, defaultMode, System::nanoTime);
    }

    public Progress(String label, double total, PrintStream out, Mode mode, Clock clock) {
        if (!(total > 0) || !Double.isFinite(total)) {
            throw new IllegalArgumentException("progress total must be positive and finite, got " + total);
        }
        this.label = label == null ? "" : label;
        this.total = total;
        this.out = mode.quiet() ? null : out;
        this.mode = mode;
        this.clock = clock;
        this.start = clock.nanos();
        // The first plain line comes after one interval; the first redraw at once.
        this.lastDraw = mode.terminal() ? start - REDRAW_NANOS : start;
    }

    /** One unit done. */
    public void step(String note) {
        advance(1, note);
    }

    /** {@code units} of work done; {@code note} says what comes next or what just finished. */
    public void advance(double units, String note) {
        done = Math.min(total, done + units);
        steps++;
        maybeDraw(note);
    }

    /** Shows a note without counting work (e.g. the step now starting); throttled like the steps. */
    public void note(String note) {
        maybeDraw(note);
    }

    private void maybeDraw(String note) {
        long now = clock.nanos();
        if (now - lastDraw >= (mode.terminal() ? REDRAW_NANOS : PLAIN_NANOS)) {
            lastDraw = now;
            draw(now, note);
        }
    }

    /** Draws the final state and ends the line. */
    public void finish(String note) {
        if (finished) {
            return;
        }
        finished = true;
        if (out != null) {
            draw(clock.nanos(), note);
            if (mode.terminal()) {
                out.println();
            }
            out.flush();
        }
    }

    /** Removes a redrawn line from the terminal (a plain line stays: it is a log). */
    public void erase() {
        finished = true;
        if (out != null && mode.terminal() && drawn) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
            out.flush();
        }
    }

    /** The line as it would be drawn now. */
    public String line(String note) {
        return render(clock.nanos(), note);
    }

    public int steps() {
        return steps;
    }

    private void draw(long now, String note) {
        if (out == null) {
            return;
        }
        String s = render(now, note, true);
        drawn = true;
        if (mode.terminal()) {
            // One column spare: a line that fills the last column wraps on some terminals.
            int width = mode.columns() - 1;
            if (s.length() > width) {
                s = render(now, note, false); // the count says what the bar does; the note matters more
            }
            if (s.length() > width) {
                s = s.substring(0, width);
            }
            out.print("\r" + s + " ".repeat(Math.max(0, lastLength - s.length())));
            lastLength = s.length();
        } else {
            out.println(s);
        }
        out.flush();
    }

    String render(long now, String note) {
        return render(now, note, true);
    }

    private String render(long now, String note, boolean withBar) {
        double fraction = done / total;
        int filled = (int) Math.round(fraction * BAR);
        double elapsed = (now - start) * 1e-9;
        String eta = done > 0 && done < total ? clock(elapsed * (total - done) / done) : done >= total ? "0:00" : "?";
        String count = total == Math.rint(total) && done == Math.rint(done)
                ? String.format(Locale.ROOT, "%d/%d", (long) done, (long) total)
                : String.format(Locale.ROOT, "%3.0f%%", 100 * fraction);
        String bar = withBar ? " [" + "#".repeat(filled) + ".".repeat(BAR - filled) + "]" : "";
        return String.format(Locale.ROOT, "%s%s %s  elapsed %s  eta %s%s", label, bar, count, clock(elapsed), eta,
                note == null || note.isEmpty() ? "" : "  " + note);
    }

    /** Seconds as m:ss (or h:mm:ss past an hour). */
    static String clock(double seconds) {
        long s = Math.round(Math.max(0, seconds));
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /** A display that ends with its try block. */
    public interface Running extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * For one long call whose progress is unknown: after two seconds, the elapsed time, redrawn every second on
     * a terminal or a line every few seconds elsewhere; a terminal line is erased when the call returns.
     */
    public static Running whileRunning(String label, PrintStream out) {
        Mode mode = defaultMode;
        if (out == null || mode.quiet()) {
            return () -> { };
        }
        long start = System.nanoTime();
        int[] length = {0};
        Thread thread = new Thread(() -> {
            try {
                Thread.sleep(2000);
                while (true) {
                    String s = label + ": " + clock((System.nanoTime() - start) * 1e-9) + " elapsed";
                    if (mode.terminal()) {
                        out.print("\r" + s);
                        length[0] = s.length();
                        Thread.sleep(1000);
                    } else {
                        out.println(s);
                        Thread.sleep(PLAIN_NANOS / 1_000_000);
                    }
                    out.flush();
                }
            } catch (InterruptedException e) {
                // the call returned
            }
        }, "tensor-attention-progress");
        thread.setDaemon(true);
        thread.start();
        return () -> {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (length[0] > 0) {
                out.print("\r" + " ".repeat(length[0]) + "\r");
                out.flush();
            }
        };
    }
}
