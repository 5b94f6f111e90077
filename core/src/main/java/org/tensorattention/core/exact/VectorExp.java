package org.tensorattention.core.exact;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp on vectors for arguments at most 0 (softmax weights exp(s - max)), in a dozen or two vector operations:
 * several times cheaper inside the kernels than the library {@link VectorOperators#EXP}. x = n ln2 + r with n
 * rounded by the 1.5 * 2^p trick, a Taylor polynomial of e^r on |r| <= ln2 / 2, and 2^n written straight into
 * the exponent bits. Arguments past the normal range (and -infinity from masked scores) give exactly 0.
 *
 * <p>float: degree 6, relative error below 3e-7, zero below -87.
 */
final class VectorExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float SHIFTER = 12582912f + 127f;
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = -0.693145751953125f;
    private static final float LN2_LO = -1.428606765330187e-06f;

    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final double SHIFTER_D = 6755399441055744.0 + 1023;
    private static final double LN2_HI_D = -6.93147180369123816490e-01;
    private static final double LN2_LO_D = -1.90821492927058770002e-10;
    /** 1/k! for k = 13 down to 2: Taylor's e^r to degree 13, below 1e-17 relative on |r| <= ln2 / 2. */
    private static final double[] TAYLOR_D = {
        1.0 / 6227020800.0, 1.0 / 479001600, 1.0 / 39916800, 1.0 / 3628800, 1.0 / 362880, 1.0 / 40320,
        1.0 / 5040, 1.0 / 720, 1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5};

    private VectorExp() {
    }

    static FloatVector exp(FloatVector x) {
        // t's low mantissa bits hold round(x log2 e) + 127, the biased exponent of 2^n.
        FloatVector t = x.fma(LOG2E, SHIFTER);
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(FloatVector.broadcast(F, LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, LN2_LO), r);
        FloatVector p = r.fma(1f / 720, 1f / 120);
        p = p.fma(r, FloatVector.broadcast(F, 1f / 24));
        p = p.fma(r, FloatVector.broadcast(F, 1f / 6));
        p = p.fma(r, FloatVector.broadcast(F, 0.5f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        FloatVector twoToN = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(twoToN).blend(0f, x.compare(VectorOperators.LT, -87f));
    }

    /**
     * The float64 version: the 1.5 * 2^52 trick, a two-part ln2, Taylor to degree 13 (relative error a few
     * units in the last place). Arguments below -708 give exactly 0.
     */
    static DoubleVector exp(DoubleVector x) {
        DoubleVector t = x.fma(1.4426950408889634, SHIFTER_D);
        DoubleVector n = t.sub(SHIFTER_D);
        DoubleVector r = n.fma(DoubleVector.broadcast(D, LN2_HI_D), x);
        r = n.fma(DoubleVector.broadcast(D, LN2_LO_D), r);
        DoubleVector p = DoubleVector.broadcast(D, TAYLOR_D[0]);
        for (int k = 1; k < TAYLOR_D.length; k++) {
            p = p.fma(r, DoubleVector.broadcast(D, TAYLOR_D[k]));
        }
        p = p.fma(r, DoubleVector.broadcast(D, 1.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0));
        DoubleVector twoToN = t.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return p.mul(twoToN).blend(0.0, x.compare(VectorOperators.LT, -708.0));
    }
}
