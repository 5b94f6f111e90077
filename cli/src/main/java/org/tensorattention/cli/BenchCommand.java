package org.tensorattention.cli;

import java.nio.file.Path;
import java.util.Map;
import org.tensorattention.core.DType;
import org.tensorattention.evidence.Bench;
import org.tensorattention.evidence.BenchConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tensor-attention bench}: scaling of the exact kernel and the polynomial method, against the FMA peak. */
@Command(name = "bench", mixinStandardHelpOptions = true, defaultValueProvider = BenchCommand.Defaults.class,
        header = "time exact and polynomial forward/backward over n, fit slopes, compare with the FMA peak",
        description = {
            "Times the exact kernel and the polynomial method on random order-k problems with entries in [-B, B], "
                    + "forward and backward, with warm-up and repetitions (median and best reported). Fits log t "
                    + "against log n (the slope is the measured cost exponent), measures the machine's FMA peak in "
                    + "the same run and reports each exact run's flop rate as a fraction of it, and times a PyTorch "
                    + "implementation of the same order-3 attention when python3 can import torch. Writes bench.csv, "
                    + "peak.csv and bench.png (log-log, slopes in the legend) under --output."})
final class BenchCommand extends Base {
    static final class Defaults extends EvidenceFlags.RecordDefaults {
        Defaults() {
            super(BenchConfig.defaults(Path.of("out/bench")), Map.of("--warmup", "warmups", "--dv", "-"));
        }
    }


    @Mixin
    EvidenceFlags.Common common;

    @Option(names = "--exact-n", paramLabel = "N1,N2,..", split = ",", description = "sizes for the exact kernel (default: ${DEFAULT-VALUE})")
    int[] exactN;

    @Option(names = "--poly-n", paramLabel = "N1,N2,..", split = ",", description = "sizes for the polynomial method (default: ${DEFAULT-VALUE})")
    int[] polyN;

    @Option(names = "--order", paramLabel = "K", description = "order k (default: ${DEFAULT-VALUE})")
    int order;

    @Option(names = "--d", paramLabel = "D", description = "head width (default: ${DEFAULT-VALUE})")
    int d;

    @Option(names = "--dv", paramLabel = "DV", description = "value width (default: d)")
    Integer dv;

    @Option(names = "--dtype", paramLabel = "float32|float64", converter = Flags.Dtype.class,
            description = "element type (default: ${DEFAULT-VALUE})")
    DType dtype;

    @Option(names = "--bound", paramLabel = "B", converter = Flags.Finite.class, description = "entries uniform in [-B, B] (default: ${DEFAULT-VALUE})")
    double bound;

    @Option(names = "--epsilon", paramLabel = "E", converter = Flags.Finite.class,
            description = "error target of the polynomial method (default: ${DEFAULT-VALUE})")
    double epsilon;

    @Mixin
    Flags.Masks masks;

    @Option(names = "--no-backward", description = "time the forward passes only")
    boolean noBackward;

    @Option(names = "--warmup", paramLabel = "W", description = "untimed runs per size (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--reps", paramLabel = "R", description = "most timed runs per size (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--point-seconds", paramLabel = "S", converter = Flags.Finite.class,
            description = "time budget per size; a size predicted past 4 S is skipped (default: ${DEFAULT-VALUE})")
    double pointSeconds;

    @Option(names = "--peak-seconds", paramLabel = "S", converter = Flags.Finite.class,
            description = "length of each FMA peak pass, 0 to skip (default: ${DEFAULT-VALUE})")
    double peakSeconds;

    @Option(names = "--no-torch", description = "do not try the PyTorch peer")
    boolean noTorch;




    @Override
    int run() {
        BenchConfig cfg = new BenchConfig(
                common.quick(spec, "--exact-n") ? new int[] {8, 12, 16} : exactN,
                common.quick(spec, "--poly-n") ? new int[] {128, 256} : polyN,
                order, d, dv == null ? d : dv, dtype, masks.mask(), bound, epsilon, !noBackward,
                common.quick(spec, "--warmup") ? 0 : warmup, common.quick(spec, "--reps") ? 1 : reps, pointSeconds,
                common.quick(spec, "--peak-seconds") ? 0.01 : peakSeconds,
                !noTorch && !common.quick, common.threads.count(), common.seed, common.output);
        new Bench(cfg, out, err).run();
        return 0;
    }
}
