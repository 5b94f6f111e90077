package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.Tensor;

/** One exact attention call decides 3-MaxIP: checked query by query against brute force. */
class MaxIpReductionTest {

    static Stream<Arguments> instances() {
        return IntStream.range(0, 12).mapToObj(s -> Arguments.of(s, new int[] {4, 8, 16, 24}[s % 4], s % 2 == 0));
    }

    @ParameterizedTest
    @MethodSource("instances")
    void decidesEveryQueryLikeBruteForce(int seed, int n, boolean plant) {
        SplittableRandom rnd = new SplittableRandom(1000 + seed);
        int d = Math.max(3, (int) Math.ceil(2 * Math.log(n) / Math.log(2)));
        MaxIpInstance inst = MaxIpInstance.random(rnd, n, d, 0.5, plant);
        MaxIpReduction red = MaxIpReduction.of(inst);
        Tensor o = red.attend(1).output();
        boolean[] truth = inst.reachesPerQuery();
        assertArrayEquals(truth, MaxIpReduction.decide(o), "per-query decisions, seed " + seed);
        assertEquals(plant, inst.reaches(), "a plant reaches t and nothing else does");
        // The margin is constant, not marginal: O near 1 for "no", near 0 for "yes".
        for (int i = 0; i < n; i++) {
            double oi = o.get(i);
            assertTrue(truth[i] ? oi < 0.1 : oi > 0.9, "O[" + i + "] = " + oi + " for truth " + truth[i]);
        }
    }

    @Test
    void entriesStayWithinTheCubeRootOfLambda() {
        MaxIpInstance inst = MaxIpInstance.random(new SplittableRandom(5), 16, 8, 0.5, true);
        MaxIpReduction red = MaxIpReduction.of(inst);
        double root = Math.cbrt(MaxIpReduction.lambda(16));
        assertEquals(root, red.entryBound(), 1e-12);
        assertTrue(red.q().maxAbs() <= root + 1e-12);
        for (Tensor k : red.keys()) {
            assertTrue(k.maxAbs() <= root + 1e-12);
        }
        // The dummy keys' extra coordinates add up to lambda (t - 1/2).
        int width = red.q().dim(1);
        double dummy = 0;
        for (int l = inst.d(); l < width; l++) {
            dummy += red.keys().get(0).at(16, l) * red.keys().get(1).at(16, l);
        }
        assertEquals(red.lambda() * (inst.t() - 0.5), dummy, 1e-9);
    }

    @Test
    void plantedTripleIsTheOnlyWayToReachT() {
        SplittableRandom rnd = new SplittableRandom(9);
        MaxIpInstance none = MaxIpInstance.random(rnd, 20, 9, 0.5, false);
        assertFalse(none.reaches());
        int best = 0;
        for (int b : none.bestPerQuery()) {
            best = Math.max(best, b);
        }
        assertEquals(none.t() - 1, best, "t sits one above the maximum: the hardest gap");
    }

    @Test
    void radiusBoundsEveryScore() {
        MaxIpReduction red = MaxIpReduction.of(MaxIpInstance.random(new SplittableRandom(3), 8, 6, 0.5, true));
        double r = red.radius();
        // The dummy pair alone scores lambda (t - 1/2).
        assertTrue(r >= red.lambda() * (red.instance().t() - 0.5));
        assertTrue(r >= red.lambda() * red.instance().t());
    }
}
