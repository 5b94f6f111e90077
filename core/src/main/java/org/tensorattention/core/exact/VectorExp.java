package org.tensorattention.core.exact;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp on float vectors for arguments at most 0 (softmax weights exp(s - max)), cheaper than the library
 * {@link VectorOperators#EXP}: x = n ln2 + r with n rounded by the 1.5 * 2^23 trick, a degree-6 polynomial
 * for e^r on |r| <= ln2 / 2 (relative error below 1e-7), and 2^n put straight into the exponent bits.
 * Arguments below -87 give e^-87 (about 1.6e-38) instead of underflowing; callers mask exact zeros themselves.
 */
final class VectorExp {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final float SHIFTER = 12582912f + 127f;
    private static final FloatVector LOG2E = FloatVector.broadcast(F, 1.44269504f);
    private static final FloatVector LN2_HI = FloatVector.broadcast(F, -0.693145751953125f);
    private static final FloatVector LN2_LO = FloatVector.broadcast(F, -1.428606765330187e-06f);
    private static final FloatVector C5 = FloatVector.broadcast(F, 1.9875691500e-4f);
    private static final FloatVector C4 = FloatVector.broadcast(F, 1.3981999507e-3f);
    private static final FloatVector C3 = FloatVector.broadcast(F, 8.3334519073e-3f);
    private static final FloatVector C2 = FloatVector.broadcast(F, 4.1665795894e-2f);
    private static final FloatVector C1 = FloatVector.broadcast(F, 1.6666665459e-1f);
    private static final FloatVector C0 = FloatVector.broadcast(F, 5.0000001201e-1f);

    private VectorExp() {
    }

    static FloatVector exp(FloatVector x) {
        x = x.max(-87f);
        // t's low mantissa bits hold round(x log2 e) + 127, the biased exponent of 2^n.
        FloatVector t = x.fma(LOG2E, FloatVector.broadcast(F, SHIFTER));
        FloatVector n = t.sub(SHIFTER);
        FloatVector r = n.fma(LN2_HI, x);
        r = n.fma(LN2_LO, r);
        FloatVector p = r.fma(C5, C4);
        p = p.fma(r, C3);
        p = p.fma(r, C2);
        p = p.fma(r, C1);
        p = p.fma(r, C0);
        p = p.fma(r.mul(r), r).add(1f);
        FloatVector twoToN = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(twoToN);
    }
}
