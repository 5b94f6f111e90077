package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThresholdCrossingTest {
    private static final ThresholdExperiment.Config CFG = new ThresholdExperiment.Config(new int[] {1024},
            new double[] {1, 2, 3}, new int[] {8}, new int[] {8}, 3, 1, 1, 1e-3, 1, 1, 1, Path.of("unused"));

    private static ThresholdExperiment.Need need(double b, double rank) {
        return new ThresholdExperiment.Need(b, b * b * b, new RankNeeded.Need(1, rank, "taylor"));
    }

    @Test
    void interpolatesTheCrossingInLogTime() {
        // Poly time c n r (d + k dv) = n r (1 + 3) with c = 1: ranks 1, e^2 around the exact time n * 4 * e.
        int n = 1024;
        double exact = n * 4.0 * Math.E;
        List<ThresholdExperiment.Need> needs = List.of(need(1, 1), need(2, Math.exp(2)), need(3, Math.exp(4)));
        double b = ThresholdExperiment.crossing(needs, n, exact, 1, CFG);
        assertEquals(1.5, b, 1e-12);
    }

    @Test
    void noCrossingInsideTheSweepIsNaN() {
        List<ThresholdExperiment.Need> needs = List.of(need(1, 1), need(2, 2));
        assertTrue(Double.isNaN(ThresholdExperiment.crossing(needs, 10, 1e9, 1, CFG)), "poly always cheaper");
        assertTrue(Double.isNaN(ThresholdExperiment.crossing(needs, 10, 1e-9, 1, CFG)), "poly never cheaper");
    }

    @Test
    void anUncertifiableDegreeCountsAsPastTheCrossing() {
        List<ThresholdExperiment.Need> needs = List.of(need(1, 1),
                new ThresholdExperiment.Need(2, 8, new RankNeeded.Need(-1, Double.NaN, "none")));
        assertEquals(2, ThresholdExperiment.crossing(needs, 10, 1e3, 1, CFG));
    }
}
