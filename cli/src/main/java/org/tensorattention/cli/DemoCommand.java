package org.tensorattention.cli;

import java.util.List;
import java.util.SplittableRandom;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.evidence.Problems;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tensor-attention demo}: a random problem, the exact kernel and the polynomial method on it, and a
 * direct check of sampled rows, with timings. The quickstart's first command.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "run a random problem: exact vs polynomial method, timed, checked against a direct sum",
        description = {
            "Makes a random order-k problem with entries uniform in [-B, B], runs the exact kernel and the "
                    + "polynomial method on it, and checks sampled rows of the exact result against a direct two-pass "
                    + "sum over every allowed key tuple (computed separately, in float64). Times are of the kernels "
                    + "alone, after a warm-up call on a smaller problem."})
final class DemoCommand extends Base {
    @Option(names = "--order", paramLabel = "K", defaultValue = "3", description = "order k (default: ${DEFAULT-VALUE})")
    int order;

    @Option(names = "--n", paramLabel = "N", defaultValue = "2048", description = "tokens (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--d", paramLabel = "D", defaultValue = "8", description = "head width (default: ${DEFAULT-VALUE})")
    int d;

    @Option(names = "--dv", paramLabel = "DV", description = "value width (default: d)")
    Integer dv;

    @Option(names = "--dtype", paramLabel = "float32|float64", defaultValue = "float32", converter = Flags.Dtype.class,
            description = "element type (default: ${DEFAULT-VALUE})")
    DType dtype;

    @Option(names = "--bound", paramLabel = "B", defaultValue = "1", converter = Flags.Finite.class,
            description = "entries uniform in [-B, B] (default: ${DEFAULT-VALUE})")
    double bound;

    @Mixin
    Flags.Masks masks;

    @Option(names = "--epsilon", paramLabel = "E", defaultValue = "1e-4", converter = Flags.Finite.class,
            description = "error target of the polynomial method (default: ${DEFAULT-VALUE})")
    double epsilon;

    @Option(names = "--check-rows", paramLabel = "R", defaultValue = "8",
            description = "rows checked against the direct sum (default: ${DEFAULT-VALUE})")
    int checkRows;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "random seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    Flags.Threads threads;

    @Override
    int run() {
        int dv = this.dv == null ? d : this.dv;
        if (order < 2 || n < 1 || d < 1 || dv < 1 || checkRows < 0) {
            throw new UsageException("needs --order >= 2, --n, --d and --dv >= 1, and --check-rows >= 0");
        }
        if (!(epsilon > 0 && epsilon < 1)) {
            throw new UsageException("--epsilon must lie in (0, 1), got " + epsilon);
        }
        AttentionOptions options = AttentionOptions.defaults().withMask(masks.mask()).withEpsilon(epsilon)
                .withThreads(threads.count());
        SplittableRandom rnd = new SplittableRandom(seed);
        Problems problem = Problems.random(rnd, order, n, d, dv, bound, dtype);
        Tensor q = problem.q();
        List<Tensor> keys = problem.keys();
        List<Tensor> values = problem.values();
        out.printf("tensor-attention demo: order %d, n = %d, d = %d, dv = %d, %s, %s mask, entries in [-%s, %s], %d threads%n",
                order, n, d, dv, dtype.numpyName(), options.mask(), fmt(bound), fmt(bound), options.threadCount());

        warmUp(rnd, order, Math.min(n, 256), d, dv, bound, dtype, options);
        AttentionResult exact = TensorAttention.forward(q, keys, values, options.withMethod(Method.EXACT));
        double vinf = Problems.vinf(values);
        double checkErr = directCheck(q, keys, values, options.scaleFor(d), options.mask(), exact.output(), checkRows, rnd);
        out.printf("exact  %9.4f s  %8.2f GFLOP/s  (%.3g flops)   max |O - direct sum| over %d rows = %.2e  (Vinf = %.3g)%n",
                exact.seconds(), exact.gflops(), exact.flops(), Math.min(checkRows, n), checkErr, vinf);
        try {
            AttentionResult poly = TensorAttention.forward(q, keys, values, options.withMethod(Method.POLY));
            double err2 = Problems.maxAbsDiff(poly.output(), exact.output());
            out.printf("poly   %9.4f s  degree %d, rank %d, R = %.3g   max |O~ - O| = %.2e <= bound %.2e  (%.1fx faster)%n",
                    poly.seconds(), poly.poly().degree(), poly.poly().rank(), poly.poly().radius(), err2,
                    poly.poly().errorBound(), exact.seconds() / poly.seconds());
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            out.println("poly   not run: " + Main.oneLine(e.getMessage()));
        }
        return 0;
    }

    /** A small problem through both methods first, so the timings below are of compiled kernels. */
    private static void warmUp(SplittableRandom rnd, int order, int n, int d, int dv, double bound, DType dtype,
                               AttentionOptions options) {
        Problems p = Problems.random(rnd, order, n, d, dv, bound, dtype);
        for (int rep = 0; rep < 3; rep++) {
            TensorAttention.forward(p.q(), p.keys(), p.values(), options.withMethod(Method.EXACT));
            try {
                TensorAttention.forward(p.q(), p.keys(), p.values(), options.withMethod(Method.POLY));
            } catch (IllegalArgumentException e) {
                return; // poly refuses this problem; the real call below says why
            }
        }
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }

    /** Max error of sampled rows of o against a direct two-pass softmax over every allowed tuple. */
    static double directCheck(Tensor q, List<Tensor> keys, List<Tensor> values, double c, Mask mask, Tensor o,
                              int rows, SplittableRandom rnd) {
        int n = q.dim(0);
        int d = q.dim(1);
        int dv = values.get(0).dim(1);
        int factors = keys.size();
        double worst = 0;
        for (int r = 0; r < Math.min(rows, n); r++) {
            int i = r == 0 ? n - 1 : rnd.nextInt(n);
            double max = Double.NEGATIVE_INFINITY;
            for (int pass = 0; pass < 2; pass++) {
                double sum = 0;
                double[] acc = new double[dv];
                int[] j = new int[factors];
                for (int t = 0; t < factors; t++) {
                    j[t] = mask.lo(t, i);
                }
                boolean more = allowedNonEmpty(mask, i, factors, n);
                while (more) {
                    double s = 0;
                    for (int l = 0; l < d; l++) {
                        double prod = q.get(i * d + l);
                        for (int t = 0; t < factors; t++) {
                            prod *= keys.get(t).get(j[t] * d + l);
                        }
                        s += prod;
                    }
                    s *= c;
                    if (pass == 0) {
                        max = Math.max(max, s);
                    } else {
                        double w = Math.exp(s - max);
                        sum += w;
                        for (int l = 0; l < dv; l++) {
                            double prod = w;
                            for (int t = 0; t < factors; t++) {
                                prod *= values.get(t).get(j[t] * dv + l);
                            }
                            acc[l] += prod;
                        }
                    }
                    more = advance(j, mask, i, n);
                }
                if (pass == 1) {
                    for (int l = 0; l < dv; l++) {
                        worst = Math.max(worst, Math.abs(acc[l] / sum - o.get(i * dv + l)));
                    }
                }
            }
        }
        return worst;
    }

    private static boolean allowedNonEmpty(Mask mask, int i, int factors, int n) {
        for (int t = 0; t < factors; t++) {
            if (mask.hi(t, i, n) < mask.lo(t, i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean advance(int[] j, Mask mask, int i, int n) {
        for (int t = j.length - 1; t >= 0; t--) {
            if (++j[t] <= mask.hi(t, i, n)) {
                return true;
            }
            j[t] = mask.lo(t, i);
        }
        return false;
    }
}
