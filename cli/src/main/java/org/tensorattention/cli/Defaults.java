package org.tensorattention.cli;

import org.tensorattention.nn.ModelConfig;

/** The default training settings: the Match3 experiment of docs/TRAINING.md. */
final class Defaults {
    static final int N = 16;
    static final int M = 24;
    static final int M2 = 24;
    static final int WIDTH = 32;
    static final int HEADS = 2;
    static final int STEPS = 3000;
    static final int BATCH = 64;
    static final double LR = 3e-3;
    static final double WEIGHT_DECAY = 0.01;
    static final int TEST_SIZE = 1000;
    static final int EVAL_EVERY = 100;

    private Defaults() {
    }

    static ModelConfig model(int m, int n, int width, int heads, int order, long seed) {
        if (width % heads != 0) {
            throw new UsageException("--width " + width + " is not a multiple of --heads " + heads);
        }
        return ModelConfig.of(m, n, width, heads, order).withSeed(seed);
    }

    static int warmup(int steps) {
        return Math.min(200, steps / 10);
    }
}
