package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

class MethodChoiceTest {

    @Test
    void autoPicksPolyWhenItsRankIsCheapAndSaysWhy() {
        // n = 200, d = 2, order 3, small entries: rank C(2 + g, g) is tiny next to n^3.
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(new Random(1), 3, new int[0], new int[0], 200, 2, 2, 0.5);
        AttentionResult r = pr.run(AttentionOptions.defaults().withMethod(Method.AUTO).withEpsilon(1e-3));
        assertEquals(Method.POLY, r.method());
        assertTrue(r.reason().startsWith("poly: rank "), r.reason());
        assertTrue(r.reason().contains("vs exact"), r.reason());
    }

    @Test
    void autoPicksExactForTinyProblemsAndSaysWhy() {
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(new Random(2), 3, new int[0], new int[0], 4, 8, 2, 1);
        AttentionResult r = pr.run(AttentionOptions.defaults().withMethod(Method.AUTO).withEpsilon(1e-6));
        assertEquals(Method.EXACT, r.method());
        assertTrue(r.reason().startsWith("exact: poly rank "), r.reason());
    }

    @Test
    void autoFallsBackToExactWhenEpsilonCannotBeCertified() {
        // Entries 3, order 3, d = 2, scale 1: R = 2 * 27 = 54, far past what float64 can certify.
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(new Random(3), 3, new int[0], new int[0], 6, 2, 2, 3);
        AttentionOptions o = AttentionOptions.defaults().withScale(1).withEpsilon(1e-3);
        AttentionResult r = pr.run(o.withMethod(Method.AUTO));
        assertEquals(Method.EXACT, r.method());
        assertTrue(r.reason().contains("cannot certify"), r.reason());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pr.run(o.withMethod(Method.POLY)));
        assertTrue(e.getMessage().contains("cannot certify epsilon"), e.getMessage());
    }

    @Test
    void polyRefusesWhenTheRankWouldMakeItSlowerThanExact() {
        // The cost model alone (no data needed): n = 64, d = 8, R = 2 at epsilon 1e-6 needs degree ~11,
        // whose rank C(8 + g, g) dwarfs 64^3 tuples.
        Geometry g = Geometry.simple(1, 64, new int[] {64, 64}, 8, 8);
        PolyPlan plan = PolyPlan.of(2, g, Mask.FULL, 1e-6, DType.FLOAT64, 2, 8e9);
        assertTrue(!plan.feasible(), plan.verdict());
        assertTrue(plan.refusal().matches("poly needs degree \\d+ and rank \\d+ .*slower than the exact method"),
                plan.refusal());
    }

    @Test
    void hugeOrInfiniteRadiusIsRefusedNotThrown() {
        Geometry g = Geometry.simple(1, 8, new int[] {8, 8}, 2, 2);
        assertTrue(PolyPlan.of(Double.POSITIVE_INFINITY, g, Mask.FULL, 1e-3, DType.FLOAT64, 2, 8e9).refusal()
                .contains("overflows"));
        assertTrue(PolyPlan.of(700, g, Mask.FULL, 1e-3, DType.FLOAT64, 2, 8e9).refusal().contains("cannot certify"));
    }

    @Test
    void polyRefusesPastTheMemoryCap() {
        Geometry g = Geometry.simple(1, 1 << 20, new int[] {1 << 20, 1 << 20}, 32, 8);
        PolyPlan plan = PolyPlan.of(4, g, Mask.FULL, 1e-4, DType.FLOAT64, 2, 1e8);
        assertTrue(!plan.feasible());
        assertTrue(plan.refusal().contains("memory"), plan.refusal());
    }

    @Test
    void planReportsDegreeRankAndFlopsWithoutRunning() {
        Geometry g = Geometry.simple(1, 1 << 16, new int[] {1 << 16, 1 << 16}, 8, 8);
        PolyPlan plan = PolyPlan.of(1, g, Mask.FULL, 1e-3, DType.FLOAT64, 2, 8e9);
        assertTrue(plan.feasible());
        assertEquals(Multisets.rank(8, plan.degree()), plan.rank());
        assertTrue(plan.delta() > 0 && 2 * plan.delta() / (1 - plan.delta()) <= 1e-3);
        assertTrue(plan.predictedFlops() < plan.exactFlops());
        // Larger radius needs a larger degree; smaller epsilon too.
        assertTrue(PolyPlan.of(2, g, Mask.FULL, 1e-3, DType.FLOAT64, 2, 8e9).degree() > plan.degree());
        assertTrue(PolyPlan.of(1, g, Mask.FULL, 1e-6, DType.FLOAT64, 2, 8e9).degree() > plan.degree());
    }

    @Test
    void publicPlanMatchesWhatRuns() {
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(new Random(4), 2, new int[0], new int[0], 50, 3, 2, 1);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-5).causal();
        PolyPlan plan = PolyAttention.plan(pr.q(), pr.keys(), pr.values(), o);
        AttentionResult r = pr.run(o);
        assertEquals(plan.degree(), r.poly().degree());
        assertEquals(plan.rank(), r.poly().rank());
        assertEquals(plan.radius(), r.poly().radius());
        assertEquals(plan.delta(), r.poly().delta());
        List<Tensor> none = List.of();
        assertThrows(IllegalArgumentException.class, () -> PolyAttention.plan(pr.q(), none, none, o));
    }
}
