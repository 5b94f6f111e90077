package org.tensorattention.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/** A minimal parallel for: tasks 0..count-1 handed out dynamically to a fixed number of threads. */
public final class Parallel {
    private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tensor-attention-worker");
        t.setDaemon(true);
        return t;
    });

    private Parallel() {
    }

    /**
     * Runs body(task) for every task in [0, count), on up to {@code threads} threads (the caller is one of
     * them). Tasks are claimed one at a time, so uneven tasks (causal rows) balance themselves.
     */
    public static void forEach(int count, int threads, IntConsumer body) {
        int workers = Math.max(1, Math.min(threads, count));
        if (workers == 1) {
            for (int task = 0; task < count; task++) {
                body.accept(task);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        Runnable worker = () -> {
            for (int task = next.getAndIncrement(); task < count; task = next.getAndIncrement()) {
                body.accept(task);
            }
        };
        List<Future<?>> futures = new ArrayList<>(workers - 1);
        for (int w = 1; w < workers; w++) {
            futures.add(POOL.submit(worker));
        }
        worker.run();
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                if (cause instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(cause);
            }
        }
    }
}
