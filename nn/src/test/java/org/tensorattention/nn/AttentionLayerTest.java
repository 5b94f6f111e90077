package org.tensorattention.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.Backend;
import org.tensorattention.core.AttentionOptions;

/**
 * The attention layer of order k: its gradients against finite differences, with the library's kernels and
 * with a reference written from the specification; and the library's forward against the reference.
 */
class AttentionLayerTest {

    private static MultiHeadAttention layer(int order, int heads, int hw, Backend backend, long seed) {
        AttentionOptions options = AttentionOptions.defaults().withScale(0.5).withThreads(2);
        return new MultiHeadAttention("attn", order, 6, heads, hw, options, backend, new SplittableRandom(seed));
    }

    @ParameterizedTest
    @CsvSource({"2, 2, 3, 1", "3, 2, 3, 2", "3, 1, 4, 3", "4, 2, 2, 4"})
    void referenceGradientsMatchFiniteDifferences(int order, int heads, int hw, long seed) {
        GradCheck.layer(layer(order, heads, hw, new ReferenceKernel(), seed), GradCheck.randomHidden(2, 4, 6, seed + 9),
                seed, 1e-5);
    }

    @ParameterizedTest
    @CsvSource({"2, 2, 3, 1", "3, 2, 3, 2", "3, 1, 4, 3"})
    void libraryGradientsMatchFiniteDifferences(int order, int heads, int hw, long seed) {
        GradCheck.layer(layer(order, heads, hw, TensorAttention.backend(), seed), GradCheck.randomHidden(2, 4, 6, seed + 9),
                seed, 1e-5);
    }

    @ParameterizedTest
    @CsvSource({"2, 2, 3, 1", "3, 2, 3, 2", "4, 1, 2, 3"})
    void libraryForwardMatchesTheReference(int order, int heads, int hw, long seed) {
        Hidden x = GradCheck.randomHidden(3, 5, 6, seed);
        double[] lib = layer(order, heads, hw, TensorAttention.backend(), seed).forward(x).data();
        double[] ref = layer(order, heads, hw, new ReferenceKernel(), seed).forward(x).data();
        assertArrayEquals(ref, lib, 1e-10);
    }
}
