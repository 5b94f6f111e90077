package org.tensorattention.plot;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Tick positions and labels: 1-2-5 steps on linear axes, decades (or 1-2-5 within one) on log axes. */
final class Ticks {
    private Ticks() {
    }

    /** About {@code target} round values covering [lo, hi]. */
    static List<Double> linear(double lo, double hi, int target) {
        double step = niceStep((hi - lo) / Math.max(1, target));
        List<Double> ticks = new ArrayList<>();
        double first = Math.ceil(lo / step - 1e-9) * step;
        for (double t = first; t <= hi + step * 1e-9; t += step) {
            ticks.add(Math.abs(t) < step * 1e-9 ? 0.0 : t);
        }
        return ticks;
    }

    /**
     * Powers of ten in [lo, hi] (lo > 0); when fewer than three fit, the 1-2-5 values in between, then every
     * 1..9 multiple, then round linear steps: a log axis always has at least three labelled ticks.
     */
    static List<Double> log(double lo, double hi) {
        List<Double> ticks = new ArrayList<>();
        int from = (int) Math.floor(Math.log10(lo));
        int to = (int) Math.ceil(Math.log10(hi));
        int decades = to - from;
        // With many decades, label every second or third one so labels do not collide.
        int every = Math.max(1, (int) Math.ceil(decades / 8.0));
        for (int e = from; e <= to; e++) {
            double t = Math.pow(10, e);
            if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9) && Math.floorMod(e, every) == 0) {
                ticks.add(t);
            }
        }
        if (ticks.size() < 3) {
            ticks.clear();
            for (int e = from; e <= to; e++) {
                for (double m : new double[] {1, 2, 5}) {
                    double t = m * Math.pow(10, e);
                    if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) {
                        ticks.add(t);
                    }
                }
            }
        }
        if (ticks.size() < 3) {
            ticks.clear();
            for (int e = from; e <= to; e++) {
                for (int m = 1; m <= 9; m++) {
                    double t = m * Math.pow(10, e);
                    if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) {
                        ticks.add(t);
                    }
                }
            }
        }
        if (ticks.size() < 3) {
            // A narrow range (under a factor of about 1.5): round linear steps read best there.
            for (int target = 4; ticks.size() < 3 && target <= 12; target += 2) {
                ticks.clear();
                for (double t : linear(lo, hi, target)) {
                    if (t > 0 && t >= lo && t <= hi) {
                        ticks.add(t);
                    }
                }
            }
        }
        return ticks;
    }

    /** The 1, 2 or 5 times a power of ten nearest above raw. */
    static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        double m = raw / p;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    }

    /** A short label: plain for moderate values, 1e-4 style for very small or large ones. */
    static String label(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e5 || a < 1e-3) {
            int e = (int) Math.floor(Math.log10(a) + 1e-9);
            double m = v / Math.pow(10, e);
            // As many mantissa digits as the tick needs (narrow log axes tick at 1.94, 1.96, ..).
            String ms = String.format(Locale.ROOT, "%.3f", m).replaceAll("0+$", "").replaceAll("\\.$", "");
            return (ms.equals("1") ? "" : ms.equals("-1") ? "-" : ms + "\u00b7") + "1e" + e;
        }
        if (Math.abs(v - Math.rint(v)) < 1e-9 * Math.max(1, a)) {
            return String.valueOf((long) Math.rint(v));
        }
        String s = String.format(Locale.ROOT, "%.4f", v);
        s = s.replaceAll("0+$", "");
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }
}
