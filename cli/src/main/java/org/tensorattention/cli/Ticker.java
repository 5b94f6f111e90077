package org.tensorattention.cli;

import java.io.PrintStream;

/**
 * Shows that a long kernel call is alive: after two seconds, one stderr line redrawn every second with the
 * elapsed time, erased when the call returns. Only on a terminal, so files and pipes stay clean.
 */
final class Ticker implements AutoCloseable {
    private final Thread thread;
    private final PrintStream err;
    private volatile boolean drawn;

    private Ticker(String label, PrintStream err) {
        this.err = err;
        long start = System.nanoTime();
        thread = new Thread(() -> {
            try {
                Thread.sleep(2000);
                while (true) {
                    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
                    err.print("\r" + label + ": " + seconds + " s elapsed");
                    err.flush();
                    drawn = true;
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                // the call returned
            }
        }, "tensor-attention-ticker");
        thread.setDaemon(true);
    }

    /** Starts a ticker when err is the terminal's stderr; otherwise a ticker that never draws. */
    static Ticker start(String label, PrintStream err) {
        Ticker t = new Ticker(label, err);
        if (err == System.err && System.console() != null) {
            t.thread.start();
        }
        return t;
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (drawn) {
            err.print("\r\033[K");
            err.flush();
        }
    }
}
