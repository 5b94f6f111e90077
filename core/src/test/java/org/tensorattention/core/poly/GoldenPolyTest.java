package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.TestNpz;

/** The golden poly cases of testdata/golden (options and tolerances from manifest.json). */
class GoldenPolyTest {
    private static final Path GOLDEN = Path.of("..", "testdata", "golden");

    @ParameterizedTest(name = "{0}")
    @CsvSource({"poly-o3,false,9.886865565776658e-05", "poly-o3-causal,true,9.71277865138995e-05"})
    void goldenPolyCases(String name, boolean causal, double tol) throws IOException {
        Map<String, Tensor> in = TestNpz.read(GOLDEN.resolve("cases").resolve(name + ".in.npz"));
        Tensor expected = TestNpz.read(GOLDEN.resolve("expected").resolve(name + ".npz")).get("o");
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; in.containsKey("k" + t); t++) {
            keys.add(in.get("k" + t));
            values.add(in.get("v" + t));
        }
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-4)
                .withMask(causal ? Mask.CAUSAL : Mask.FULL);
        AttentionResult r = TensorAttention.forward(in.get("q"), keys, values, o);
        assertEquals(Method.POLY, r.method());
        assertArrayEquals(expected.shape(), r.output().shape());
        double worst = 0;
        for (int i = 0; i < expected.size(); i++) {
            worst = Math.max(worst, Math.abs(expected.get(i) - r.output().get(i)));
        }
        assertTrue(worst <= tol, "max error " + worst + " > " + tol);
        assertTrue(worst <= r.poly().errorBound(), "max error " + worst + " > certified " + r.poly().errorBound());
    }
}
