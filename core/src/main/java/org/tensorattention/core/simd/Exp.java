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

    // e^r = 1 + r + r^2 g(r) on |r| <= ln2 / 2, g fitted by Chebyshev interpolation (near minimax) and rounded
    // to the dtype: float g of degree 4 (e^r to 1e-8, 3x closer than Taylor at the same cost), double g of
    // degree 9 (e^r to 2e-17, two FMAs fewer than Taylor's degree 13).
    static final float G4 = 0.0013926175888627768f;
    static final float G3 = 0.008363173343241215f;
    static final float G2 = 0.041666556149721146f;
    static final float G1 = 0.16666577756404877f;
    static final float G0 = 0.5f;

    static final double G9_D = 2.5100375832561234e-08;
    static final double G8_D = 2.7620075879983367e-07;
    static final double G7_D = 2.7557268480310024e-06;
    static final double G6_D = 2.4801521322368692e-05;
    static final double G5_D = 0.00019841269863040545;
    static final double G4_D = 0.0013888888917196719;
    static final double G3_D = 0.008333333333330065;
    static final double G2_D = 0.041666666666624164;
    static final double G1_D = 0.16666666666666669;
    static final double G0_D = 0.5000000000000001;

    private Exp() {
    }

    /** e^x in float: a degree-6 polynomial, relative error below 1e-7. */
    public static float exp(float x) {
        float t = Math.fma(x, LOG2E, SHIFTER);
        float n = t - SHIFTER;
        float r = Math.fma(n, LN2_HI, x);
        r = Math.fma(n, LN2_LO, r);
        float p = Math.fma(r, G4, G3);
        p = Math.fma(p, r, G2);
        p = Math.fma(p, r, G1);
        p = Math.fma(p, r, G0);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        float twoToN = Float.intBitsToFloat(Float.floatToRawIntBits(t) << 23);
        return x < FLOOR ? 0f : p * twoToN;
    }

    /** e^x in double: a degree-11 polynomial, relative error a few units in the last place. */
    public static double exp(double x) {
        double t = Math.fma(x, LOG2E_D, SHIFTER_D);
        double n = t - SHIFTER_D;
        double r = Math.fma(n, LN2_HI_D, x);
        r = Math.fma(n, LN2_LO_D, r);
        double p = Math.fma(r, G9_D, G8_D);
        p = Math.fma(p, r, G7_D);
        p = Math.fma(p, r, G6_D);
        p = Math.fma(p, r, G5_D);
        p = Math.fma(p, r, G4_D);
        p = Math.fma(p, r, G3_D);
        p = Math.fma(p, r, G2_D);
        p = Math.fma(p, r, G1_D);
        p = Math.fma(p, r, G0_D);
        p = Math.fma(p, r, 1.0);
        p = Math.fma(p, r, 1.0);
        double twoToN = Double.longBitsToDouble(Double.doubleToRawLongBits(t) << 52);
        return x < FLOOR_D ? 0.0 : p * twoToN;
    }
}
