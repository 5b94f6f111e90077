package org.tensorattention.evidence;

import java.util.Arrays;
import java.util.function.DoubleSupplier;

/**
 * Repeated timing of one call: warm-up runs (never recorded), then repetitions until the count or a time
 * budget is reached, whichever comes first (always at least one). The call reports its own seconds, so a
 * kernel can leave its validation and allocation out of the measurement.
 *
 * @param median median of the recorded runs
 * @param best   fastest recorded run
 * @param runs   how many runs were recorded
 */
public record Timing(double median, double best, int runs) {

    /**
     * @param call      runs once and returns its own wall time in seconds
     * @param warmups   runs before recording, never recorded (the rest are skipped once one passes the budget:
     *                  a first call at a new size can be many times slower than the next, heap growth included)
     * @param reps      most recorded runs
     * @param budgetSec stop repeating once recorded runs add up to this
     */
    public static Timing measure(DoubleSupplier call, int warmups, int reps, double budgetSec) {
        if (reps < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1, got " + reps);
        }
        for (int w = 0; w < warmups; w++) {
            if (call.getAsDouble() > budgetSec) {
                break;
            }
        }
        double[] t = new double[reps];
        int m = 0;
        double total = 0;
        while (m < reps && (m == 0 || total < budgetSec)) {
            t[m] = call.getAsDouble();
            total += t[m];
            m++;
        }
        return of(Arrays.copyOf(t, m));
    }

    /** Median and best of recorded times. */
    public static Timing of(double[] seconds) {
        if (seconds.length == 0) {
            throw new IllegalArgumentException("no timings");
        }
        double[] s = seconds.clone();
        Arrays.sort(s);
        int m = s.length;
        double median = m % 2 == 1 ? s[m / 2] : 0.5 * (s[m / 2 - 1] + s[m / 2]);
        return new Timing(median, s[0], m);
    }
}
