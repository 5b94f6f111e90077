package org.tensorattention.evidence;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.io.Progress;
import org.tensorattention.plot.LinePlot;
import org.tensorattention.plot.Panels;

/**
 * {@code tensor-attention experiment hardness}: random 3-MaxIP instances with and without a planted triple,
 * each decided by ONE exact order-3 attention call through the reduction of SPEC.md section 5 and checked
 * query by query against brute force. For each instance it reports the entry bound B the reduction needed
 * (lambda^{1/3}, about log^{1/3} n) and the degree and rank the polynomial method would need there for a
 * constant accuracy, next to n^2 (the size of the key-pair space that rank would have to beat). Writes
 * hardness.csv and hardness.png.
 */
public final class HardnessExperiment {

    /**
     * @param sizes     n per instance group
     * @param instances instances per n (alternately planted and not)
     * @param dFactor   d = ceil(dFactor * log2 n)
     * @param density   probability of each bit
     * @param epsilon   the constant accuracy the rank is computed for (max |O~ - O| &lt;= epsilon, Vinf = 1 here)
     */
    public record Config(int[] sizes, int instances, double dFactor, double density, double epsilon, int threads,
                         long seed, Path output) {
        public Config {
            sizes = sizes.clone();
            for (int n : sizes) {
                if (n < 2) {
                    throw new IllegalArgumentException("3-MaxIP sizes must be at least 2, got " + n);
                }
            }
            if (instances < 1) {
                throw new IllegalArgumentException("instances per size must be at least 1, got " + instances);
            }
            if (!(dFactor > 0) || !(density > 0 && density < 1) || !(epsilon > 0 && epsilon < 1)) {
                throw new IllegalArgumentException("d factor must be positive, density and epsilon in (0, 1)");
            }
        }

        public static Config defaults(Path output) {
            return new Config(new int[] {16, 32, 64, 128, 256, 512}, 20, 2, 0.5, 0.25, 0, 1, output);
        }

        int d(int n) {
            return Math.min(63, Math.max(3, (int) Math.ceil(dFactor * Math.log(n) / Math.log(2))));
        }
    }

    /** One decided instance. */
    public record Result(int n, int d, int t, boolean planted, boolean truth, boolean decided, int queriesWrong,
                         double lambda, double entryBound, int extra, double minNo, double maxYes, double radius,
                         RankNeeded.Need need, double maxScore, RankNeeded.Need needAtMaxScore, double exactSeconds,
                         double bruteSeconds) {
        public boolean correct() {
            return queriesWrong == 0 && truth == decided;
        }
    }

    public record Report(List<Result> results, int wrong) {
    }

    private HardnessExperiment() {
    }

    public static Report run(Config cfg, PrintStream out, PrintStream progress) {
        Path dir = Outputs.folder(cfg.output());
        out.println("experiment hardness: " + Machine.describe());
        int threads = AttentionOptions.defaults().withThreads(cfg.threads()).threadCount();
        double total = 0;
        for (int n : cfg.sizes()) {
            total += Math.pow(n, 3) * cfg.instances();
        }
        Progress bar = new Progress("hardness", total, progress);
        List<Result> results = new ArrayList<>();
        int wrong = 0;
        for (int n : cfg.sizes()) {
            for (int s = 0; s < cfg.instances(); s++) {
                bar.note("n=" + n + " instance " + (s + 1) + "/" + cfg.instances());
                Result r = one(cfg, n, s, threads);
                results.add(r);
                if (!r.correct()) {
                    wrong++;
                }
                bar.advance(Math.pow(n, 3), "n=" + n);
            }
        }
        bar.finish("done");
        Report report = new Report(results, wrong);
        write(report, cfg, dir);
        for (int n : cfg.sizes()) {
            Result first = results.stream().filter(r -> r.n() == n).findFirst().orElseThrow();
            long right = results.stream().filter(r -> r.n() == n && r.correct()).count();
            double minNo = results.stream().filter(r -> r.n() == n).mapToDouble(Result::minNo)
                    .filter(Double::isFinite).min().orElse(Double.NaN);
            double maxYes = results.stream().filter(r -> r.n() == n).mapToDouble(Result::maxYes)
                    .filter(Double::isFinite).max().orElse(Double.NaN);
            double rank = minRank(results, n, false);
            double rankAtMax = minRank(results, n, true);
            out.printf(Locale.ROOT, "experiment hardness: n = %4d, d = %2d: %d/%d instances decided right; B = lambda^(1/3) = %.3f; "
                            + "O[i] >= %.3f on no-rows, <= %.2e on yes-rows; poly rank for eps = %s at least %.3g = %.3g n^2 "
                            + "(%.3g at its radius bound)%n",
                    n, first.d(), right, cfg.instances(), first.entryBound(), minNo, maxYes, cfg.epsilon(), rankAtMax,
                    rankAtMax / ((double) n * n), rank);
        }
        out.printf(Locale.ROOT, "experiment hardness: %d instances, %d decided wrongly%n", results.size(), wrong);
        out.println("experiment hardness: wrote " + dir.resolve("hardness.csv") + ", " + dir.resolve("hardness.png"));
        return report;
    }

    /** The smallest finite rank over the instances of size n (at the true max score, or at the radius bound). */
    static double minRank(List<Result> results, int n, boolean atMaxScore) {
        return results.stream().filter(r -> r.n() == n)
                .mapToDouble(r -> atMaxScore ? r.needAtMaxScore().rank() : r.need().rank())
                .filter(Double::isFinite).min().orElse(Double.NaN);
    }

    static Result one(Config cfg, int n, int s, int threads) {
        SplittableRandom rnd = new SplittableRandom(cfg.seed() * 1_000_003L + n * 7919L + s);
        boolean plant = s % 2 == 0;
        MaxIpInstance inst = MaxIpInstance.random(rnd, n, cfg.d(n), cfg.density(), plant);
        long t0 = System.nanoTime();
        boolean[] truthRows = inst.reachesPerQuery();
        double brute = (System.nanoTime() - t0) * 1e-9;
        MaxIpReduction red = MaxIpReduction.of(inst);
        AttentionResult res = red.attend(threads);
        boolean[] decidedRows = MaxIpReduction.decide(res.output());
        int wrongRows = 0;
        boolean truth = false;
        boolean decided = false;
        double minNo = Double.POSITIVE_INFINITY;
        double maxYes = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            truth |= truthRows[i];
            decided |= decidedRows[i];
            if (truthRows[i] != decidedRows[i]) {
                wrongRows++;
            }
            double o = res.output().get(i);
            if (truthRows[i]) {
                maxYes = Math.max(maxYes, o);
            } else {
                minNo = Math.min(minNo, o);
            }
        }
        double radius = red.radius();
        int width = red.q().dim(1);
        RankNeeded.Need need = RankNeeded.forAccuracy(radius, cfg.epsilon(), width);
        // The largest score actually present: the best triple or the dummy pair. No radius can be smaller.
        int best = 0;
        for (int b : inst.bestPerQuery()) {
            best = Math.max(best, b);
        }
        double maxScore = red.lambda() * Math.max(best, inst.t() - 0.5);
        RankNeeded.Need atMax = RankNeeded.forAccuracy(maxScore, cfg.epsilon(), width);
        return new Result(n, inst.d(), inst.t(), plant, truth, decided, wrongRows, red.lambda(), red.entryBound(),
                red.extra(), minNo == Double.POSITIVE_INFINITY ? Double.NaN : minNo,
                maxYes == Double.NEGATIVE_INFINITY ? Double.NaN : maxYes, radius, need, maxScore, atMax, res.seconds(), brute);
    }

    private static void write(Report report, Config cfg, Path dir) {
        Csv csv = new Csv("n", "d", "t", "planted", "truth", "decided", "queries_wrong", "lambda", "entry_bound_B",
                "cbrt_log_n", "extra_coords", "width", "min_O_no_rows", "max_O_yes_rows", "epsilon", "radius_R", "degree_at_R", "rank_at_R",
                "max_score", "degree_at_max_score", "rank_at_max_score", "rank_at_max_score_over_n2", "exact_seconds",
                "brute_seconds");
        for (Result r : report.results()) {
            csv.row(r.n(), r.d(), r.t(), r.planted() ? 1 : 0, r.truth() ? 1 : 0, r.decided() ? 1 : 0,
                    r.queriesWrong(), r.lambda(), r.entryBound(), Math.cbrt(Math.log(r.n())), r.extra(), r.d() + r.extra(),
                    r.minNo(), r.maxYes(), cfg.epsilon(), r.radius(), r.need().degree(), r.need().rank(), r.maxScore(),
                    r.needAtMaxScore().degree(), r.needAtMaxScore().rank(),
                    r.needAtMaxScore().rank() / ((double) r.n() * r.n()), r.exactSeconds(), r.bruteSeconds());
        }
        csv.write(dir.resolve("hardness.csv"));

        int m = cfg.sizes().length;
        double[] ns = new double[m];
        double[] bNeeded = new double[m];
        double[] cbrtLog = new double[m];
        double[] rank = new double[m];
        double[] rankAtMax = new double[m];
        double[] n2 = new double[m];
        double[] minNo = new double[m];
        double[] maxYes = new double[m];
        for (int i = 0; i < m; i++) {
            int n = cfg.sizes()[i];
            ns[i] = n;
            n2[i] = (double) n * n;
            double maxB = 0;
            double lo = Double.POSITIVE_INFINITY;
            double hi = 0;
            for (Result r : report.results()) {
                if (r.n() == n) {
                    maxB = Math.max(maxB, r.entryBound());
                    if (Double.isFinite(r.minNo())) {
                        lo = Math.min(lo, r.minNo());
                    }
                    if (Double.isFinite(r.maxYes())) {
                        hi = Math.max(hi, r.maxYes());
                    }
                }
            }
            bNeeded[i] = maxB;
            rank[i] = minRank(report.results(), n, false);
            rankAtMax[i] = minRank(report.results(), n, true);
            minNo[i] = lo == Double.POSITIVE_INFINITY ? Double.NaN : lo;
            maxYes[i] = hi == 0 ? Double.NaN : hi;
            cbrtLog[i] = Math.cbrt(4 * Math.log(n));
        }
        LinePlot bPlot = new LinePlot("Entry bound the reduction needs", "n", "B").logX()
                .series("B = lambda^(1/3)", ns, bNeeded)
                .reference("(4 ln n)^(1/3)", ns, cbrtLog)
                .legend(LinePlot.Corner.TOP_LEFT).size(560, 420);
        LinePlot rPlot = new LinePlot(String.format(Locale.ROOT, "Poly rank for eps = %s there", cfg.epsilon()), "n",
                "rank C(d+g, g)").logLog()
                .series("at the radius bound R", ns, rank)
                .series("at the largest score", ns, rankAtMax)
                .reference("n^2", ns, n2)
                .legend(LinePlot.Corner.TOP_LEFT).size(560, 420);
        LinePlot oPlot = new LinePlot("One attention call decides", "n", "O[i] (weight of the dummy pair)").logX()
                .yRange(0, 1)
                .series("min O[i], no triple", ns, minNo)
                .series("max O[i], a triple reaches t", ns, maxYes)
                .horizontal("threshold 1/2", 0.5)
                .legend(LinePlot.Corner.BOTTOM_LEFT).size(560, 420);
        Panels.writeRow(List.of(bPlot, rPlot, oPlot), dir.resolve("hardness.png"));
    }
}
