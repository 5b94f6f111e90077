package org.tensorattention.core.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The polynomial exps against Math.exp on the softmax range (arguments at most 0), and against their scalar twin. */
class VectorExpTest {
    @BeforeEach
    void needsVectorApi() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent());
    }

    private static float[] exp(float[] x) {
        int lanes = FloatVector.SPECIES_PREFERRED.length();
        float[] in = java.util.Arrays.copyOf(x, (x.length + lanes - 1) / lanes * lanes);
        float[] out = new float[in.length];
        for (int i = 0; i < in.length; i += lanes) {
            VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, in, i)).intoArray(out, i);
        }
        return java.util.Arrays.copyOf(out, x.length);
    }

    @Test
    void relativeErrorBelow1e7() {
        Random rnd = new Random(11);
        float[] x = new float[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (-87 * rnd.nextDouble());
        }
        float[] y = exp(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - e) / e);
        }
        assertTrue(worst < 1e-7, "max relative error " + worst);
    }

    @Test
    void endsOfTheRange() {
        float[] y = exp(new float[] {0f, -0f, -1e-30f, Float.NEGATIVE_INFINITY, -88f, -1000f, -86.9f});
        assertEquals(1f, y[0]);
        assertEquals(1f, y[1]);
        assertEquals(1f, y[2]);
        assertEquals(0f, y[3]);
        assertEquals(0f, y[4]);
        assertEquals(0f, y[5]);
        assertEquals(Math.exp(-86.9f), y[6], 1e-7 * Math.exp(-86.9f));
    }

    private static double[] exp(double[] x) {
        int lanes = DoubleVector.SPECIES_PREFERRED.length();
        double[] in = java.util.Arrays.copyOf(x, (x.length + lanes - 1) / lanes * lanes);
        double[] out = new double[in.length];
        for (int i = 0; i < in.length; i += lanes) {
            VectorExp.exp(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, in, i)).intoArray(out, i);
        }
        return java.util.Arrays.copyOf(out, x.length);
    }

    @Test
    void float64RelativeErrorBelow1e15() {
        Random rnd = new Random(12);
        double[] x = new double[100_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = -700 * rnd.nextDouble() * rnd.nextDouble();
        }
        double[] y = exp(x);
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double e = Math.exp(x[i]);
            worst = Math.max(worst, Math.abs(y[i] - e) / e);
        }
        assertTrue(worst < 1e-15, "max relative error " + worst);
    }

    @Test
    void float64EndsOfTheRange() {
        double[] y = exp(new double[] {0, -0.0, -1e-300, Double.NEGATIVE_INFINITY, -709, -1e5, -707.5});
        assertEquals(1.0, y[0]);
        assertEquals(1.0, y[1]);
        assertEquals(1.0, y[2]);
        assertEquals(0.0, y[3]);
        assertEquals(0.0, y[4]);
        assertEquals(0.0, y[5]);
        assertEquals(Math.exp(-707.5), y[6], 1e-15 * Math.exp(-707.5));
    }

    /** Arguments over the whole range the kernels see, the ends and a few past 0 (rounding in s - lse). */
    private static double[] arguments(long seed, double floor) {
        Random rnd = new Random(seed);
        double[] x = new double[50_000];
        for (int i = 0; i < x.length; i++) {
            x[i] = floor * rnd.nextDouble() * rnd.nextDouble();
        }
        double[] ends = {0, -0.0, 1e-7, 0.5, -1e-300, Double.NEGATIVE_INFINITY, floor, floor - 1, floor + 1, -0.3465,
            -0.34657359027997264, Math.nextDown(floor), -5e5};
        System.arraycopy(ends, 0, x, 0, ends.length);
        return x;
    }

    @Test
    void lanesEqualTheScalarTwinBitForBit() {
        double[] x = arguments(13, -87);
        float[] xf = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            xf[i] = (float) x[i];
        }
        float[] yf = exp(xf);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(Exp.exp(xf[i])), Float.floatToRawIntBits(yf[i]), "float exp(" + xf[i] + ")");
        }
        double[] xd = arguments(14, -708);
        double[] yd = exp(xd);
        for (int i = 0; i < xd.length; i++) {
            assertEquals(Double.doubleToRawLongBits(Exp.exp(xd[i])), Double.doubleToRawLongBits(yd[i]), "double exp(" + xd[i] + ")");
        }
    }
}
