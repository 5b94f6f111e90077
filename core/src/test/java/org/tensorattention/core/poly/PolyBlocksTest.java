package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.junit.jupiter.api.Test;

/** The pieces, put together by hand over two halves of the rows, give the whole call's poly output. */
class PolyBlocksTest {
    private static final int N = 50;
    private static final int D = 3;
    private static final int DV = 2;

    private static double[] random(Random rnd, int size) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = rnd.nextDouble() * 2 - 1;
        }
        return x;
    }

    @Test
    void halvesWithCarriedStatesMatchTheWholeCall() {
        Random rnd = new Random(11);
        double[] q = random(rnd, N * D);
        double[][] k = {random(rnd, N * D), random(rnd, N * D)};
        double[][] v = {random(rnd, N * DV), random(rnd, N * DV)};
        List<Tensor> keys = List.of(Tensor.of(k[0], N, D), Tensor.of(k[1], N, D));
        List<Tensor> values = List.of(Tensor.of(v[0], N, DV), Tensor.of(v[1], N, DV));
        Tensor qt = Tensor.of(q, N, D);
        AttentionOptions full = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-6).withThreads(1);
        PolyPlan plan = PolyAttention.plan(qt, keys, values, full);
        double[] keyMax = {1, 1, 1};
        for (double[] kt : k) {
            double[] m = PolyBlocks.columnMaxAbs(kt, 0, N, D);
            for (int l = 0; l < D; l++) {
                keyMax[l] *= m[l];
            }
        }
        double reach = Math.max(PolyBlocks.queryReach(q, 0, 20, D, keyMax), PolyBlocks.queryReach(q, 20 * D, 30, D, keyMax));
        assertEquals(plan.radius(), PolyBlocks.radius(1.0 / D, reach));
        PolyBlocks blocks = new PolyBlocks(plan.polynomial(), D, DV, 1.0 / D);

        double[][] s = new double[2][blocks.momentLength()];
        double[][] z = new double[2][blocks.rank()];
        for (int t = 0; t < 2; t++) {
            blocks.keyMoments(k[t], 0, v[t], 0, 20, s[t], z[t]);
            blocks.keyMoments(k[t], 20 * D, v[t], 20 * DV, 30, s[t], z[t]);
        }
        double[] out = new double[N * DV];
        blocks.queryOutputs(q, 0, N, PolyBlocks.product(s, -1), PolyBlocks.product(z, -1), out, 0);
        // The whole call at the plan's one degree: the pieces do not split rows into levels (RowLevels).
        Tensor whole = singleLevel(qt, keys, values, full);
        for (int x = 0; x < out.length; x++) {
            assertEquals(whole.get(x), out[x], 1e-13);
        }

        // Causal: the second half starts from the first half's totals.
        double[][] cs = new double[2][blocks.momentLength()];
        double[][] cz = new double[2][blocks.rank()];
        double[] first = new double[20 * DV];
        double[] second = new double[30 * DV];
        blocks.causalScan(q, k, v, 20, cs, cz, first);
        double[] q2 = java.util.Arrays.copyOfRange(q, 20 * D, N * D);
        double[][] k2 = {java.util.Arrays.copyOfRange(k[0], 20 * D, N * D), java.util.Arrays.copyOfRange(k[1], 20 * D, N * D)};
        double[][] v2 = {java.util.Arrays.copyOfRange(v[0], 20 * DV, N * DV), java.util.Arrays.copyOfRange(v[1], 20 * DV, N * DV)};
        blocks.causalScan(q2, k2, v2, 30, cs, cz, second);
        Tensor causal = singleLevel(qt, keys, values, full.causal());
        for (int x = 0; x < first.length; x++) {
            assertEquals(causal.get(x), first[x], 1e-13);
        }
        for (int x = 0; x < second.length; x++) {
            assertEquals(causal.get(first.length + x), second[x], 1e-13);
        }
    }

    private static Tensor singleLevel(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions o) {
        org.tensorattention.core.Geometry g = org.tensorattention.core.Validation.geometry(q, keys, values);
        AttentionOptions aligned = org.tensorattention.core.Validation.align(g, o);
        PolyAttention.Prepared call = PolyAttention.prepare(q, keys, values, g, aligned);
        return Tensor.of(PolyAttention.compute(call.in, g, aligned, call.plan().polynomial()), g.nq(), g.dv());
    }
}
