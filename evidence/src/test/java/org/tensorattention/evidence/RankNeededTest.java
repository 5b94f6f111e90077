package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.poly.ExpPolynomial;

class RankNeededTest {
    @ParameterizedTest
    @CsvSource({"8,0,1", "8,1,9", "8,2,45", "8,4,495", "3,5,56", "16,10,5311735"})
    void rankIsTheBinomial(int d, int g, long expected) {
        assertEquals(expected, RankNeeded.rank(d, g));
    }

    @Test
    void degreeIsTheFirstOneTheCertificatesAccept() {
        for (double r : new double[] {0.1, 1, 3, 8, 27}) {
            double delta = 1e-3 / (2 + 1e-3);
            RankNeeded.Need need = RankNeeded.forAccuracy(r, 1e-3, 8);
            int g = need.degree();
            assertTrue(g >= 0);
            double eR = Math.exp(r);
            double at = Math.min(ExpPolynomial.taylorAbsoluteError(r, g), ExpPolynomial.chebyshevAbsoluteError(r, g));
            assertTrue(eR * at <= delta, "degree " + g + " certified at R = " + r);
            if (g > 0) {
                double below = Math.min(ExpPolynomial.taylorAbsoluteError(r, g - 1),
                        ExpPolynomial.chebyshevAbsoluteError(r, g - 1));
                assertTrue(eR * below > delta, "degree " + (g - 1) + " is not enough at R = " + r);
            }
        }
    }

    @Test
    void degreeGrowsWithTheRadiusAndTheAccuracy() {
        int prev = -1;
        for (double r = 0.5; r < 60; r *= 1.5) {
            int g = RankNeeded.forAccuracy(r, 0.25, 8).degree();
            assertTrue(g >= prev, "monotone in R");
            prev = g;
        }
        assertTrue(RankNeeded.forAccuracy(5, 1e-6, 8).degree() > RankNeeded.forAccuracy(5, 1e-1, 8).degree());
    }

    @Test
    void pastFloat64TheNeedIsUnknown() {
        assertEquals(-1, RankNeeded.forAccuracy(800, 0.25, 8).degree());
    }
}
