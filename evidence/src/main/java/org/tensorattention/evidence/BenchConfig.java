package org.tensorattention.evidence;

import java.nio.file.Path;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;

/**
 * What {@link Bench} measures.
 *
 * @param exactN       sizes n for the exact kernel (n^k cost: keep them small)
 * @param polyN        sizes n for the polynomial method (about linear cost)
 * @param order        k
 * @param d            head width
 * @param dv           value width
 * @param dtype        element type of the inputs
 * @param mask         full, causal or window
 * @param bound        entries uniform in [-B, B]
 * @param epsilon      the polynomial method's error target
 * @param backward     also time the backward passes
 * @param warmups      untimed runs before each size
 * @param reps         most timed runs per size (the median and the best are reported)
 * @param pointSeconds time budget per size: repetitions stop once the timed runs add up to this, and a size
 *                     whose first run is predicted (from the previous size and the cost exponent) to take
 *                     longer than four times this is skipped
 * @param peakSeconds  length of each timed pass of the FMA peak measurement (0 skips it)
 * @param torch        try the PyTorch peer (python3 with torch) on the exact sizes
 * @param threads      worker threads (0: all processors)
 * @param seed         random seed of the inputs
 * @param output       folder for bench.csv, peak.csv and bench.png
 */
public record BenchConfig(int[] exactN, int[] polyN, int order, int d, int dv, DType dtype, Mask mask, double bound,
                          double epsilon, boolean backward, int warmups, int reps, double pointSeconds,
                          double peakSeconds, boolean torch, int threads, long seed, Path output) {

    public BenchConfig {
        exactN = exactN.clone();
        polyN = polyN.clone();
        if (order < 2) {
            throw new IllegalArgumentException("order must be at least 2, got " + order);
        }
        if (d < 1 || dv < 1) {
            throw new IllegalArgumentException("d and dv must be at least 1, got " + d + " and " + dv);
        }
        for (int n : exactN) {
            if (n < 1) {
                throw new IllegalArgumentException("sizes n must be at least 1, got " + n);
            }
        }
        for (int n : polyN) {
            if (n < 1) {
                throw new IllegalArgumentException("sizes n must be at least 1, got " + n);
            }
        }
        if (!(bound > 0) || !Double.isFinite(bound)) {
            throw new IllegalArgumentException("entry bound B must be positive, got " + bound);
        }
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new IllegalArgumentException("epsilon must lie in (0, 1), got " + epsilon);
        }
        if (warmups < 0 || reps < 1) {
            throw new IllegalArgumentException("warm-ups must be >= 0 and repetitions >= 1");
        }
        if (!(pointSeconds > 0) || peakSeconds < 0) {
            throw new IllegalArgumentException("time budgets must be positive");
        }
        mask.checkOrder(order);
    }

    /** The defaults: exact at n = 128..1024, poly at n = 2^12..2^20, order 3, d = dv = 8, float32, B = 1, eps = 1e-3. */
    public static BenchConfig defaults(Path output) {
        return new BenchConfig(new int[] {128, 192, 256, 384, 512, 768, 1024},
                new int[] {1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20},
                3, 8, 8, DType.FLOAT32, Mask.FULL, 1, 1e-3, true, 1, 3, 6, 0.25, true, 0, 1, output);
    }
}
