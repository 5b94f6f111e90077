package org.tensorattention.evidence;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Method;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Progress;
import org.tensorattention.plot.LinePlot;
import org.tensorattention.plot.Panels;

/**
 * {@code tensor-attention experiment threshold}: where the polynomial method stops paying as the entry bound B
 * grows. For each B the radius is the worst case R = B^k (scale 1/d, entries in [-B, B]); the degree and rank
 * come from the method's certificates ({@link RankNeeded}); its time is predicted by the cost model
 * c_poly * n r (d + k dv) with c_poly measured on cheap runs (the median over those of larger rank, since the
 * cost per unit grows with the rank; the runs themselves are plotted); the exact
 * kernel's time is measured at small n and extrapolated by its n^k cost model, c_exact * n^k. For each n the
 * crossover B*(n) is where the two predictions meet (interpolated in log time), and B*(n) is fitted against
 * log^{1/3} n: B* = a ln^{1/3} n + b. Writes threshold.csv, threshold-crossover.csv, threshold-exact.csv and
 * threshold.png.
 */
public final class ThresholdExperiment {

    /**
     * @param sizes        n at which the crossover is located
     * @param bounds       entry bounds B swept (ascending)
     * @param exactN       sizes at which the exact kernel is measured
     * @param polyN        sizes at which the poly kernel is measured where cheap
     * @param polySeconds  a poly run predicted to take longer than this is not measured
     */
    public record Config(int[] sizes, double[] bounds, int[] exactN, int[] polyN, int order, int d, int dv,
                         double epsilon, double polySeconds, int threads, long seed, Path output) {
        public Config {
            sizes = sizes.clone();
            bounds = bounds.clone();
            if (sizes.length == 0 || bounds.length < 2 || exactN.length == 0) {
                throw new IllegalArgumentException("threshold needs sizes, at least two bounds and exact sizes");
            }
            for (int i = 1; i < bounds.length; i++) {
                if (!(bounds[i] > bounds[i - 1])) {
                    throw new IllegalArgumentException("bounds must increase, got " + Arrays.toString(bounds));
                }
            }
            if (!(bounds[0] > 0)) {
                throw new IllegalArgumentException("bounds must be positive, got " + bounds[0]);
            }
            if (order < 2 || d < 1 || dv < 1 || !(epsilon > 0 && epsilon < 1) || !(polySeconds >= 0)) {
                throw new IllegalArgumentException("order >= 2, d, dv >= 1, epsilon in (0, 1) and poly seconds >= 0 are needed");
            }
        }

        public static Config defaults(Path output) {
            double[] b = new double[23];
            for (int i = 0; i < b.length; i++) {
                b[i] = 0.5 + 0.125 * i;
            }
            return new Config(new int[] {1 << 10, 1 << 11, 1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16}, b,
                    new int[] {384, 512, 768}, new int[] {1 << 10, 1 << 12}, 3, 8, 8, 1e-3, 1.5, 0, 1, output);
        }
    }

    /** The degree and rank the method needs at one B. */
    public record Need(double bound, double radius, RankNeeded.Need need) {
    }

    /** A measured poly run. */
    public record Measured(int n, double bound, int degree, long rank, double seconds, double units, String note) {
    }

    /** The crossover at one n (NaN when it falls outside the swept bounds). */
    public record Crossover(int n, double bound, double exactSeconds) {
    }

    /**
     * @param fit      B* = slope ln^{1/3} n + intercept, least squares over the finite crossovers
     * @param powerFit log B* = slope log n + intercept: the alternative reading B* ~ n^p
     */
    public record Report(List<Need> needs, List<Measured> measured, List<Crossover> crossovers, double exactConstant,
                         double polyConstant, LineFit exactSlope, LineFit fit, LineFit powerFit) {
    }

    private ThresholdExperiment() {
    }

    /** The cost units of the poly kernel: n r (d + k dv) (SPEC.md section 2). */
    static double units(int n, double rank, int d, int order, int dv) {
        return (double) n * rank * (d + order * dv);
    }

    public static Report run(Config cfg, PrintStream out, PrintStream progress) {
        Path dir = Outputs.folder(cfg.output());
        out.println("experiment threshold: " + Machine.describe());
        AttentionOptions base = AttentionOptions.defaults().withEpsilon(cfg.epsilon()).withThreads(cfg.threads());
        int k = cfg.order();
        Progress bar = new Progress("threshold", cfg.exactN().length + cfg.polyN().length * cfg.bounds().length,
                progress);

        // 1. The exact kernel at small n; c_exact by least squares with the exponent fixed at k.
        double[] en = new double[cfg.exactN().length];
        double[] et = new double[cfg.exactN().length];
        double num = 0;
        double den = 0;
        warmUpExact(cfg, base);
        for (int i = 0; i < en.length; i++) {
            int n = cfg.exactN()[i];
            bar.note("exact n=" + n);
            Problems p = Problems.random(new SplittableRandom(cfg.seed() + n), k, n, cfg.d(), cfg.dv(), 1, DType.FLOAT32);
            AttentionOptions opt = base.withMethod(Method.EXACT);
            Timing t = Timing.measure(() -> TensorAttention.forward(p.q(), p.keys(), p.values(), opt).seconds(), 2, 5, 3);
            en[i] = n;
            et[i] = t.best();
            double nk = Math.pow(n, k);
            num += t.best() * nk;
            den += nk * nk;
            bar.step("exact n=" + n);
        }
        double cExact = num / den;
        LineFit exactSlope = en.length >= 2 ? LineFit.logLog(en, et) : null;

        // 2. The need at each B.
        List<Need> needs = new ArrayList<>();
        for (double b : cfg.bounds()) {
            double r = Math.pow(b, k);
            needs.add(new Need(b, r, RankNeeded.forAccuracy(r, cfg.epsilon(), cfg.d())));
        }

        // 3. Poly runs where cheap; c_poly = median of seconds per cost unit.
        warmUpPoly(cfg, base);
        List<Measured> measured = new ArrayList<>();
        List<Double> perUnit = new ArrayList<>();
        double cPoly = Double.NaN;
        for (int n : cfg.polyN()) {
            for (Need need : needs) {
                double u = units(n, need.need().rank(), cfg.d(), k, cfg.dv());
                boolean cheap = need.need().degree() >= 0
                        && (Double.isNaN(cPoly) ? u < 5e8 : cPoly * u <= cfg.polySeconds());
                if (cheap) {
                    bar.note(String.format(Locale.ROOT, "poly n=%d B=%.3g", n, need.bound()));
                    Measured m = measurePoly(cfg, base, n, need.bound(), u);
                    measured.add(m);
                    if (Double.isFinite(m.seconds()) && m.seconds() > 0) {
                        perUnit.add(m.seconds() / units(n, m.rank(), cfg.d(), k, cfg.dv()));
                        cPoly = median(perUnit);
                    }
                }
                bar.step(null);
            }
        }
        bar.finish("done");
        // The cost per unit grows with the rank (large feature blocks leave the caches), and the crossovers lie at
        // ranks far past the measured ones: calibrate on the upper half of the measured ranks.
        cPoly = upperHalfCost(measured, cfg);
        if (Double.isNaN(cPoly)) {
            throw new IllegalArgumentException("no poly run succeeded, so its cost constant is unknown (lower the bounds)");
        }

        // 4. Crossovers: smallest B where predicted poly time passes the extrapolated exact time.
        List<Crossover> crossovers = new ArrayList<>();
        for (int n : cfg.sizes()) {
            double exact = cExact * Math.pow(n, k);
            crossovers.add(new Crossover(n, crossing(needs, n, exact, cPoly, cfg), exact));
        }
        List<double[]> pts = new ArrayList<>();
        for (Crossover c : crossovers) {
            if (Double.isFinite(c.bound())) {
                pts.add(new double[] {Math.cbrt(Math.log(c.n())), c.bound()});
            }
        }
        LineFit fit = pts.size() >= 2 ? LineFit.fit(pts.stream().mapToDouble(a -> a[0]).toArray(),
                pts.stream().mapToDouble(a -> a[1]).toArray()) : null;
        LineFit powerFit = null;
        if (pts.size() >= 2) {
            double[] ln = crossovers.stream().filter(c -> Double.isFinite(c.bound())).mapToDouble(Crossover::n).toArray();
            double[] bs = crossovers.stream().filter(c -> Double.isFinite(c.bound())).mapToDouble(Crossover::bound).toArray();
            powerFit = LineFit.logLog(ln, bs);
        }
        Report report = new Report(needs, measured, crossovers, cExact, cPoly, exactSlope, fit, powerFit);
        write(report, cfg, dir);
        Csv exactCsv = new Csv("n", "seconds_best", "model_seconds");
        for (int i = 0; i < en.length; i++) {
            exactCsv.row((int) en[i], et[i], cExact * Math.pow(en[i], k));
        }
        exactCsv.write(dir.resolve("threshold-exact.csv"));

        out.printf(Locale.ROOT, "experiment threshold: exact kernel t = %.3g s * n^%d (measured at n = %s%s); poly t = %.3g s * n r (d + k dv) (median over the upper half of ranks of %d runs)%n",
                cExact, k, Arrays.toString(cfg.exactN()),
                exactSlope == null ? "" : String.format(Locale.ROOT, ", free slope %.2f", exactSlope.slope()), cPoly,
                perUnit.size());
        for (Crossover c : crossovers) {
            out.printf(Locale.ROOT, "experiment threshold: n = 2^%-2d crossover B* = %s  (exact predicted %.3g s)%n",
                    Integer.numberOfTrailingZeros(c.n()), Double.isFinite(c.bound())
                            ? String.format(Locale.ROOT, "%.3f", c.bound()) : "outside the swept bounds",
                    c.exactSeconds());
        }
        if (fit != null) {
            out.printf(Locale.ROOT, "experiment threshold: B*(n) = %.3f ln^(1/3) n %+.3f  (R^2 = %.4f over %d sizes)%n",
                    fit.slope(), fit.intercept(), fit.r2(), fit.points());
            out.printf(Locale.ROOT, "experiment threshold: largest relative residual of that fit %.2f%%; a power law B* ~ n^%.4f fits with R^2 = %.4f%n",
                    100 * maxRelativeResidual(crossovers, fit), powerFit.slope(), powerFit.r2());
        }
        out.println("experiment threshold: wrote " + dir.resolve("threshold.csv") + ", "
                + dir.resolve("threshold-crossover.csv") + ", " + dir.resolve("threshold.png"));
        return report;
    }

    /** A few untimed exact calls at the smallest size, so the first timed size does not pay for the JIT. */
    private static void warmUpExact(Config cfg, AttentionOptions base) {
        int n = cfg.exactN()[0];
        Problems p = Problems.random(new SplittableRandom(cfg.seed()), cfg.order(), n, cfg.d(), cfg.dv(), 1, DType.FLOAT32);
        AttentionOptions opt = base.withMethod(Method.EXACT);
        long t0 = System.nanoTime();
        for (int i = 0; i < 3 || System.nanoTime() - t0 < 300_000_000L && i < 50; i++) {
            TensorAttention.forward(p.q(), p.keys(), p.values(), opt);
        }
    }

    /**
     * Untimed poly calls at the smallest measured size over the first few bounds (by default at least 30 calls and
     * 3 s): a cold Vector API kernel runs tens of times slower until the JIT has compiled it (a dozen calls).
     */
    private static void warmUpPoly(Config cfg, AttentionOptions base) {
        if (cfg.polyN().length == 0) {
            return;
        }
        int n = Math.min(cfg.polyN()[0], 1024);
        AttentionOptions opt = base.withMethod(Method.POLY);
        long t0 = System.nanoTime();
        // Scaled by the poly time budget, so that a smoke test stays quick.
        int calls = cfg.polySeconds() >= 1 ? 30 : 5;
        long nanos = (long) (2e9 * cfg.polySeconds());
        for (int i = 0; i < 200 && (i < calls || System.nanoTime() - t0 < nanos); i++) {
            double b = cfg.bounds()[i % Math.min(3, cfg.bounds().length)];
            Problems p = Problems.random(new SplittableRandom(i), cfg.order(), n, cfg.d(), cfg.dv(), b, DType.FLOAT32)
                    .withWorstCaseRadius(b);
            try {
                TensorAttention.forward(p.q(), p.keys(), p.values(), opt);
            } catch (IllegalArgumentException | UnsupportedOperationException e) {
                return;
            }
        }
    }

    /**
     * A poly run at bound B on data whose radius is exactly the worst case B^k: one query row and one row of
     * each key factor are all B, the rest uniform in [-B, B].
     */
    static Measured measurePoly(Config cfg, AttentionOptions base, int n, double b, double u) {
        SplittableRandom rnd = new SplittableRandom(cfg.seed() * 31 + n);
        Problems p = Problems.random(rnd, cfg.order(), n, cfg.d(), cfg.dv(), b, DType.FLOAT32).withWorstCaseRadius(b);
        AttentionOptions opt = base.withMethod(Method.POLY);
        try {
            AttentionResult first = TensorAttention.forward(p.q(), p.keys(), p.values(), opt);
            Timing t = Timing.measure(() -> TensorAttention.forward(p.q(), p.keys(), p.values(), opt).seconds(), 2, 5,
                    Math.max(0.5, cfg.polySeconds()));
            return new Measured(n, b, first.poly().degree(), first.poly().rank(), t.best(), u, "");
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            return new Measured(n, b, -1, -1, Double.NaN, u, Bench.oneLine(e.getMessage()));
        }
    }

    /** Where log(poly / exact) crosses 0 along the swept B, linearly interpolated; NaN when it does not. */
    static double crossing(List<Need> needs, int n, double exact, double cPoly, Config cfg) {
        double prevB = Double.NaN;
        double prevGap = Double.NaN;
        for (Need need : needs) {
            double gap = need.need().degree() < 0 ? Double.POSITIVE_INFINITY
                    : Math.log(cPoly * units(n, need.need().rank(), cfg.d(), cfg.order(), cfg.dv()) / exact);
            if (gap >= 0) {
                if (Double.isNaN(prevGap)) {
                    return Double.NaN;
                }
                if (Double.isInfinite(gap)) {
                    return need.bound();
                }
                return prevB + (need.bound() - prevB) * (-prevGap) / (gap - prevGap);
            }
            prevB = need.bound();
            prevGap = gap;
        }
        return Double.NaN;
    }

    /** Median seconds per cost unit over the measured runs whose rank is at least the median measured rank. */
    static double upperHalfCost(List<Measured> measured, Config cfg) {
        List<Measured> ok = measured.stream().filter(m -> Double.isFinite(m.seconds()) && m.seconds() > 0).toList();
        if (ok.isEmpty()) {
            return Double.NaN;
        }
        double medianRank = median(ok.stream().map(m -> (double) m.rank()).toList());
        List<Double> costs = new ArrayList<>();
        for (Measured m : ok) {
            if (m.rank() >= medianRank) {
                costs.add(m.seconds() / units(m.n(), m.rank(), cfg.d(), cfg.order(), cfg.dv()));
            }
        }
        return median(costs);
    }

    static double maxRelativeResidual(List<Crossover> crossovers, LineFit fit) {
        double worst = 0;
        for (Crossover c : crossovers) {
            if (Double.isFinite(c.bound())) {
                worst = Math.max(worst, Math.abs(fit.at(Math.cbrt(Math.log(c.n()))) - c.bound()) / c.bound());
            }
        }
        return worst;
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        return Timing.of(a).median();
    }

    private static void write(Report report, Config cfg, Path dir) {
        int k = cfg.order();
        Csv csv = new Csv("n", "bound", "radius", "degree", "rank", "basis", "poly_predicted_seconds",
                "exact_predicted_seconds", "poly_measured_seconds", "measured_degree", "measured_rank", "note");
        for (int n : cfg.sizes()) {
            double exact = report.exactConstant() * Math.pow(n, k);
            for (Need need : report.needs()) {
                double poly = report.polyConstant() * units(n, need.need().rank(), cfg.d(), k, cfg.dv());
                Measured m = report.measured().stream().filter(x -> x.n() == n && x.bound() == need.bound())
                        .findFirst().orElse(null);
                csv.row(n, need.bound(), need.radius(), need.need().degree(), need.need().rank(), need.need().basis(),
                        poly, exact, m == null ? Double.NaN : m.seconds(), m == null ? -1 : m.degree(),
                        m == null ? -1 : m.rank(), m == null ? "" : m.note());
            }
        }
        // Measured runs at sizes outside the crossover sizes still belong in the table.
        for (Measured m : report.measured()) {
            if (Arrays.stream(cfg.sizes()).noneMatch(n -> n == m.n())) {
                Need need = report.needs().stream().filter(x -> x.bound() == m.bound()).findFirst().orElseThrow();
                csv.row(m.n(), m.bound(), need.radius(), need.need().degree(), need.need().rank(), need.need().basis(),
                        report.polyConstant() * m.units(), report.exactConstant() * Math.pow(m.n(), k), m.seconds(),
                        m.degree(), m.rank(), m.note());
            }
        }
        csv.write(dir.resolve("threshold.csv"));
        Csv cross = new Csv("n", "log2_n", "cbrt_ln_n", "crossover_bound", "fit_bound", "exact_predicted_seconds");
        for (Crossover c : report.crossovers()) {
            double x = Math.cbrt(Math.log(c.n()));
            cross.row(c.n(), Integer.numberOfTrailingZeros(c.n()), x, c.bound(),
                    report.fit() == null ? Double.NaN : report.fit().at(x), c.exactSeconds());
        }
        cross.write(dir.resolve("threshold-crossover.csv"));

        double[] bs = report.needs().stream().mapToDouble(Need::bound).toArray();
        double[] degree = report.needs().stream().mapToDouble(x -> x.need().degree() < 0 ? Double.NaN : x.need().degree()).toArray();
        double[] rank = report.needs().stream().mapToDouble(x -> x.need().rank()).toArray();
        LinePlot need = new LinePlot(String.format(Locale.ROOT, "Need at eps = %s, d = %d, R = B^%d", cfg.epsilon(), cfg.d(), k),
                "entry bound B", "degree g, rank C(d+g, g)").logY()
                .series("rank r", bs, rank).series("degree g", bs, degree)
                .legend(LinePlot.Corner.TOP_LEFT).size(560, 440);

        LinePlot time = new LinePlot("Predicted time: poly (solid) vs exact (dashed)", "entry bound B", "seconds").logY()
                .legend(LinePlot.Corner.TOP_LEFT).size(720, 440);
        for (Crossover c : report.crossovers()) {
            int n = c.n();
            double[] poly = new double[bs.length];
            for (int i = 0; i < bs.length; i++) {
                poly[i] = report.polyConstant() * units(n, rank[i], cfg.d(), k, cfg.dv());
            }
            time.line("poly n=2^" + Integer.numberOfTrailingZeros(n), bs, poly);
        }
        for (Crossover c : report.crossovers()) {
            time.reference("", new double[] {bs[0], bs[bs.length - 1]}, new double[] {c.exactSeconds(), c.exactSeconds()});
        }
        for (int n : cfg.polyN()) {
            List<double[]> mp = new ArrayList<>();
            for (Measured m : report.measured()) {
                if (m.n() == n && Double.isFinite(m.seconds())) {
                    mp.add(new double[] {m.bound(), m.seconds()});
                }
            }
            if (!mp.isEmpty()) {
                time.points("measured n=2^" + Integer.numberOfTrailingZeros(n), mp.stream().mapToDouble(a -> a[0]).toArray(),
                        mp.stream().mapToDouble(a -> a[1]).toArray());
            }
        }

        double[] cx = report.crossovers().stream().filter(c -> Double.isFinite(c.bound())).mapToDouble(Crossover::bound).toArray();
        double[] cy = report.crossovers().stream().filter(c -> Double.isFinite(c.bound())).mapToDouble(Crossover::exactSeconds).toArray();
        if (cx.length > 0) {
            time.points("crossover B*(n)", cx, cy);
        }

        List<double[]> cp = new ArrayList<>();
        for (Crossover c : report.crossovers()) {
            if (Double.isFinite(c.bound())) {
                cp.add(new double[] {Math.cbrt(Math.log(c.n())), c.bound()});
            }
        }
        LinePlot fitPlot = new LinePlot("Crossover B*(n) against ln^(1/3) n", "ln^(1/3) n", "crossover B*")
                .legend(LinePlot.Corner.TOP_LEFT).size(560, 440);
        if (!cp.isEmpty()) {
            double[] x = cp.stream().mapToDouble(a -> a[0]).toArray();
            fitPlot.series("B*(n) measured model", x, cp.stream().mapToDouble(a -> a[1]).toArray());
            if (report.fit() != null) {
                double[] y = Arrays.stream(x).map(report.fit()::at).toArray();
                fitPlot.reference(String.format(Locale.ROOT, "%.2f ln^(1/3) n %+.2f (R^2 %.3f)", report.fit().slope(),
                        report.fit().intercept(), report.fit().r2()), x, y);
            }
        }
        Panels.writeRow(List.of(need, time, fitPlot), dir.resolve("threshold.png"));
    }
}
