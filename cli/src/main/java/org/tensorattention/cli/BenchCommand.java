package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.List;
import org.tensorattention.evidence.Bench;
import org.tensorattention.evidence.BenchConfig;

/** {@code tensor-attention bench}: scaling of the exact kernel and the polynomial method, against the FMA peak. */
final class BenchCommand implements Command {
    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String summary() {
        return "time exact and polynomial forward/backward over n, fit slopes, compare with the FMA peak";
    }

    @Override
    public String usage() {
        return """
                Times the exact kernel (n = 128..1024 by default) and the polynomial method (n = 2^12..2^20) on random
                order-k problems with entries in [-B, B], forward and backward, with warm-up and repetitions (median
                and best reported). Fits log t against log n (the slope is the measured cost exponent), measures the
                machine's FMA peak in the same run and reports each exact run's flop rate as a fraction of it, and
                times a PyTorch implementation of the same order-3 attention when python3 can import torch.
                Writes bench.csv, peak.csv and bench.png (log-log, slopes in the legend) under --output.""";
    }

    @Override
    public List<Args.Option> options() {
        return List.of(
                Args.Option.value("output", "DIR", "folder for the CSV and PNG files (default out/bench)"),
                Args.Option.value("exact-n", "N1,N2,..", "sizes for the exact kernel (default 128,192,256,384,512,768,1024)"),
                Args.Option.value("poly-n", "N1,N2,..", "sizes for the polynomial method (default 4096,8192,..,1048576)"),
                Args.Option.value("order", "K", "order k (default 3)"),
                Args.Option.value("d", "D", "head width (default 8)"),
                Args.Option.value("dv", "DV", "value width (default d)"),
                Args.Option.value("dtype", "float32|float64", "element type (default float32)"),
                Args.Option.value("bound", "B", "entries uniform in [-B, B] (default 1)"),
                Args.Option.value("epsilon", "E", "error target of the polynomial method (default 1e-3)"),
                Args.Option.flag("causal", "causal mask"),
                Args.Option.value("window", "W1,W2,..", "sliding window per key factor"),
                Args.Option.flag("no-backward", "time the forward passes only"),
                Args.Option.value("warmup", "W", "untimed runs per size (default 1)"),
                Args.Option.value("reps", "R", "most timed runs per size (default 3)"),
                Args.Option.value("point-seconds", "S", "time budget per size; a size predicted past 4 S is skipped (default 6)"),
                Args.Option.value("peak-seconds", "S", "length of each FMA peak pass, 0 to skip (default 0.25)"),
                Args.Option.flag("no-torch", "do not try the PyTorch peer"),
                Args.Option.flag("quick", "tiny sizes, one repetition (a smoke test)"),
                Args.Option.value("seed", "S", "random seed (default 1)"),
                Args.THREADS);
    }

    @Override
    public int run(Args a, PrintStream out, PrintStream err) {
        boolean quick = a.has("quick");
        BenchConfig def = BenchConfig.defaults(EvidenceFlags.output(a, "out/bench"));
        int d = a.integer("d", def.d());
        try {
            BenchConfig cfg = new BenchConfig(
                    a.integers("exact-n", quick ? new int[] {8, 12, 16} : def.exactN()),
                    a.integers("poly-n", quick ? new int[] {128, 256} : def.polyN()),
                    a.integer("order", def.order()), d, a.integer("dv", d),
                    EvidenceFlags.dtype(a, "bench", "float32"), EvidenceFlags.mask(a),
                    a.number("bound", def.bound()), a.number("epsilon", def.epsilon()), !a.has("no-backward"),
                    a.integer("warmup", quick ? 0 : def.warmups()), a.integer("reps", quick ? 1 : def.reps()),
                    a.number("point-seconds", def.pointSeconds()), a.number("peak-seconds", quick ? 0.01 : def.peakSeconds()),
                    !a.has("no-torch") && !quick, EvidenceFlags.threads(a, "bench"), a.integer("seed", 1),
                    def.output());
            new Bench(cfg, out, err).run();
        } catch (IllegalArgumentException e) {
            throw new UsageException("bench: " + e.getMessage());
        }
        return 0;
    }
}
