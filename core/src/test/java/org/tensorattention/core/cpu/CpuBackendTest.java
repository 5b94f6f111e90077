package org.tensorattention.core.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.Estimate;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/** The backend's plan: estimate says what forward does, and the backward follows the forward's choice. */
class CpuBackendTest {

    /** n = 200, d = 2 and small entries make poly cheap; n = 4, d = 8 makes it dearer than exact. */
    private record Call(Tensor q, List<Tensor> keys, List<Tensor> values) {
        static Call random(long seed, int n, int d, double bound) {
            Random rnd = new Random(seed);
            return new Call(BruteForce.tensor(BruteForce.random(rnd, n, d, bound)),
                    List.of(BruteForce.tensor(BruteForce.random(rnd, n, d, bound)),
                            BruteForce.tensor(BruteForce.random(rnd, n, d, bound))),
                    List.of(BruteForce.tensor(BruteForce.random(rnd, n, 2, 1)),
                            BruteForce.tensor(BruteForce.random(rnd, n, 2, 1))));
        }
    }

    @ParameterizedTest
    @CsvSource({"200, 2, 0.5, AUTO, POLY", "4, 8, 1, AUTO, EXACT", "200, 2, 0.5, EXACT, EXACT",
            "200, 2, 0.5, POLY, POLY"})
    void estimateSaysWhatForwardDoes(int n, int d, double bound, Method asked, Method runs) {
        Call c = Call.random(n + d, n, d, bound);
        AttentionOptions o = AttentionOptions.defaults().withMethod(asked).withEpsilon(1e-3);
        Estimate e = TensorAttention.estimate(c.q, c.keys, c.values, o);
        AttentionResult r = TensorAttention.forward(c.q, c.keys, c.values, o);
        assertEquals(runs, e.method(), e.reason());
        assertEquals(runs, r.method(), r.reason());
        assertEquals(e.reason(), r.reason());
        assertEquals(r.flops(), e.flops(), 1e-9 * r.flops());
        assertTrue(CpuBackend.INSTANCE.supports(c.q, c.keys, c.values, o));
    }

    @ParameterizedTest
    @CsvSource({"200, 2, 0.5, POLY", "4, 8, 1, EXACT"})
    void autoBackwardFollowsTheForwardsChoice(int n, int d, double bound, Method runs) {
        Call c = Call.random(n + d, n, d, bound);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.AUTO).withEpsilon(1e-3);
        Tensor dout = BruteForce.tensor(BruteForce.random(new Random(5), n, 2, 1));
        AttentionResult fw = TensorAttention.forward(c.q, c.keys, c.values, o);
        GradientResult given = TensorAttention.backward(c.q, c.keys, c.values, dout, fw, o);
        GradientResult alone = TensorAttention.backward(c.q, c.keys, c.values, dout, null, o);
        assertEquals(runs, fw.method());
        assertEquals(runs, given.method(), given.reason());
        assertEquals(runs, alone.method(), alone.reason());
        assertEquals(fw.reason(), given.reason());
        assertArrayEquals(alone.dq().doubles(), given.dq().doubles(), 1e-12);
    }
}
