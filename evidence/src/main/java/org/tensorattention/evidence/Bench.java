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
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Progress;
import org.tensorattention.plot.LinePlot;

/**
 * {@code tensor-attention bench}: times the exact kernel and the polynomial method, forward and backward, over
 * a range of n; fits the exponent of each (least squares on log t against log n); measures the FMA peak in
 * the same run (at the start and at the end, the larger counting) and reports each exact kernel's flop rate as a
 * fraction of it; optionally times a PyTorch
 * implementation of the same order-3 attention. Writes bench.csv, peak.csv and bench.png.
 *
 * <p>Inputs are uniform in [-B, B] with the first row of Q and of each key set to B, so the score radius is
 * the worst case B^k at every n and the polynomial method keeps one degree and rank along the curve.
 */
public final class Bench {
    /** One measured (or skipped) point. */
    public record Row(String method, String pass, int n, Timing timing, double flops, int degree, long rank,
                      String note) {
        double seconds() {
            return timing == null ? Double.NaN : timing.best();
        }
    }

    /** One series' fitted exponent. */
    public record Fit(String method, String pass, LineFit fit) {
    }

    /** Everything measured. */
    public record Report(List<Row> rows, List<Fit> fits, FmaPeak.Result peak, String torchNote) {
    }

    private final BenchConfig cfg;
    private final PrintStream out;
    private final PrintStream progress;

    public Bench(BenchConfig cfg, PrintStream out, PrintStream progress) {
        this.cfg = cfg;
        this.out = out;
        this.progress = progress;
    }

    public Report run() {
        Path dir = Outputs.folder(cfg.output());
        AttentionOptions base = AttentionOptions.defaults().withMask(cfg.mask()).withEpsilon(cfg.epsilon())
                .withThreads(cfg.threads());
        int threads = base.threadCount();
        out.println("bench: " + Machine.describe());
        out.printf(Locale.ROOT, "bench: order %d, d = %d, dv = %d, %s, %s mask, entries in [-%s, %s], eps = %s, %d threads%n",
                cfg.order(), cfg.d(), cfg.dv(), cfg.dtype().numpyName(), cfg.mask(), cfg.bound(), cfg.bound(),
                cfg.epsilon(), threads);

        FmaPeak.Result peak = null;
        if (cfg.peakSeconds() > 0) {
            peak = FmaPeak.measure(threads, cfg.peakSeconds());
            out.printf(Locale.ROOT, "bench: FMA peak on %d threads: %.1f GFLOP/s float (%d lanes), %.1f GFLOP/s double (%d lanes)%n",
                    threads, peak.floatGflops(), peak.floatLanes(), peak.doubleGflops(), peak.doubleLanes());
        }

        int passes = cfg.backward() ? 2 : 1;
        boolean torch = cfg.torch() && cfg.order() == 3 && cfg.exactN().length > 0;
        int steps = passes * (cfg.exactN().length + cfg.polyN().length) + (torch ? 1 : 0);
        Progress bar = steps > 0 ? new Progress("bench", steps, progress) : null;
        List<Row> rows = new ArrayList<>();
        series(rows, Method.EXACT, "forward", cfg.exactN(), base, bar);
        if (cfg.backward()) {
            series(rows, Method.EXACT, "backward", cfg.exactN(), base, bar);
        }
        series(rows, Method.POLY, "forward", cfg.polyN(), base, bar);
        if (cfg.backward()) {
            series(rows, Method.POLY, "backward", cfg.polyN(), base, bar);
        }
        String torchNote = "not requested";
        if (torch) {
            if (bar != null) {
                bar.note("pytorch peer");
            }
            TorchPeer.Outcome t = TorchPeer.time(cfg.exactN(), cfg.d(), cfg.dv(), cfg.dtype(), cfg.bound(),
                    cfg.reps(), threads, cfg.pointSeconds() * cfg.exactN().length * 4 + 60);
            torchNote = t.note();
            for (int i = 0; i < t.n().length; i++) {
                double flops = 2.0 * (cfg.d() + cfg.dv()) * Math.pow(t.n()[i], 3);
                rows.add(new Row("pytorch", "forward", t.n()[i], new Timing(t.median()[i], t.best()[i], t.runs()),
                        flops, -1, -1, ""));
            }
            if (bar != null) {
                bar.step("pytorch: " + torchNote);
            }
        }
        if (bar != null) {
            bar.finish("done");
        }
        if (peak != null) {
            // Measured again at the end: on a shared machine the larger of the two is the fairer ceiling.
            FmaPeak.Result again = FmaPeak.measure(threads, cfg.peakSeconds());
            out.printf(Locale.ROOT, "bench: FMA peak again at the end: %.1f GFLOP/s float, %.1f GFLOP/s double; the larger of the two is used%n",
                    again.floatGflops(), again.doubleGflops());
            peak = new FmaPeak.Result(Math.max(peak.floatGflops(), again.floatGflops()),
                    Math.max(peak.doubleGflops(), again.doubleGflops()), threads, peak.floatLanes(), peak.doubleLanes());
        }
        if (cfg.torch() && cfg.order() != 3) {
            torchNote = "skipped: the PyTorch peer implements order 3 only";
        }
        out.println("bench: PyTorch peer: " + torchNote);

        List<Fit> fits = fits(rows);
        write(rows, fits, peak, dir);
        for (Fit f : fits) {
            out.printf(Locale.ROOT, "bench: %s %s: t ~ n^%.2f (R^2 = %.3f, %d points)%n", f.method(), f.pass(),
                    f.fit().slope(), f.fit().r2(), f.fit().points());
        }
        out.println("bench: wrote " + dir.resolve("bench.csv") + ", " + dir.resolve("peak.csv") + ", "
                + dir.resolve("bench.png"));
        return new Report(rows, fits, peak, torchNote);
    }

    /** Times one method and pass over the sizes, skipping sizes predicted to blow the budget. */
    private void series(List<Row> rows, Method method, String pass, int[] sizes, AttentionOptions base, Progress bar) {
        AttentionOptions opt = base.withMethod(method);
        double exponent = method == Method.EXACT ? cfg.order() : 1;
        double lastN = 0;
        double lastT = 0;
        String stop = null;
        String label = method.label() + " " + pass;
        if (sizes.length > 0 && cfg.warmups() > 0) {
            if (bar != null) {
                bar.note(label + " warm-up");
            }
            warmUp(method, pass, sizes[0], opt);
        }
        for (int n : sizes) {
            String note = stop;
            if (stop == null && lastT > 0) {
                double predicted = lastT * Math.pow(n / lastN, exponent);
                if (predicted > 4 * cfg.pointSeconds()) {
                    note = String.format(Locale.ROOT, "skipped: predicted %.3g s per run passes the budget of %.3g s",
                            predicted, 4 * cfg.pointSeconds());
                    stop = "skipped: n = " + n + " was already predicted past the budget";
                }
            }
            if (stop != null) {
                rows.add(new Row(method.label(), pass, n, null, Double.NaN, -1, -1, note));
                if (bar != null) {
                    bar.step(label + " n=" + n + " skipped");
                }
                continue;
            }
            if (bar != null) {
                bar.note(label + " n=" + n);
            }
            try {
                Row r = measure(method, pass, n, opt);
                rows.add(r);
                lastN = n;
                lastT = r.seconds();
            } catch (UnsupportedOperationException | IllegalArgumentException | OutOfMemoryError e) {
                stop = "not run: " + oneLine(e.getMessage());
                rows.add(new Row(method.label(), pass, n, null, Double.NaN, -1, -1, stop));
            }
            if (bar != null) {
                bar.step(label + " n=" + n);
            }
        }
    }

    /**
     * Untimed calls at the smallest size (at least 12, and for at least 2 s, at most 100), so the JIT has
     * compiled the kernel first: a cold Vector API kernel runs tens of times slower for about a dozen calls.
     */
    private void warmUp(Method method, String pass, int n, AttentionOptions opt) {
        try {
            Problems p = Problems.random(new SplittableRandom(cfg.seed()), cfg.order(), n, cfg.d(), cfg.dv(),
                    cfg.bound(), cfg.dtype());
            Tensor dout = Problems.uniform(new SplittableRandom(cfg.seed() + 1), n, cfg.dv(), 1, cfg.dtype());
            long t0 = System.nanoTime();
            for (int i = 0; i < 12 || System.nanoTime() - t0 < 2_000_000_000L && i < 100; i++) {
                AttentionResult f = TensorAttention.forward(p.q(), p.keys(), p.values(), opt);
                if (pass.equals("backward")) {
                    TensorAttention.backward(p.q(), p.keys(), p.values(), dout, f, opt);
                }
            }
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            // The measurement that follows reports it.
        }
    }

    private Row measure(Method method, String pass, int n, AttentionOptions opt) {
        SplittableRandom rnd = new SplittableRandom(cfg.seed() * 1_000_003L + n);
        Problems p = Problems.random(rnd, cfg.order(), n, cfg.d(), cfg.dv(), cfg.bound(), cfg.dtype())
                .withWorstCaseRadius(cfg.bound());
        AttentionResult fwd = TensorAttention.forward(p.q(), p.keys(), p.values(), opt);
        int degree = fwd.poly() == null ? -1 : fwd.poly().degree();
        long rank = fwd.poly() == null ? -1 : fwd.poly().rank();
        if (pass.equals("forward")) {
            // The call above was the first warm-up.
            Timing t = Timing.measure(() -> TensorAttention.forward(p.q(), p.keys(), p.values(), opt).seconds(),
                    Math.max(0, cfg.warmups() - 1), cfg.reps(), cfg.pointSeconds());
            // (The first call at a new size is not timed: it may pay for heap growth.)
            return new Row(method.label(), pass, n, t, fwd.flops(), degree, rank, "");
        }
        Tensor dout = Problems.uniform(rnd, n, cfg.dv(), 1, cfg.dtype());
        double[] flops = {Double.NaN};
        Timing t = Timing.measure(() -> {
            GradientResult g = TensorAttention.backward(p.q(), p.keys(), p.values(), dout, fwd, opt);
            flops[0] = g.flops();
            return g.seconds();
        }, cfg.warmups(), cfg.reps(), cfg.pointSeconds());
        return new Row(method.label(), pass, n, t, flops[0], degree, rank, "");
    }

    static List<Fit> fits(List<Row> rows) {
        List<Fit> fits = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        for (Row r : rows) {
            String key = r.method() + "/" + r.pass();
            if (seen.contains(key)) {
                continue;
            }
            seen.add(key);
            List<double[]> pts = new ArrayList<>();
            for (Row s : rows) {
                if (s.method().equals(r.method()) && s.pass().equals(r.pass()) && s.timing() != null) {
                    pts.add(new double[] {s.n(), s.seconds()});
                }
            }
            if (pts.size() >= 2) {
                double[] x = pts.stream().mapToDouble(a -> a[0]).toArray();
                double[] y = pts.stream().mapToDouble(a -> a[1]).toArray();
                fits.add(new Fit(r.method(), r.pass(), LineFit.logLog(x, y)));
            }
        }
        return fits;
    }

    private void write(List<Row> rows, List<Fit> fits, FmaPeak.Result peak, Path dir) {
        double peakGflops = peak == null ? Double.NaN
                : cfg.dtype() == DType.FLOAT32 ? peak.floatGflops() : peak.doubleGflops();
        Csv csv = new Csv("method", "pass", "n", "order", "d", "dv", "dtype", "mask", "bound", "epsilon",
                "seconds_median", "seconds_best", "runs", "flops", "gflops", "peak_fraction", "degree", "rank", "note");
        for (Row r : rows) {
            double best = r.seconds();
            double gflops = r.flops() / best / 1e9;
            boolean exactKind = !r.method().equals("poly");
            csv.row(r.method(), r.pass(), r.n(), cfg.order(), cfg.d(), cfg.dv(), cfg.dtype().numpyName(),
                    cfg.mask().toString(), cfg.bound(), cfg.epsilon(),
                    r.timing() == null ? Double.NaN : r.timing().median(), best,
                    r.timing() == null ? 0 : r.timing().runs(), r.flops(), gflops,
                    exactKind ? gflops / peakGflops : Double.NaN, r.degree(), r.rank(), r.note());
        }
        csv.write(dir.resolve("bench.csv"));
        Csv pk = new Csv("threads", "float_gflops", "double_gflops", "float_lanes", "double_lanes", "load_average");
        if (peak != null) {
            pk.row(peak.threads(), peak.floatGflops(), peak.doubleGflops(), peak.floatLanes(), peak.doubleLanes(),
                    Machine.loadAverage());
        }
        pk.write(dir.resolve("peak.csv"));

        LinePlot plot = new LinePlot(String.format(Locale.ROOT, "Order-%d attention, d = %d, %s, B = %s, eps = %s",
                cfg.order(), cfg.d(), cfg.dtype().numpyName(), cfg.bound(), cfg.epsilon()), "n", "seconds (best of runs)")
                .logLog().legend(LinePlot.Corner.BOTTOM_RIGHT);
        for (Fit f : fits) {
            List<double[]> pts = new ArrayList<>();
            for (Row r : rows) {
                if (r.method().equals(f.method()) && r.pass().equals(f.pass()) && r.timing() != null) {
                    pts.add(new double[] {r.n(), r.seconds()});
                }
            }
            plot.series(String.format(Locale.ROOT, "%s %s (slope %.2f)", f.method(), f.pass(), f.fit().slope()),
                    pts.stream().mapToDouble(a -> a[0]).toArray(), pts.stream().mapToDouble(a -> a[1]).toArray());
        }
        reference(plot, rows, "exact", cfg.order(), "n^" + cfg.order());
        reference(plot, rows, "poly", 1, "n^1");
        plot.write(dir.resolve("bench.png"));
    }

    /** A dashed n^power line through the largest measured forward point of a method, over its sizes. */
    private static void reference(LinePlot plot, List<Row> rows, String method, double power, String name) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        double tHi = 0;
        for (Row r : rows) {
            if (r.method().equals(method) && r.pass().equals("forward") && r.timing() != null) {
                lo = Math.min(lo, r.n());
                if (r.n() > hi) {
                    hi = r.n();
                    tHi = r.seconds();
                }
            }
        }
        if (hi > lo) {
            plot.reference(name, new double[] {lo, hi}, new double[] {tHi * Math.pow(lo / hi, power), tHi});
        }
    }

    static String oneLine(String s) {
        return s == null ? "failed" : s.replace('\n', ' ').replace('\r', ' ').trim();
    }
}
