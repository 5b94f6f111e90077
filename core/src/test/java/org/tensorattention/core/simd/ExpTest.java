package org.tensorattention.core.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The scalar exp (the kernels' loop tails and the portable path; its vector twin matches it bit for bit, see
 * VectorExpTest) against Math.exp over every argument the kernels pass: softmax weights exp(s - max) lie in
 * [floor, 0], the backward's exp(s - lse) may sit a little above 0 from rounding. Bounds: float 1e-7 relative
 * (degree-6 minimax, truncation below 1e-8 on |r| <= ln2 / 2, plus the last few roundings of 2^-24 that survive
 * Horner's scheme), double 1e-15 (degree 11, truncation below 2e-17, plus the same few roundings of 2^-53).
 * Needs no Vector API.
 */
class ExpTest {
    @Test
    void floatWithin1e7OfMathExpFromTheFloorToJustAboveZero() {
        Random rnd = new Random(21);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (-87 + 87.5 * rnd.nextDouble());
            double e = Math.exp(x);
            worst = Math.max(worst, Math.abs(Exp.exp(x) - e) / e);
        }
        for (float x = -87f; x <= 0.5f; x += 0.001f) {
            double e = Math.exp(x);
            worst = Math.max(worst, Math.abs(Exp.exp(x) - e) / e);
        }
        assertTrue(worst < 1e-7, "max relative error " + worst);
    }

    @Test
    void doubleWithin1e15OfMathExpFromTheFloorToJustAboveZero() {
        Random rnd = new Random(22);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            double x = -708 + 708.5 * rnd.nextDouble();
            double e = Math.exp(x);
            worst = Math.max(worst, Math.abs(Exp.exp(x) - e) / e);
        }
        assertTrue(worst < 1e-15, "max relative error " + worst);
    }

    @Test
    void specialValues() {
        assertEquals(1f, Exp.exp(0f));
        assertEquals(1f, Exp.exp(-0f));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exp.exp(-87.5f));
        assertEquals(0f, Exp.exp(-1e30f));
        assertEquals(0f, Exp.exp(-Float.MAX_VALUE));
        assertEquals(1.0, Exp.exp(0.0));
        assertEquals(1.0, Exp.exp(-0.0));
        assertEquals(0.0, Exp.exp(Double.NEGATIVE_INFINITY));
        assertEquals(0.0, Exp.exp(-708.5));
        assertEquals(0.0, Exp.exp(-1e300));
        assertEquals(0.0, Exp.exp(-Double.MAX_VALUE));
    }
}
