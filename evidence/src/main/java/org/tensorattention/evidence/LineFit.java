package org.tensorattention.evidence;

/**
 * An ordinary least-squares line y = slope * x + intercept, with the coefficient of determination. On
 * (log n, log t) pairs the slope is the measured exponent of the cost: 3 for the exact order-3 kernel, about
 * 1 for the polynomial method.
 *
 * @param points how many finite points were fitted
 */
public record LineFit(double slope, double intercept, double r2, int points) {

    /** Fits y against x, skipping pairs where either is not finite. */
    public static LineFit fit(double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("line fit: " + x.length + " x values but " + y.length + " y values");
        }
        int m = 0;
        double sx = 0;
        double sy = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                m++;
                sx += x[i];
                sy += y[i];
            }
        }
        if (m < 2) {
            throw new IllegalArgumentException("line fit needs at least 2 finite points, got " + m);
        }
        double mx = sx / m;
        double my = sy / m;
        double sxx = 0;
        double sxy = 0;
        double syy = 0;
        for (int i = 0; i < x.length; i++) {
            if (Double.isFinite(x[i]) && Double.isFinite(y[i])) {
                double dx = x[i] - mx;
                double dy = y[i] - my;
                sxx += dx * dx;
                sxy += dx * dy;
                syy += dy * dy;
            }
        }
        if (sxx == 0) {
            throw new IllegalArgumentException("line fit: all x values are equal");
        }
        double slope = sxy / sxx;
        double r2 = syy == 0 ? 1 : sxy * sxy / (sxx * syy);
        return new LineFit(slope, my - slope * mx, r2, m);
    }

    /**
     * Fits log t = slope * log n + b: t ~ e^b n^slope. Non-positive values are skipped (log of them is not
     * finite).
     */
    public static LineFit logLog(double[] n, double[] t) {
        double[] lx = new double[n.length];
        double[] ly = new double[t.length];
        for (int i = 0; i < n.length; i++) {
            lx[i] = n[i] > 0 ? Math.log(n[i]) : Double.NaN;
        }
        for (int i = 0; i < t.length; i++) {
            ly[i] = t[i] > 0 ? Math.log(t[i]) : Double.NaN;
        }
        return fit(lx, ly);
    }

    public double at(double x) {
        return slope * x + intercept;
    }

    /** For a log-log fit: the fitted t at n. */
    public double powerAt(double n) {
        return Math.exp(at(Math.log(n)));
    }
}
