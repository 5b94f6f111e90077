package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.loss.LossGradient;

/**
 * Every golden case of testdata/golden (an independent numpy / PyTorch reference) through core's Java API, with
 * the options and tolerance its manifest entry gives. It lives here, not in core, because reading .npz is io's
 * job and io depends on core: core's tests cannot depend on io without a cycle in the build.
 */
class GoldenApiTest {

    static List<GoldenManifest> cases() throws IOException {
        return GoldenManifest.all();
    }

    /** The manifest's command-line options as API options (the subset the golden cases use). */
    static AttentionOptions options(List<String> opts) {
        AttentionOptions o = AttentionOptions.defaults();
        for (int a = 0; a < opts.size(); a++) {
            switch (opts.get(a)) {
                case "--method" -> o = o.withMethod(Method.parse(opts.get(++a)));
                case "--epsilon" -> o = o.withEpsilon(Double.parseDouble(opts.get(++a)));
                case "--scale" -> o = o.withScale(Double.parseDouble(opts.get(++a)));
                case "--causal" -> o = o.withMask(Mask.CAUSAL);
                case "--window" -> o = o.withMask(Mask.window(java.util.Arrays.stream(opts.get(++a).split(",")).mapToInt(Integer::parseInt).toArray()));
                default -> throw new IllegalArgumentException("golden option " + opts.get(a) + " not understood");
            }
        }
        return o;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void apiMatchesGolden(GoldenManifest c) throws IOException {
        Map<String, Tensor> in = Npz.read(c.input());
        Map<String, Tensor> want = Npz.read(c.expected());
        AttentionOptions opt = options(c.opts());
        if (c.kind().equals("loss-gradient")) {
            List<Tensor> a = new ArrayList<>();
            for (int t = 1; t <= 5; t++) {
                a.add(in.get("a" + t));
            }
            if (in.containsKey("scale")) {
                opt = opt.withScale(in.get("scale").get(0));
            }
            LossGradient.Result r = LossGradient.compute(a, in.get("x"), in.get("y"), in.get("e"), opt);
            double wantLoss = want.get("loss").get(0);
            assertEquals(wantLoss, r.loss(), c.tol() * Math.max(1, Math.abs(wantLoss)), "loss");
            assertRelative("dx", want.get("dx"), r.dx(), c.tol());
            return;
        }
        List<Tensor> keys = new ArrayList<>();
        List<Tensor> values = new ArrayList<>();
        for (int t = 1; in.containsKey("k" + t); t++) {
            keys.add(in.get("k" + t));
            values.add(in.get("v" + t));
        }
        if (c.kind().equals("backward")) {
            GradientResult g = TensorAttention.backward(in.get("q"), keys, values, in.get("dout"), null, opt);
            assertRelative("o", want.get("o"), g.output(), c.tol());
            assertRelative("dq", want.get("dq"), g.dq(), c.tol());
            for (int t = 0; t < keys.size(); t++) {
                assertRelative("dk" + (t + 1), want.get("dk" + (t + 1)), g.dk().get(t), c.tol());
                assertRelative("dv" + (t + 1), want.get("dv" + (t + 1)), g.dv().get(t), c.tol());
            }
            return;
        }
        assertEquals("forward", c.kind());
        AttentionResult r = TensorAttention.forward(in.get("q"), keys, values, opt);
        assertEquals(opt.method(), r.method(), r.reason());
        Tensor o = want.get("o");
        assertArrayEquals(o.shape(), r.output().shape());
        double worst = 0;
        for (int x = 0; x < o.size(); x++) {
            worst = Math.max(worst, Math.abs(o.get(x) - r.output().get(x)));
        }
        assertTrue(worst <= c.tol(), "max |o - golden| = " + worst + " > " + c.tol());
        if (r.poly() != null) {
            assertTrue(worst <= r.poly().errorBound(), "max error " + worst + " > certified " + r.poly().errorBound());
        }
    }

    /** |got - want| <= tol * max(1, max |want|), elementwise, shapes equal. */
    static void assertRelative(String name, Tensor want, Tensor got, double tol) {
        assertArrayEquals(want.shape(), got.shape(), name + " shape");
        double bound = tol * Math.max(1, want.maxAbs());
        for (int x = 0; x < want.size(); x++) {
            double diff = Math.abs(want.get(x) - got.get(x));
            assertTrue(diff <= bound, name + "[" + x + "]: " + got.get(x) + " vs " + want.get(x));
        }
    }
}
