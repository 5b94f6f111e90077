package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ExpPolynomialTest {

    @Test
    void chebyshevDegreeForAbsoluteError1e10OnUnitIntervalIsTheMinimaxDegree10() {
        // The minimax degree of e^x on [-1, 1] for absolute error 1e-10 is 10; the truncated Chebyshev series
        // (within a factor ~2 of minimax) reaches it at the same degree.
        assertTrue(ExpPolynomial.chebyshevAbsoluteError(1, 9) > 1e-10);
        assertTrue(ExpPolynomial.chebyshevAbsoluteError(1, 10) <= 1e-10);
    }

    @Test
    void taylorDegreesAreTheHandComputedOnes() {
        // On [-1, 1], R^{g+1}/(g+1)! <= 1e-10 first holds at 14! = 8.7e10 > 1e10 > 13! = 6.2e9: g = 13.
        assertTrue(ExpPolynomial.taylorAbsoluteError(1, 12) > 1e-10);
        assertTrue(ExpPolynomial.taylorAbsoluteError(1, 13) <= 1e-10);
        // R = 0.5, relative error e^0.5 0.5^{g+1}/(g+1)! <= 1e-3: g = 3 gives 1.65 * 0.0625/24 = 4.3e-3,
        // g = 4 gives 1.65 * 0.03125/120 = 4.3e-4.
        assertEquals(4.29e-4, Math.exp(0.5) * ExpPolynomial.taylorAbsoluteError(0.5, 4), 1e-6);
        ExpPolynomial t = ExpPolynomial.taylor(0.5, 4);
        assertEquals(1.0 / 24, t.coefficients()[4], 1e-18);
    }

    @Test
    void besselSeriesMatchesKnownValues() {
        // I_0(1) = 1.2660658777520082, I_1(1) = 0.5651591039924851, I_5(2) = 0.009825679323131702.
        assertEquals(1.2660658777520082, ExpPolynomial.besselI(0, 1), 1e-15);
        assertEquals(0.5651591039924851, ExpPolynomial.besselI(1, 1), 1e-15);
        assertEquals(0.009825679323131702, ExpPolynomial.besselI(5, 2), 1e-17);
        for (int j = 0; j < 30; j++) {
            assertTrue(ExpPolynomial.besselI(j, 3.5) <= ExpPolynomial.besselBound(3.5, j));
        }
    }

    @ParameterizedTest(name = "R={0} delta={1}")
    @CsvSource({"0.01,1e-3", "0.25,1e-6", "1,1e-2", "1,1e-9", "2,1e-5", "4,1e-8", "8,1e-4", "12,1e-1", "16,1e-2"})
    void certifiedRelativeErrorHoldsOnADenseGridAndDegreeIsMinimal(double radius, double target) {
        ExpPolynomial p = ExpPolynomial.certify(radius, target, ExpPolynomial.MAX_DEGREE);
        assertNotNull(p);
        assertTrue(p.delta() <= target);
        double worst = 0;
        for (int s = 0; s <= 20000; s++) {
            double x = -radius + 2 * radius * s / 20000;
            worst = Math.max(worst, Math.abs(p.evaluate(x) - Math.exp(x)) / Math.exp(x));
        }
        assertTrue(worst <= p.delta() * (1 + 1e-9) + 1e-15, "sampled " + worst + " > certified " + p.delta());
        double worstDerivative = 0;
        for (int s = 0; s <= 20000; s++) {
            double x = -radius + 2 * radius * s / 20000;
            worstDerivative = Math.max(worstDerivative, Math.abs(p.derivative(x) - Math.exp(x)) / Math.exp(x));
        }
        assertTrue(worstDerivative <= p.derivativeDelta() * (1 + 1e-9) + 1e-15,
                "derivative sampled " + worstDerivative + " > certified " + p.derivativeDelta());
        if (p.degree() > 0) {
            int g = p.degree() - 1;
            assertTrue(ExpPolynomial.taylor(radius, g).delta() > target
                    && (g > 62 || ExpPolynomial.chebyshev(radius, g).delta() > target), "degree " + g + " would do");
        }
    }

    @Test
    void chebyshevBeatsTaylorForWideIntervals() {
        // R = 4, delta 1e-6: the Chebyshev series certifies at degree 18, Taylor needs more.
        ExpPolynomial c = ExpPolynomial.chebyshev(4, 18);
        assertTrue(c.delta() <= 1e-6);
        assertTrue(ExpPolynomial.taylor(4, 18).delta() > 1e-6);
        assertTrue(ExpPolynomial.certify(4, 1e-6, ExpPolynomial.MAX_DEGREE).degree() <= 18);
    }

    @Test
    void relativeMinimaxSavesADegreeWhereTheNegativeHalfCosts() {
        // R = 0.935, delta 4.99e-4 (eps 1e-3): the Chebyshev series needs degree 5 because of the factor e^R;
        // the relative near-minimax fit (error about 3.6e-4) certifies at degree 4.
        double target = 1e-3 / (2 + 1e-3);
        assertTrue(ExpPolynomial.chebyshev(0.935, 4).delta() > target);
        ExpPolynomial p = ExpPolynomial.certify(0.935, target, ExpPolynomial.MAX_DEGREE);
        assertEquals(4, p.degree());
        assertEquals("minimax", p.basis());
        double worst = 0;
        for (int s = 0; s <= 100000; s++) {
            double x = -0.935 + 1.87 * s / 100000;
            worst = Math.max(worst, Math.abs(p.evaluate(x) * Math.exp(-x) - 1));
        }
        assertTrue(worst <= p.delta());
        assertTrue(p.delta() < 1.2 * worst, "certificate " + p.delta() + " far above the sampled " + worst);
    }

    @Test
    void unreachableTargetGivesNull() {
        assertNull(ExpPolynomial.certify(40, 1e-12, 60));
        assertNull(ExpPolynomial.certify(648, 1e-2, ExpPolynomial.MAX_DEGREE));
        assertNull(ExpPolynomial.certify(1e6, 0.5, ExpPolynomial.MAX_DEGREE));
    }
}
