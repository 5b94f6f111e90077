package org.tensorattention.plot;

import java.util.List;

/** One axis: a data range, linear or logarithmic, mapped onto a pixel interval. */
final class Axis {
    final boolean log;
    final double lo;
    final double hi;

    /** The axis over [min, max] of the data, padded a little on linear axes and rounded to decades on log ones. */
    Axis(double min, double max, boolean log, boolean pad) {
        this.log = log;
        if (!(max > min)) {
            double c = Double.isFinite(min) ? min : 0;
            double w = log ? c * 0.5 : Math.max(1e-9, Math.abs(c) * 0.1 + (c == 0 ? 1 : 0));
            min = c - w;
            max = c + w * (log ? 2 : 1);
        }
        if (log) {
            double a = Math.log10(min);
            double b = Math.log10(max);
            if (pad) {
                double m = (b - a) * 0.04;
                a -= m;
                b += m;
            }
            this.lo = Math.pow(10, a);
            this.hi = Math.pow(10, b);
        } else {
            double m = pad ? (max - min) * 0.04 : 0;
            this.lo = min - m;
            this.hi = max + m;
        }
    }

    /** Fraction in [0, 1] of the way from lo to hi. */
    double fraction(double v) {
        return log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    }

    List<Double> ticks() {
        return log ? Ticks.log(lo, hi) : Ticks.linear(lo, hi, 6);
    }
}
