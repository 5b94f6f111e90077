package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The background warm-up: a daemon thread (it never keeps a JVM alive) that an interrupt stops between calls. */
class WarmupTest {
    @Test
    void theBackgroundWarmUpIsADaemonThatAnInterruptStops() throws Exception {
        // Far more rounds than it could run before the interrupt: only the interrupt ends it.
        Thread t = Warmup.start(1_000_000);
        assertTrue(t.isDaemon());
        t.interrupt();
        t.join();
        assertFalse(t.isAlive());
    }

    @Test
    void aRunGoesThroughEveryPhase() {
        // Every dtype, order and shape, forward and backward (forward alone on the scalar path): an exception in
        // any of them fails the test.
        Warmup.run(1, 2);
    }
}
