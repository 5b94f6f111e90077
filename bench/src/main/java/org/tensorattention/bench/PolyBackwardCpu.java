package org.tensorattention.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * Poly backward / forward by kernel seconds (wall) and by the process CPU seconds of the whole calls, on the
 * public API only, so that it also runs against an older build's jar placed first on the class path:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp OLD.jar:bench/target/classes \
 *     org.tensorattention.bench.PolyBackwardCpu full,causal 16,18
 * </pre>
 *
 * Order 3, d = dv = 8, entries uniform in [-1, 1], eps = 1e-3, 2 threads, best of 3 after a warm-up, the
 * backward given the forward's result. CPU seconds see through other load on a shared machine.
 */
public final class PolyBackwardCpu {
    private PolyBackwardCpu() {
    }

    public static void main(String[] args) {
        String[] masks = (args.length > 0 ? args[0] : "full,causal").split(",");
        String[] logs = (args.length > 1 ? args[1] : "16,18").split(",");
        for (int r = 0; r < 3; r++) {
            for (String m : masks) {
                run(m, 11, 1, false);
            }
        }
        for (String m : masks) {
            for (String l : logs) {
                run(m, Integer.parseInt(l), 3, true);
            }
        }
    }

    private static void run(String mask, int log, int repeats, boolean print) {
        int n = 1 << log;
        Random rnd = new Random(5);
        Tensor q = PolyScaling.fill(rnd, n, 8, 1);
        List<Tensor> k = new ArrayList<>();
        List<Tensor> v = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            k.add(PolyScaling.fill(rnd, n, 8, 1));
            v.add(PolyScaling.fill(rnd, n, 8, 1));
        }
        Tensor dout = PolyScaling.fill(new Random(1), n, 8, 1);
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3).withThreads(2)
                .withMask(mask.equals("full") ? Mask.FULL : Mask.CAUSAL);
        double fw = Double.MAX_VALUE;
        double bw = Double.MAX_VALUE;
        double fc = Double.MAX_VALUE;
        double bc = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            System.gc();
            double c0 = PolyScaling.processCpuSeconds();
            AttentionResult f = TensorAttention.forward(q, k, v, o);
            fc = Math.min(fc, PolyScaling.processCpuSeconds() - c0);
            fw = Math.min(fw, f.seconds());
            System.gc();
            c0 = PolyScaling.processCpuSeconds();
            GradientResult g = TensorAttention.backward(q, k, v, dout, f, o);
            bc = Math.min(bc, PolyScaling.processCpuSeconds() - c0);
            bw = Math.min(bw, g.seconds());
        }
        if (print) {
            System.out.printf(Locale.ROOT, "%s n=2^%d: kernel wall %.3f / %.3f = %.2f; process CPU (whole calls) "
                    + "%.3f / %.3f = %.2f%n", mask, log, bw, fw, bw / fw, bc, fc, bc / fc);
        }
    }
}
