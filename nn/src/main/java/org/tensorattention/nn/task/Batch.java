package org.tensorattention.nn.task;

/** Sequences of tokens and one 0/1 label per position. */
public record Batch(int[][] tokens, int[][] labels) {
    public int size() {
        return tokens.length;
    }

    /** Fraction of labels equal to 1. */
    public double positiveRate() {
        long ones = 0;
        long all = 0;
        for (int[] row : labels) {
            for (int y : row) {
                ones += y;
                all++;
            }
        }
        return all == 0 ? 0 : (double) ones / all;
    }
}
