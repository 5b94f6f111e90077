package org.tensorattention.evidence;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Parallel;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Progress;
import org.tensorattention.plot.LinePlot;

/**
 * {@code tensor-attention experiment error}: the polynomial method's certificate max |O~ - O| &lt;= eps * Vinf,
 * checked on many small random problems across orders, masks, targets eps and entry bounds B. The reference
 * O is the exact kernel in float64. Writes error.csv and error.png (measured error against the bound, log-log,
 * with the line y = x: every point must lie below it).
 */
public final class ErrorExperiment {

    /**
     * @param runs     random problems
     * @param nMin     smallest n (each run draws n uniformly in [nMin, nMax])
     * @param nMax     largest n
     * @param d        head width
     * @param dv       value width
     * @param orders   orders k cycled through
     * @param epsilons targets eps cycled through
     * @param bounds   entry bounds B cycled through
     * @param masks    "full", "causal", "window" cycled through (window widths drawn at random)
     */
    public record Config(int runs, int nMin, int nMax, int d, int dv, int[] orders, double[] epsilons,
                         double[] bounds, String[] masks, int threads, long seed, Path output) {
        public Config {
            if (runs < 1 || nMin < 1 || nMax < nMin || d < 1 || dv < 1) {
                throw new IllegalArgumentException("runs, n, d and dv must be at least 1 and nMin <= nMax");
            }
            if (orders.length == 0 || epsilons.length == 0 || bounds.length == 0 || masks.length == 0) {
                throw new IllegalArgumentException("orders, epsilons, bounds and masks must not be empty");
            }
            for (int k : orders) {
                if (k < 2) {
                    throw new IllegalArgumentException("orders must be at least 2, got " + k);
                }
            }
            for (double e : epsilons) {
                if (!(e > 0 && e < 1)) {
                    throw new IllegalArgumentException("epsilon must lie in (0, 1), got " + e);
                }
            }
            for (double b : bounds) {
                if (!(b > 0) || !Double.isFinite(b)) {
                    throw new IllegalArgumentException("entry bounds must be positive, got " + b);
                }
            }
            for (String m : masks) {
                if (!m.equals("full") && !m.equals("causal") && !m.equals("window")) {
                    throw new IllegalArgumentException("masks are full, causal or window, got '" + m + "'");
                }
            }
        }

        public static Config defaults(Path output) {
            return new Config(1200, 4, 24, 4, 3, new int[] {2, 3, 4}, new double[] {1e-1, 1e-2, 1e-3, 1e-4, 1e-6},
                    new double[] {0.25, 0.5, 1, 1.5, 2}, new String[] {"full", "causal", "window"}, 0, 1, output);
        }
    }

    /** One run: the problem's parameters, the bound and what was measured. */
    public record Run(int index, int order, int n, String mask, double bound, double epsilon, double vinf,
                      double measured, double reportedBound, int degree, long rank, double radius, String refusal) {
        public double certified() {
            return epsilon * vinf;
        }

        public boolean ran() {
            return refusal == null;
        }

        /** The certificate failed (a tiny allowance for the float64 reference's own rounding). */
        public boolean violated() {
            return ran() && measured > certified() * (1 + 1e-9) + 1e-13 * vinf;
        }
    }

    /** All runs and the count of violations. */
    public record Report(List<Run> runs, int violations, int refused, double worstRatio) {
    }

    private ErrorExperiment() {
    }

    public static Report run(Config cfg, PrintStream out, PrintStream progress) {
        Path dir = Outputs.folder(cfg.output());
        out.println("experiment error: " + Machine.describe());
        Run[] runs = new Run[cfg.runs()];
        Progress bar = new Progress("error", cfg.runs(), progress);
        int threads = AttentionOptions.defaults().withThreads(cfg.threads()).threadCount();
        // Problems are tiny: run them side by side, one thread each.
        Parallel.forEach(cfg.runs(), threads, r -> {
            runs[r] = one(cfg, r);
            synchronized (bar) {
                bar.step(null);
            }
        });
        bar.finish("done");
        int violations = 0;
        int refused = 0;
        double worst = 0;
        for (Run r : runs) {
            if (!r.ran()) {
                refused++;
            } else {
                if (r.violated()) {
                    violations++;
                }
                worst = Math.max(worst, r.measured() / r.certified());
            }
        }
        Report report = new Report(List.of(runs), violations, refused, worst);
        write(report, dir);
        out.printf(Locale.ROOT, "experiment error: %d runs, %d ran, %d refused by the planner, %d violations of "
                        + "max |O~ - O| <= eps * Vinf; worst measured/bound = %.3g%n",
                cfg.runs(), cfg.runs() - refused, refused, violations, worst);
        out.println("experiment error: wrote " + dir.resolve("error.csv") + ", " + dir.resolve("error.png"));
        return report;
    }

    /** Run r: parameters cycle through the grid (mixed radix over r), the data is random. */
    static Run one(Config cfg, int r) {
        SplittableRandom rnd = new SplittableRandom(cfg.seed() * 7_919L + r * 104_729L + 17);
        int rest = r;
        int order = cfg.orders()[rest % cfg.orders().length];
        rest /= cfg.orders().length;
        String maskName = cfg.masks()[rest % cfg.masks().length];
        rest /= cfg.masks().length;
        double eps = cfg.epsilons()[rest % cfg.epsilons().length];
        rest /= cfg.epsilons().length;
        double bound = cfg.bounds()[rest % cfg.bounds().length];
        int n = cfg.nMin() + rnd.nextInt(cfg.nMax() - cfg.nMin() + 1);
        Mask mask = switch (maskName) {
            case "causal" -> Mask.CAUSAL;
            case "window" -> {
                int[] w = new int[order - 1];
                for (int t = 0; t < w.length; t++) {
                    w[t] = 1 + rnd.nextInt(n);
                }
                yield Mask.window(w);
            }
            default -> Mask.FULL;
        };
        Problems p = Problems.random(rnd, order, n, cfg.d(), cfg.dv(), bound, DType.FLOAT64);
        AttentionOptions opt = AttentionOptions.defaults().withMask(mask).withEpsilon(eps).withThreads(1);
        double vinf = Problems.vinf(p.values());
        AttentionResult exact = TensorAttention.forward(p.q(), p.keys(), p.values(), opt.withMethod(Method.EXACT));
        try {
            AttentionResult poly = TensorAttention.forward(p.q(), p.keys(), p.values(), opt.withMethod(Method.POLY));
            double err = Problems.maxAbsDiff(poly.output(), exact.output());
            AttentionResult.PolyInfo info = poly.poly();
            return new Run(r, order, n, mask.toString(), bound, eps, vinf, err, info.errorBound(), info.degree(),
                    info.rank(), info.radius(), null);
        } catch (IllegalArgumentException e) {
            return new Run(r, order, n, mask.toString(), bound, eps, vinf, Double.NaN, Double.NaN, -1, -1,
                    Double.NaN, Bench.oneLine(e.getMessage()));
        }
    }

    private static void write(Report report, Path dir) {
        Csv csv = new Csv("run", "order", "n", "mask", "bound", "epsilon", "vinf", "certified_bound", "reported_bound",
                "measured_error", "ratio", "degree", "rank", "radius", "violation", "refusal");
        for (Run r : report.runs()) {
            csv.row(r.index(), r.order(), r.n(), r.mask(), r.bound(), r.epsilon(), r.vinf(), r.certified(),
                    r.reportedBound(), r.measured(), r.measured() / r.certified(), r.degree(), r.rank(), r.radius(),
                    r.violated() ? 1 : 0, r.refusal());
        }
        csv.write(dir.resolve("error.csv"));

        LinePlot plot = new LinePlot(String.format(Locale.ROOT, "Poly error vs certified bound: %d runs, %d violations",
                report.runs().size() - report.refused(), report.violations()), "bound eps * Vinf",
                "measured max |O~ - O|").logLog().legend(LinePlot.Corner.TOP_LEFT);
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (int k = 2; k <= 8; k++) {
            List<double[]> pts = new ArrayList<>();
            for (Run r : report.runs()) {
                if (r.order() == k && r.ran()) {
                    // An exact match is drawn at the floor of the plot rather than lost on the log axis.
                    pts.add(new double[] {r.certified(), Math.max(r.measured(), 1e-17)});
                    lo = Math.min(lo, r.certified());
                    hi = Math.max(hi, r.certified());
                }
            }
            if (!pts.isEmpty()) {
                plot.points("order " + k, pts.stream().mapToDouble(a -> a[0]).toArray(),
                        pts.stream().mapToDouble(a -> a[1]).toArray());
            }
        }
        if (hi > 0) {
            plot.reference("y = x (the bound)", new double[] {lo, hi}, new double[] {lo, hi});
        }
        plot.write(dir.resolve("error.png"));
    }
}
