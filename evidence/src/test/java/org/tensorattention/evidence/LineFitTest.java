package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LineFitTest {
    @ParameterizedTest
    @ValueSource(doubles = {1.0, 2.0, 3.0, 0.5})
    void recoversThePowerOfAnExactPowerLaw(double power) {
        double[] n = {128, 256, 512, 1024, 2048};
        double[] t = new double[n.length];
        for (int i = 0; i < n.length; i++) {
            t[i] = 3e-9 * Math.pow(n[i], power);
        }
        LineFit f = LineFit.logLog(n, t);
        assertEquals(power, f.slope(), 1e-12);
        assertEquals(Math.log(3e-9), f.intercept(), 1e-9);
        assertEquals(1, f.r2(), 1e-12);
        assertEquals(3e-9 * Math.pow(4096, power), f.powerAt(4096), 1e-6 * f.powerAt(4096));
    }

    @Test
    void matchesTheNormalEquationsOnNoisyData() {
        SplittableRandom rnd = new SplittableRandom(4);
        int m = 50;
        double[] x = new double[m];
        double[] y = new double[m];
        for (int i = 0; i < m; i++) {
            x[i] = rnd.nextDouble() * 10;
            y[i] = 2.5 * x[i] - 1 + rnd.nextGaussian() * 0.3;
        }
        LineFit f = LineFit.fit(x, y);
        // Residuals of a least-squares line sum to zero and are orthogonal to x.
        double sum = 0;
        double dot = 0;
        for (int i = 0; i < m; i++) {
            double r = y[i] - f.at(x[i]);
            sum += r;
            dot += r * x[i];
        }
        assertEquals(0, sum, 1e-9);
        assertEquals(0, dot, 1e-8);
        assertEquals(2.5, f.slope(), 0.1);
    }

    @Test
    void skipsPointsThatCannotBeLogged() {
        LineFit f = LineFit.logLog(new double[] {1, 2, 4, 8}, new double[] {1, 0, 16, Double.NaN});
        assertEquals(2, f.points());
        assertEquals(2, f.slope(), 1e-12);
    }

    @Test
    void needsTwoDistinctPoints() {
        assertThrows(IllegalArgumentException.class, () -> LineFit.fit(new double[] {1}, new double[] {2}));
        assertThrows(IllegalArgumentException.class, () -> LineFit.fit(new double[] {1, 1}, new double[] {2, 3}));
    }
}
