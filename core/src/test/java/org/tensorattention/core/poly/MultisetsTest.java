package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MultisetsTest {

    @ParameterizedTest(name = "d={0} g={1}")
    @CsvSource({"1,5", "3,0", "3,4", "4,6", "8,3"})
    void rankMultinomialsAndOrder(int d, int g) {
        Multisets m = new Multisets(d, g);
        assertEquals(Multisets.rank(d, g), m.rank);
        assertEquals(binomial(d + g, g), m.rank);
        for (int j = 0; j <= g; j++) {
            double sum = 0;
            for (int L = m.start[j]; L < m.start[j + 1]; L++) {
                assertEquals(j, m.size[L]);
                assertTrue(L == 0 || m.parent[L] < L);
                sum += m.mult[L];
            }
            // sum over multisets of size j of j!/prod counts! = d^j (the multinomial theorem at 1,..,1).
            assertEquals(Math.pow(d, j), sum, 1e-9 * Math.pow(d, j));
        }
    }

    @ParameterizedTest(name = "d={0} g={1} factors={2}")
    @CsvSource({"3,5,1", "4,4,2", "2,7,3"})
    void featureMapsReproduceThePolynomialOfTheScore(int d, int g, int factors) {
        Random rnd = new Random(d * 100 + g);
        ExpPolynomial p = ExpPolynomial.taylor(2, g);
        double c = 0.7;
        FeatureMap fm = new FeatureMap(p, d, c);
        double[] q = new double[d];
        double[][] k = new double[factors][d];
        for (int l = 0; l < d; l++) {
            q[l] = rnd.nextDouble() - 0.5;
            for (int t = 0; t < factors; t++) {
                k[t][l] = rnd.nextDouble() * 2 - 1;
            }
        }
        double s = 0;
        for (int l = 0; l < d; l++) {
            double prod = q[l];
            for (int t = 0; t < factors; t++) {
                prod *= k[t][l];
            }
            s += c * prod;
        }
        double[] phiQ = new double[fm.rank];
        double[][] phiK = new double[factors][fm.rank];
        fm.queryRow(q, 0, phiQ);
        for (int t = 0; t < factors; t++) {
            fm.keyRow(k[t], 0, phiK[t]);
        }
        double cp = 0;
        for (int L = 0; L < fm.rank; L++) {
            double prod = phiQ[L];
            for (int t = 0; t < factors; t++) {
                prod *= phiK[t][L];
            }
            cp += prod;
        }
        assertEquals(p.evaluate(s), cp, 1e-13);
    }

    private static long binomial(int n, int k) {
        long r = 1;
        for (int i = 1; i <= k; i++) {
            r = r * (n - k + i) / i;
        }
        return r;
    }
}
