package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.List;
import org.tensorattention.evidence.ErrorExperiment;
import org.tensorattention.evidence.HardnessExperiment;
import org.tensorattention.evidence.ThresholdExperiment;

/** {@code tensor-attention experiment error|threshold|hardness}: the measurements behind the claims. */
final class ExperimentCommand {
    private ExperimentCommand() {
    }

    private static final Args.Option OUTPUT_HELP = Args.Option.value("output", "DIR", "folder for the CSV and PNG files");

    private static Args.Option output(String fallback) {
        return Args.Option.value("output", "DIR", OUTPUT_HELP.help() + " (default " + fallback + ")");
    }

    /** {@code experiment error}. */
    static final class Error implements Command {
        @Override
        public String name() {
            return "experiment error";
        }

        @Override
        public String summary() {
            return "measured poly error vs the certified bound eps * Vinf on many random problems";
        }

        @Override
        public String usage() {
            return """
                    Runs the polynomial method on many small random problems (orders, masks, targets eps and entry bounds B
                    cycled through) and compares max |O~ - O| against the exact kernel in float64 with the certified bound
                    eps * Vinf. Zero violations are expected. Writes error.csv and error.png (measured error against the
                    bound, log-log, with the line y = x).""";
        }

        @Override
        public List<Args.Option> options() {
            return List.of(output("out/experiment-error"),
                    Args.Option.value("runs", "N", "random problems (default 1200)"),
                    Args.Option.value("n-min", "N", "smallest n (default 4)"),
                    Args.Option.value("n-max", "N", "largest n (default 24)"),
                    Args.Option.value("d", "D", "head width (default 4)"),
                    Args.Option.value("dv", "DV", "value width (default 3)"),
                    Args.Option.value("orders", "K1,K2,..", "orders (default 2,3,4)"),
                    Args.Option.value("epsilons", "E1,E2,..", "targets eps (default 1e-1,1e-2,1e-3,1e-4,1e-6)"),
                    Args.Option.value("bounds", "B1,B2,..", "entry bounds B (default 0.25,0.5,1,1.5,2)"),
                    Args.Option.value("masks", "M1,M2,..", "full, causal, window (default all three)"),
                    Args.Option.flag("quick", "60 runs (a smoke test)"),
                    Args.Option.value("seed", "S", "random seed (default 1)"),
                    Args.THREADS);
        }

        @Override
        public int run(Args a, PrintStream out, PrintStream err) {
            ErrorExperiment.Config def = ErrorExperiment.Config.defaults(EvidenceFlags.output(a, "out/experiment-error"));
            try {
                ErrorExperiment.Config cfg = new ErrorExperiment.Config(
                        a.integer("runs", a.has("quick") ? 60 : def.runs()), a.integer("n-min", def.nMin()),
                        a.integer("n-max", def.nMax()), a.integer("d", def.d()), a.integer("dv", def.dv()),
                        a.integers("orders", def.orders()), EvidenceFlags.numbers(a, name(), "epsilons", def.epsilons()),
                        EvidenceFlags.numbers(a, name(), "bounds", def.bounds()),
                        a.has("masks") ? a.required("masks").split(",") : def.masks(),
                        EvidenceFlags.threads(a, name()), a.integer("seed", 1), def.output());
                ErrorExperiment.Report r = ErrorExperiment.run(cfg, out, err);
                return r.violations() == 0 ? 0 : 1;
            } catch (IllegalArgumentException e) {
                throw new UsageException(name() + ": " + e.getMessage());
            }
        }
    }

    /** {@code experiment threshold}. */
    static final class Threshold implements Command {
        @Override
        public String name() {
            return "experiment threshold";
        }

        @Override
        public String summary() {
            return "where poly stops paying as the entry bound B grows; crossover B*(n) against log^(1/3) n";
        }

        @Override
        public String usage() {
            return """
                    Sweeps the entry bound B for n = 2^10..2^16: the degree and rank the polynomial method needs at R = B^k,
                    its predicted time (cost model n r (d + k dv), constant measured on cheap poly runs, which are plotted)
                    and the exact kernel's (measured at small n and extrapolated by n^k). Locates the crossover B*(n) for
                    each n and fits B*(n) = a ln^(1/3) n + b. Writes threshold.csv, threshold-crossover.csv and
                    threshold.png.""";
        }

        @Override
        public List<Args.Option> options() {
            return List.of(output("out/experiment-threshold"),
                    Args.Option.value("sizes", "N1,N2,..", "n for the crossover (default 2^10..2^16)"),
                    Args.Option.value("bounds", "B1,B2,..", "entry bounds swept, ascending (default 0.5..3.25 step 0.125)"),
                    Args.Option.value("exact-n", "N1,N2,..", "sizes where the exact kernel is measured (default 384,512,768)"),
                    Args.Option.value("poly-n", "N1,N2,..", "sizes where poly is measured when cheap (default 1024,4096)"),
                    Args.Option.value("poly-seconds", "S", "skip poly runs predicted longer than this (default 1.5)"),
                    Args.Option.value("order", "K", "order k (default 3)"),
                    Args.Option.value("d", "D", "head width (default 8)"),
                    Args.Option.value("dv", "DV", "value width (default d)"),
                    Args.Option.value("epsilon", "E", "error target (default 1e-3)"),
                    Args.Option.flag("quick", "few sizes and bounds (a smoke test)"),
                    Args.Option.value("seed", "S", "random seed (default 1)"),
                    Args.THREADS);
        }

        @Override
        public int run(Args a, PrintStream out, PrintStream err) {
            boolean quick = a.has("quick");
            ThresholdExperiment.Config def = ThresholdExperiment.Config.defaults(
                    EvidenceFlags.output(a, "out/experiment-threshold"));
            int d = a.integer("d", def.d());
            try {
                ThresholdExperiment.Config cfg = new ThresholdExperiment.Config(
                        a.integers("sizes", quick ? new int[] {1 << 10, 1 << 12, 1 << 14} : def.sizes()),
                        EvidenceFlags.numbers(a, name(), "bounds", quick ? new double[] {0.5, 1, 1.5, 2, 2.5, 3} : def.bounds()),
                        a.integers("exact-n", quick ? new int[] {24, 32} : def.exactN()),
                        a.integers("poly-n", quick ? new int[] {64} : def.polyN()),
                        a.integer("order", def.order()), d, a.integer("dv", d), a.number("epsilon", def.epsilon()),
                        a.number("poly-seconds", quick ? 0.05 : def.polySeconds()), EvidenceFlags.threads(a, name()),
                        a.integer("seed", 1), def.output());
                ThresholdExperiment.run(cfg, out, err);
                return 0;
            } catch (IllegalArgumentException e) {
                throw new UsageException(name() + ": " + e.getMessage());
            }
        }
    }

    /** {@code experiment hardness}. */
    static final class Hardness implements Command {
        @Override
        public String name() {
            return "experiment hardness";
        }

        @Override
        public String summary() {
            return "3-MaxIP decided by one exact attention call; entry bound and poly rank it takes";
        }

        @Override
        public String usage() {
            return """
                    Random 3-MaxIP instances (n vectors per set in {0,1}^d, d = c log2 n), half with a planted triple, each
                    decided by ONE exact order-3 attention call through the reduction of SPEC.md section 5 (lambda =
                    2 (2 ln n + 3), a dummy key pair, values = indicator of the dummy row; O[i] < 1/2 means a triple with
                    a_i reaches t) and checked query by query against brute force. Reports the entry bound B the
                    reduction needed and the degree and rank the polynomial method would need there for a constant
                    accuracy, against n^2. Writes hardness.csv and hardness.png; exits 1 if any instance is decided
                    wrongly.""";
        }

        @Override
        public List<Args.Option> options() {
            return List.of(output("out/experiment-hardness"),
                    Args.Option.value("sizes", "N1,N2,..", "n (default 16,32,64,128,256,512)"),
                    Args.Option.value("instances", "M", "instances per n, alternately planted (default 20)"),
                    Args.Option.value("d-factor", "C", "d = ceil(C log2 n) (default 2)"),
                    Args.Option.value("density", "P", "probability of each bit (default 0.5)"),
                    Args.Option.value("epsilon", "E", "the constant accuracy the rank is computed for (default 0.25)"),
                    Args.Option.flag("quick", "small sizes, few instances (a smoke test)"),
                    Args.Option.value("seed", "S", "random seed (default 1)"),
                    Args.THREADS);
        }

        @Override
        public int run(Args a, PrintStream out, PrintStream err) {
            boolean quick = a.has("quick");
            HardnessExperiment.Config def = HardnessExperiment.Config.defaults(
                    EvidenceFlags.output(a, "out/experiment-hardness"));
            try {
                HardnessExperiment.Config cfg = new HardnessExperiment.Config(
                        a.integers("sizes", quick ? new int[] {8, 16} : def.sizes()),
                        a.integer("instances", quick ? 4 : def.instances()), a.number("d-factor", def.dFactor()),
                        a.number("density", def.density()), a.number("epsilon", def.epsilon()),
                        EvidenceFlags.threads(a, name()), a.integer("seed", 1), def.output());
                HardnessExperiment.Report r = HardnessExperiment.run(cfg, out, err);
                return r.wrong() == 0 ? 0 : 1;
            } catch (IllegalArgumentException e) {
                throw new UsageException(name() + ": " + e.getMessage());
            }
        }
    }
}
