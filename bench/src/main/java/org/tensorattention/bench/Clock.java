package org.tensorattention.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/** The current thread's CPU time: on a shared machine it leaves out the time other processes hold the core. */
final class Clock {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private Clock() {
    }

    static long cpuNanos() {
        return THREADS.getCurrentThreadCpuTime();
    }
}
