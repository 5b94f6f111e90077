package org.tensorattention.core.simd;

/**
 * The scalar twin of {@link VectorExp}: the same operations in the same order (fused multiply-adds, the
 * 1.5 * 2^p rounding trick, exponent bits written directly), so a scalar tail gives bitwise the values its
 * vector lanes would. Every step is a correctly rounded IEEE operation, so the result does not depend on
 * whether the code runs interpreted or compiled. Free of Vector API references: the portable kernels use it
 * when the incubator module is absent.
 *
 * <p>Meant for softmax weights exp(s - max), arguments at most about 0: float arguments below -87 and double
 * arguments below -708 (and -infinity) give exactly 0.
 */
public final class Exp {
    static final float SHIFTER = 12582912f + 127f;
    static final float LOG2E = 1.44269504f;
    static final float LN2_HI = -0.693145751953125f;
    static final float LN2_LO = -1.428606765330187e-06f;
    static final float FLOOR = -87f;

    static final double SHIFTER_D = 6755399441055744.0 + 1023;
    static final double LOG2E_D = 1.4426950408889634;
    static final double LN2_HI_D = -6.93147180369123816490e-01;
    static final double LN2_LO_D = -1.90821492927058770002e-10;
    static final double FLOOR_D = -708.0;
    /** 1/k! for k = 13 down to 2: Taylor's e^r to degree 13, below 1e-17 relative on |r| <= ln2 / 2. */
    static final double[] TAYLOR_D = {
        1.0 / 6227020800.0, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
        1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5};

    private Exp() {
    }

    /** e^x in float: degree-6 Taylor polynomial, relative error below 3e-7. */
    public static float exp(float x) {
        float t = Math.fma(x, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, LN2_HI, x);
        r = Math.fma(n, LN2_LO, r);
        float p = Math.fma(r, 1f / 720, 1f / 120);
        p = Math.fma(p, r, 1f / 24);
        p = Math.fma(p, r, 1f / 6);
        p = Math.fma(p, r, 0.5f);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float twoToN = Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
        return x < FLOOR ? 0f : p * twoToN;
    }

    /** e^x in double: Taylor to degree 13, relative error a few units in the last place. */
    public static double exp(double x) {
        double t = Math.fma(x, LOG2E_D, SHIFTER_D);
        double n = t - SHIFTER_D;
        double r = Math.fma(n, LN2_HI_D, x);
        r = Math.fma(n, LN2_LO_D, r);
        double p = TAYLOR_D[0];
        for (int k = 1; k < TAYLOR_D.length; k++) {
            p = Math.fma(p, r, TAYLOR_D[k]);
        }
        p = Math.fma(p, r, 1.0);
        p = Math.fma(p, r, 1.0);
        double twoToN = Double.longBitsToDouble(Double.doubleToRawLongBits(t) << 52);
        return x < FLOOR_D ? 0.0 : p * twoToN;
    }
}
