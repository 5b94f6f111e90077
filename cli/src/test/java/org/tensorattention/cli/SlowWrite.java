package org.tensorattention.cli;

import java.nio.file.Path;
import org.tensorattention.io.OutputPlan;
import org.tensorattention.io.OutputTarget;

/**
 * A child process for {@link SignalsTest}: starts writing a large output, says so on stdout, then waits in the
 * middle of the write until it is killed.
 */
public final class SlowWrite {
    private SlowWrite() {
    }

    public static void main(String[] args) throws Exception {
        try (OutputPlan plan = new OutputPlan(System.out)) {
            OutputTarget t = plan.output("--output", Path.of(args[0]));
            t.write(out -> {
                out.write(new byte[1 << 20]);
                out.flush();
                System.out.println("writing");
                System.out.flush();
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    throw new java.io.InterruptedIOException();
                }
            });
        }
    }
}
