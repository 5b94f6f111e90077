package org.tensorattention.core.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp on vectors for arguments at most about 0 (softmax weights exp(s - max)), in a dozen or two vector
 * operations: several times cheaper inside the kernels than the library {@link VectorOperators#EXP}, and, unlike
 * it, bitwise the same interpreted and compiled (every step is a correctly rounded lane-wise operation). x = n ln2
 * + r with n rounded by the 1.5 * 2^p trick, a near-minimax polynomial of e^r on |r| <= ln2 / 2, and 2^n written
 * straight into the exponent bits. Arguments past the normal range (and -infinity from masked scores) give
 * exactly 0. {@link Exp} is the scalar twin for loop tails: lane for lane the same values.
 *
 * <p>The forward and the backward kernels both use it, so the weights the backward recomputes are the forward's.
 */
public final class VectorExp {
    /** Constant species, as the kernels use: the JIT compiles broadcasts to registers only for constants. */
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private VectorExp() {
    }

    /** float: degree 6, relative error below 1e-7, zero below -87. */
    public static FloatVector exp(FloatVector x) {
        // t's low mantissa bits hold round(x log2 e) + 127, the biased exponent of 2^n.
        FloatVector t = x.fma(Exp.LOG2E, Exp.SHIFTER);
        FloatVector n = t.sub(Exp.SHIFTER);
        FloatVector r = n.fma(FloatVector.broadcast(F, Exp.LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, Exp.LN2_LO), r);
        FloatVector p = r.fma(Exp.G4, Exp.G3);
        p = p.fma(r, FloatVector.broadcast(F, Exp.G2));
        p = p.fma(r, FloatVector.broadcast(F, Exp.G1));
        p = p.fma(r, FloatVector.broadcast(F, Exp.G0));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        FloatVector twoToN = t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(twoToN).blend(0f, x.compare(VectorOperators.LT, Exp.FLOOR));
    }

    /**
     * The float64 version: the 1.5 * 2^52 trick, a two-part ln2, degree 11 (relative error a few units in the
     * last place). Arguments below -708 give exactly 0.
     */
    public static DoubleVector exp(DoubleVector x) {
        DoubleVector t = x.fma(Exp.LOG2E_D, Exp.SHIFTER_D);
        DoubleVector n = t.sub(Exp.SHIFTER_D);
        DoubleVector r = n.fma(DoubleVector.broadcast(D, Exp.LN2_HI_D), x);
        r = n.fma(DoubleVector.broadcast(D, Exp.LN2_LO_D), r);
        DoubleVector p = r.fma(Exp.G9_D, Exp.G8_D);
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G7_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G6_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G5_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G4_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G3_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G2_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G1_D));
        p = p.fma(r, DoubleVector.broadcast(D, Exp.G0_D));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0));
        p = p.fma(r, DoubleVector.broadcast(D, 1.0));
        DoubleVector twoToN = t.reinterpretAsLongs().lanewise(VectorOperators.LSHL, 52).reinterpretAsDoubles();
        return p.mul(twoToN).blend(0.0, x.compare(VectorOperators.LT, Exp.FLOOR_D));
    }
}
