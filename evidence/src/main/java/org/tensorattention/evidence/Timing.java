package org.tensorattention.evidence;

import java.util.Arrays;
import java.util.function.DoubleSupplier;

/**
 * Repeated timing of one call: warm-up runs (not recorded), then repetitions until the count or a time
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
     * @param warmups   runs before recording (skipped once one run alone passes the budget)
     * @param reps      most recorded runs
     * @param budgetSec stop repeating once recorded runs add up to this
     */
    public static Timing measure(DoubleSupplier call, int warmups, int reps, double budgetSec) {
        if (reps < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1, got " + reps);
        }
        for (int w = 0; w < warmups; w++) {
            double s = call.getAsDouble();
            if (s > budgetSec) {
                // A run this long is its own warm-up: record it rather than pay for it twice.
                return finish(new double[] {s}, 1, call, reps, budgetSec);
            }
        }
        return finish(new double[reps], 0, call, reps, budgetSec);
    }

    private static Timing finish(double[] seen, int have, DoubleSupplier call, int reps, double budgetSec) {
        double[] t = Arrays.copyOf(seen, reps);
        int m = have;
        double total = 0;
        for (int i = 0; i < m; i++) {
            total += t[i];
        }
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
