package org.tensorattention.cli;

import java.nio.file.Path;
import java.util.Map;
import org.tensorattention.evidence.ErrorExperiment;
import org.tensorattention.evidence.HardnessExperiment;
import org.tensorattention.evidence.ThresholdExperiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tensor-attention experiment error|threshold|hardness}: the measurements behind the claims. */
@Command(name = "experiment", mixinStandardHelpOptions = true, synopsisSubcommandLabel = "EXPERIMENT",
        header = "the measurements behind the claims: error, threshold, hardness",
        description = "Runs one experiment; each writes CSV and PNG files into its --output folder.",
        subcommands = {HelpCommand.class, ExperimentCommand.Error.class, ExperimentCommand.Threshold.class,
            ExperimentCommand.Hardness.class})
final class ExperimentCommand extends Base {
    /** No experiment named: the list, and exit 2. */
    @Override
    int run() {
        err.println("tensor-attention experiment: name an experiment: error, threshold or hardness"
                + " (see tensor-attention experiment --help)");
        return 2;
    }

    /** {@code experiment error}. */
    @Command(name = "error", mixinStandardHelpOptions = true, defaultValueProvider = Error.Defaults.class,
            header = "measured poly error vs the certified bound eps * Vinf on many random problems",
            description = {
                "Runs the polynomial method on many small random problems (orders, masks, targets eps and entry "
                        + "bounds B cycled through) and compares max |O~ - O| against the exact kernel in float64 "
                        + "with the certified bound eps * Vinf. Zero violations are expected. Writes error.csv and "
                        + "error.png (measured error against the bound, log-log, with the line y = x)."})
    static final class Error extends Base {
        static final class Defaults extends EvidenceFlags.RecordDefaults {
            Defaults() {
                super(ErrorExperiment.Config.defaults(Path.of("out/experiment-error")), Map.of());
            }
        }


        @Mixin
        EvidenceFlags.Common common;

        @Option(names = "--runs", paramLabel = "N", description = "random problems (default: ${DEFAULT-VALUE})")
        int runs;

        @Option(names = "--n-min", paramLabel = "N", description = "smallest n (default: ${DEFAULT-VALUE})")
        int nMin;

        @Option(names = "--n-max", paramLabel = "N", description = "largest n (default: ${DEFAULT-VALUE})")
        int nMax;

        @Option(names = "--d", paramLabel = "D", description = "head width (default: ${DEFAULT-VALUE})")
        int d;

        @Option(names = "--dv", paramLabel = "DV", description = "value width (default: ${DEFAULT-VALUE})")
        int dv;

        @Option(names = "--orders", paramLabel = "K1,K2,..", split = ",", description = "orders (default: ${DEFAULT-VALUE})")
        int[] orders;

        @Option(names = "--epsilons", paramLabel = "E1,E2,..", split = ",", converter = Flags.Finite.class,
                description = "targets eps (default: ${DEFAULT-VALUE})")
        double[] epsilons;

        @Option(names = "--bounds", paramLabel = "B1,B2,..", split = ",", converter = Flags.Finite.class,
                description = "entry bounds B (default: ${DEFAULT-VALUE})")
        double[] bounds;

        @Option(names = "--masks", paramLabel = "M1,M2,..", split = ",", description = "full, causal, window (default: ${DEFAULT-VALUE})")
        String[] masks;




        @Override
        int run() {
            ErrorExperiment.Config cfg = new ErrorExperiment.Config(
                    common.quick(spec, "--runs") ? 60 : runs, nMin, nMax, d, dv, orders, epsilons, bounds,
                    masks, common.threads.count(), common.seed, common.output);
            ErrorExperiment.Report r = ErrorExperiment.run(cfg, out, err);
            return r.violations() == 0 ? 0 : 1;
        }
    }

    /** {@code experiment threshold}. */
    @Command(name = "threshold", mixinStandardHelpOptions = true, defaultValueProvider = Threshold.Defaults.class,
            header = "where poly stops paying as the entry bound B grows; crossover B*(n) against log^(1/3) n",
            description = {
                "Sweeps the entry bound B for n = 2^10..2^16: the degree and rank the polynomial method needs at "
                        + "R = B^k, its predicted time (cost model n r (d + k dv), constant measured on cheap poly "
                        + "runs, which are plotted) and the exact kernel's (measured at small n and extrapolated by "
                        + "n^k). Locates the crossover B*(n) for each n and fits B*(n) = a ln^(1/3) n + b. Writes "
                        + "threshold.csv, threshold-crossover.csv and threshold.png."})
    static final class Threshold extends Base {
        static final class Defaults extends EvidenceFlags.RecordDefaults {
            Defaults() {
                super(ThresholdExperiment.Config.defaults(Path.of("out/experiment-threshold")), Map.of("--dv", "-"));
            }
        }


        @Mixin
        EvidenceFlags.Common common;

        @Option(names = "--sizes", paramLabel = "N1,N2,..", split = ",", description = "n for the crossover (default: ${DEFAULT-VALUE})")
        int[] sizes;

        @Option(names = "--bounds", paramLabel = "B1,B2,..", split = ",", converter = Flags.Finite.class,
                description = "entry bounds swept, ascending (default: ${DEFAULT-VALUE})")
        double[] bounds;

        @Option(names = "--exact-n", paramLabel = "N1,N2,..", split = ",",
                description = "sizes where the exact kernel is measured (default: ${DEFAULT-VALUE})")
        int[] exactN;

        @Option(names = "--poly-n", paramLabel = "N1,N2,..", split = ",",
                description = "sizes where poly is measured when cheap (default: ${DEFAULT-VALUE})")
        int[] polyN;

        @Option(names = "--poly-seconds", paramLabel = "S", converter = Flags.Finite.class,
                description = "skip poly runs predicted longer than this (default: ${DEFAULT-VALUE})")
        double polySeconds;

        @Option(names = "--order", paramLabel = "K", description = "order k (default: ${DEFAULT-VALUE})")
        int order;

        @Option(names = "--d", paramLabel = "D", description = "head width (default: ${DEFAULT-VALUE})")
        int d;

        @Option(names = "--dv", paramLabel = "DV", description = "value width (default: d)")
        Integer dv;

        @Option(names = "--epsilon", paramLabel = "E", converter = Flags.Finite.class, description = "error target (default: ${DEFAULT-VALUE})")
        double epsilon;




        private boolean quick(String option) {
            return common.quick(spec, option);
        }

        @Override
        int run() {
            ThresholdExperiment.Config cfg = new ThresholdExperiment.Config(
                    quick("--sizes") ? new int[] {1 << 10, 1 << 12, 1 << 14} : sizes,
                    quick("--bounds") ? new double[] {0.5, 1, 1.5, 2, 2.5, 3} : bounds,
                    quick("--exact-n") ? new int[] {24, 32} : exactN,
                    quick("--poly-n") ? new int[] {64} : polyN,
                    order, d, dv == null ? d : dv, epsilon, quick("--poly-seconds") ? 0.05 : polySeconds,
                    common.threads.count(), common.seed, common.output);
            ThresholdExperiment.run(cfg, out, err);
            return 0;
        }
    }

    /** {@code experiment hardness}. */
    @Command(name = "hardness", mixinStandardHelpOptions = true, defaultValueProvider = Hardness.Defaults.class,
            header = "3-MaxIP decided by one exact attention call; entry bound and poly rank it takes",
            description = {
                "Random 3-MaxIP instances (n vectors per set in {0,1}^d, d = c log2 n), half with a planted triple, "
                        + "each decided by ONE exact order-3 attention call through the reduction of SPEC.md section 5 "
                        + "(lambda = 2 (2 ln n + 3), a dummy key pair, values = indicator of the dummy row; O[i] < 1/2 "
                        + "means a triple with a_i reaches t) and checked query by query against brute force. Reports "
                        + "the entry bound B the reduction needed and the degree and rank the polynomial method would "
                        + "need there for a constant accuracy, against n^2. Writes hardness.csv and hardness.png; "
                        + "exits 1 if any instance is decided wrongly."})
    static final class Hardness extends Base {
        static final class Defaults extends EvidenceFlags.RecordDefaults {
            Defaults() {
                super(HardnessExperiment.Config.defaults(Path.of("out/experiment-hardness")), Map.of());
            }
        }


        @Mixin
        EvidenceFlags.Common common;

        @Option(names = "--sizes", paramLabel = "N1,N2,..", split = ",", description = "n (default: ${DEFAULT-VALUE})")
        int[] sizes;

        @Option(names = "--instances", paramLabel = "M", description = "instances per n, alternately planted (default: ${DEFAULT-VALUE})")
        int instances;

        @Option(names = "--d-factor", paramLabel = "C", converter = Flags.Finite.class,
                description = "d = ceil(C log2 n) (default: ${DEFAULT-VALUE})")
        double dFactor;

        @Option(names = "--density", paramLabel = "P", converter = Flags.Finite.class,
                description = "probability of each bit (default: ${DEFAULT-VALUE})")
        double density;

        @Option(names = "--epsilon", paramLabel = "E", converter = Flags.Finite.class,
                description = "the constant accuracy the rank is computed for (default: ${DEFAULT-VALUE})")
        double epsilon;




        @Override
        int run() {
            HardnessExperiment.Config cfg = new HardnessExperiment.Config(
                    common.quick(spec, "--sizes") ? new int[] {8, 16} : sizes,
                    common.quick(spec, "--instances") ? 4 : instances, dFactor, density, epsilon,
                    common.threads.count(), common.seed, common.output);
            HardnessExperiment.Report r = HardnessExperiment.run(cfg, out, err);
            return r.wrong() == 0 ? 0 : 1;
        }
    }
}
