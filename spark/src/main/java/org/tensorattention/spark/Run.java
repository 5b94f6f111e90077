package org.tensorattention.spark;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerEvent;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * One distributed call: its jobs run in their own job group, a listener counts their tasks (retries
 * included), and the kernel time the tasks report is summed here.
 */
final class Run implements AutoCloseable {
    private static final String GROUP = "spark.jobGroup.id";

    final JavaSparkContext sc;
    private final String group = "tensor-attention-" + UUID.randomUUID();
    private final long start = System.nanoTime();
    private final Counter counter = new Counter();
    private double kernelSeconds;
    private boolean closed;

    Run(JavaSparkContext sc) {
        this.sc = sc;
        sc.sc().addSparkListener(counter);
        sc.setJobGroup(group, "tensor attention", false);
    }

    void addKernel(long nanos) {
        kernelSeconds += nanos * 1e-9;
    }

    /** Cores the tasks ran on, for the time outside kernels. */
    int cores() {
        return Math.max(1, sc.defaultParallelism());
    }

    Report finish() {
        double seconds = (System.nanoTime() - start) * 1e-9;
        counter.drain();
        close();
        int executors = Math.max(1, sc.sc().statusTracker().getExecutorInfos().length - (isLocal() ? 0 : 1));
        return new Report(counter.tasks(), counter.failed(), executors, seconds, kernelSeconds,
                Math.max(0, seconds - kernelSeconds / cores()));
    }

    /** Leaves the job group and drops the listener; finish() does it too, this is for calls that fail. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            sc.clearJobGroup();
            sc.sc().removeSparkListener(counter);
        }
    }

    private boolean isLocal() {
        return sc.isLocal();
    }

    /** Marks the end of one call's events on the listener bus. */
    record Marker(String group) implements SparkListenerEvent {
    }

    /** Counts the task ends of this call's jobs; events arrive on the listener bus after the jobs return. */
    private final class Counter extends SparkListener {
        private boolean drained;
        private final Set<Integer> stages = new HashSet<>();
        private long tasks;
        private long failed;

        @Override
        public synchronized void onJobStart(SparkListenerJobStart e) {
            if (e.properties() != null && group.equals(e.properties().getProperty(GROUP))) {
                scala.collection.Iterator<Object> it = e.stageIds().iterator();
                while (it.hasNext()) {
                    stages.add((Integer) it.next());
                }
            }
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
            if (stages.contains(e.stageId())) {
                tasks++;
                if (!e.taskInfo().successful()) {
                    failed++;
                }
            }
        }

        @Override
        public synchronized void onOtherEvent(SparkListenerEvent e) {
            if (e instanceof Marker m && m.group.equals(group)) {
                drained = true;
                notifyAll();
            }
        }

        /**
         * Posts a marker behind this call's events and waits (a few seconds at most) until the listener has
         * seen it: the bus delivers in order, so every task end of the call has been counted by then.
         */
        synchronized void drain() {
            sc.sc().listenerBus().post(new Marker(group));
            long until = System.currentTimeMillis() + 10_000;
            try {
                while (!drained && System.currentTimeMillis() < until) {
                    wait(50);
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

        synchronized long tasks() {
            return tasks;
        }

        synchronized long failed() {
            return failed;
        }
    }
}
