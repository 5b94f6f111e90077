package org.tensorattention.spark;

import java.io.Serializable;

/**
 * How a call is cut into Spark tasks.
 *
 * @param broadcastLimit largest key/value bytes sent whole to every executor; above it each task gets only
 *                       the key blocks it needs, of at most this many bytes
 * @param queryBlocks    query blocks per problem; 0 picks about two tasks per executor core
 * @param reduceRows     rows per key block when key gradients are summed
 * @param sequenceCalls  sequences of a packed batch in flight at once; 0 picks two per executor core
 * @param shortFlops     exact sequences of a packed forward with at most this much kernel work share one job
 *                       ({@link ShortSequences}); 0 gives every sequence its own call
 */
public record Settings(long broadcastLimit, int queryBlocks, int reduceRows, int sequenceCalls, double shortFlops)
        implements Serializable {
    public Settings {
        if (broadcastLimit < 1 || queryBlocks < 0 || reduceRows < 1 || sequenceCalls < 0 || !(shortFlops >= 0)) {
            throw new IllegalArgumentException("settings must be positive");
        }
    }

    /**
     * 256 MiB of keys broadcast, automatic blocks, key gradients summed in blocks of 4096 rows, sequences of up
     * to {@link ShortSequences#SHORT_FLOPS} in one job.
     */
    public static Settings defaults() {
        return new Settings(256L << 20, 0, 4096, 0, ShortSequences.SHORT_FLOPS);
    }

    public Settings withBroadcastLimit(long bytes) {
        return new Settings(bytes, queryBlocks, reduceRows, sequenceCalls, shortFlops);
    }

    public Settings withQueryBlocks(int blocks) {
        return new Settings(broadcastLimit, blocks, reduceRows, sequenceCalls, shortFlops);
    }

    public Settings withReduceRows(int rows) {
        return new Settings(broadcastLimit, queryBlocks, rows, sequenceCalls, shortFlops);
    }

    public Settings withSequenceCalls(int calls) {
        return new Settings(broadcastLimit, queryBlocks, reduceRows, calls, shortFlops);
    }

    public Settings withShortFlops(double flops) {
        return new Settings(broadcastLimit, queryBlocks, reduceRows, sequenceCalls, flops);
    }
}
