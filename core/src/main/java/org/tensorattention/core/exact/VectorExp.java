package org.tensorattention.core.exact;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp on float vectors for arguments at most 0 (softmax weights exp(s - max)), in about a dozen vector
 * operations, cheaper than the library {@link VectorOperators#EXP}: x = n ln2 + r with n rounded by the
 * 1.5 * 2^23 trick, the degree-6 Taylor polynomial of e^r on |r| <= ln2 / 2 (relative error below 3e-7), and
 * 2^n written straight into the exponent bits. Arguments below -87 (where 2^n would leave the normal range,
 * and -infinity from masked scores) give exactly 0.
 */
final class VectorExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float SHIFTER = 12582912f + 127f;
    private static final float LOG2E = 1.44269504f;
    private static final float LN2_HI = -0.693145751953125f;
    private static final float LN2_LO = -1.428606765330187e-06f;

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
}
