package org.tensorattention.core.grad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.TestNpz;

/** The golden backward cases of testdata/golden (an independent PyTorch autograd reference). */
class GoldenGradientTest {
    static final Path GOLDEN = locate();

    private static Path locate() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("testdata/golden");
            if (Files.isDirectory(p)) {
                return p;
            }
        }
        throw new IllegalStateException("testdata/golden not found");
    }

    static Map<String, Tensor> input(String name) throws IOException {
        return TestNpz.read(GOLDEN.resolve("cases/" + name + ".in.npz"));
    }

    static Map<String, Tensor> expected(String name) throws IOException {
        return TestNpz.read(GOLDEN.resolve("expected/" + name + ".npz"));
    }

    /** |got - want| <= tol * max(1, max |want|), elementwise, shapes equal. */
    static void assertWithin(String name, Tensor want, Tensor got, double tol) {
        assertArrayEquals(want.shape(), got.shape(), name + " shape");
        double bound = tol * Math.max(1, want.maxAbs());
        for (int x = 0; x < want.size(); x++) {
            double diff = Math.abs(want.get(x) - got.get(x));
            assertTrue(diff <= bound, name + "[" + x + "]: " + got.get(x) + " vs " + want.get(x));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"bw-o3, NaN, false", "bw-o3-causal, 0.4, true", "bw-o2, NaN, false"})
    void backwardMatchesGolden(String name, double scale, boolean causal) throws IOException {
        Map<String, Tensor> in = input(name);
        Map<String, Tensor> want = expected(name);
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; in.containsKey("k" + t); t++) {
            keys.add(in.get("k" + t));
            values.add(in.get("v" + t));
        }
        AttentionOptions opt = AttentionOptions.defaults().withScale(scale);
        opt = causal ? opt.causal() : opt;
        GradientResult gr = TensorAttention.backward(in.get("q"), keys, values, in.get("dout"), null, opt);
        double tol = 1e-8;
        assertWithin("o", want.get("o"), gr.output(), tol);
        assertWithin("dq", want.get("dq"), gr.dq(), tol);
        for (int t = 0; t < keys.size(); t++) {
            assertWithin("dk" + (t + 1), want.get("dk" + (t + 1)), gr.dk().get(t), tol);
            assertWithin("dv" + (t + 1), want.get("dv" + (t + 1)), gr.dv().get(t), tol);
        }
    }
}
