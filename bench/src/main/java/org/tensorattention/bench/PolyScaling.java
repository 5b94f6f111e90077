package org.tensorattention.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.tensorattention.evidence.FmaPeak;
import org.tensorattention.core.Validation;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.poly.PolyBackward;
import org.tensorattention.core.poly.PolyPlan;

/**
 * Benchmarks of the polynomial method (docs/POLY.md). Sections, chosen by the first argument:
 * scaling, float32, crossover, rank, backward, graderr, all. Times are the best of a few repeats after a warm-up.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -cp bench/target/benchmarks.jar \
 *     org.tensorattention.bench.PolyScaling scaling
 * </pre>
 */
public final class PolyScaling {
    /** The float64 FMA peak on 2 threads (GFLOP/s), measured at the start of the run: the yardstick. */
    static double PEAK_F64 = 113;

    private PolyScaling() {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "all";
        int maxLog = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        PEAK_F64 = FmaPeak.gflops(false, 2, 20_000_000L);
        System.out.printf(Locale.ROOT, "float64 FMA peak measured in this run on 2 threads: %.1f GFLOP/s%n%n", PEAK_F64);
        warmUp();
        if (what.equals("scaling") || what.equals("all")) {
            scaling(maxLog);
        }
        if (what.equals("float32") || what.equals("all")) {
            float32(16, maxLog);
        }
        if (what.equals("crossover") || what.equals("all")) {
            crossover();
        }
        if (what.equals("rank") || what.equals("all")) {
            rank();
        }
        if (what.equals("backward") || what.equals("all")) {
            backward(maxLog);
        }
        if (what.equals("graderr") || what.equals("all")) {
            gradientError();
        }
    }

    record Problem(Tensor q, List<Tensor> keys, List<Tensor> values) {
        static Problem random(long seed, int order, int n, int d, int dv, double bound) {
            Random rnd = new Random(seed);
            Tensor q = fill(rnd, n, d, bound);
            List<Tensor> k = new ArrayList<>();
            List<Tensor> v = new ArrayList<>();
            for (int t = 0; t < order - 1; t++) {
                k.add(fill(rnd, n, d, bound));
                v.add(fill(rnd, n, dv, 1));
            }
            return new Problem(q, k, v);
        }
    }

    static Tensor fill(Random rnd, int rows, int cols, double bound) {
        double[] a = new double[rows * cols];
        for (int i = 0; i < a.length; i++) {
            a[i] = (2 * rnd.nextDouble() - 1) * bound;
        }
        return Tensor.of(a, rows, cols);
    }

    /** CPU seconds of the best run of {@link #best} (all threads of the process), to see through other load. */
    static double lastCpuSeconds;

    static double processCpuSeconds() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() * 1e-9;
    }

    /** Best wall time (seconds) of the kernel over repeats; the first call warms up. */
    static AttentionResult best(Problem p, AttentionOptions o, int repeats) {
        AttentionResult best = null;
        for (int r = 0; r < repeats; r++) {
            double cpu0 = processCpuSeconds();
            AttentionResult res = TensorAttention.forward(p.q, p.keys, p.values, o);
            double cpu = processCpuSeconds() - cpu0;
            if (best == null || res.seconds() < best.seconds()) {
                best = res;
                lastCpuSeconds = cpu;
            }
        }
        return best;
    }

    /** Compiles the kernels (the Vector API is slow until C2 has compiled them) before anything is timed. */
    static void warmUp() {
        for (int round = 0; round < 4; round++) {
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL}) {
                Problem p = Problem.random(round, 3, 2048, 8, 8, 1);
                AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3).withMask(mask);
                AttentionResult f = TensorAttention.forward(p.q, p.keys, p.values, o);
                Tensor dout = fill(new Random(round), 2048, 8, 1);
                // Both backward paths: recomputing the forward's output, and reusing it.
                PolyBackward.run(p.q, p.keys, p.values, dout, Validation.geometry(p.q, p.keys, p.values), o);
                TensorAttention.backward(p.q, p.keys, p.values, dout, f, o);
                Problem small = Problem.random(round, 3, 48, 8, 8, 1);
                TensorAttention.forward(small.q, small.keys, small.values, o.withMethod(Method.EXACT));
            }
        }
    }

    static void scaling(int maxLog) {
        System.out.println("## forward scaling: order 3, d = 8, dv = 8, B = 1, eps = 1e-3, full mask, float64");
        System.out.println("| n | degree | rank | seconds | model GFLOP/s | % of measured f64 peak | GFLOP per CPU-second | % of nominal 1-core peak (56.5) | slope vs previous |");
        System.out.println("|---|---|---|---|---|---|---|---|---|");
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3);
        double prevT = 0;
        int prevN = 0;
        double firstT = 0;
        int firstN = 0;
        long firstRank = -1;
        double sameRankT = 0;
        int sameRankN = 0;
        for (int log = 12; log <= maxLog; log += 2) {
            int n = 1 << log;
            Problem p = Problem.random(log, 3, n, 8, 8, 1);
            AttentionResult r = best(p, o, log >= 18 ? 3 : 5);
            double slope = prevN == 0 ? Double.NaN : Math.log(r.seconds() / prevT) / Math.log((double) n / prevN);
            double perCpu = r.flops() / lastCpuSeconds / 1e9;
            System.out.printf(Locale.ROOT, "| 2^%d | %d | %d | %.4f | %.1f | %.0f%% | %.1f | %.0f%% | %.2f |%n", log,
                    r.poly().degree(), r.poly().rank(), r.seconds(), r.gflops(), 100 * r.gflops() / PEAK_F64, perCpu,
                    100 * perCpu / 56.5, slope);
            System.out.flush();
            if (firstN == 0) {
                firstN = n;
                firstT = r.seconds();
            }
            if (r.poly().rank() != firstRank) {
                firstRank = r.poly().rank();
                sameRankN = n;
                sameRankT = r.seconds();
            }
            prevN = n;
            prevT = r.seconds();
        }
        System.out.printf(Locale.ROOT, "overall log-log slope 2^12..2^%d: %.3f; at the last rank (%d), from n = %d: %.3f%n%n",
                maxLog, Math.log(prevT / firstT) / Math.log((double) prevN / firstN), firstRank, sameRankN,
                prevN == sameRankN ? Double.NaN : Math.log(prevT / sameRankT) / Math.log((double) prevN / sameRankN));
    }

    /** The problem's values rounded to float32, as float32 tensors (float32 true) or widened back to float64. */
    static Problem rounded(Problem p, boolean float32) {
        java.util.function.Function<Tensor, Tensor> f = t -> float32 ? t.to(DType.FLOAT32)
                : t.to(DType.FLOAT32).to(DType.FLOAT64);
        return new Problem(f.apply(p.q), p.keys.stream().map(f).toList(), p.values.stream().map(f).toList());
    }

    /** Best seconds and its result for float32 inputs (the float32 mode where certified) and the same values in float64. */
    record Pair(AttentionResult narrow, AttentionResult wide, double cpuNarrow, double cpuWide) {
        static Pair of(Problem p, AttentionOptions o, int repeats) {
            Problem f32 = rounded(p, true);
            Problem f64 = rounded(p, false);
            AttentionResult narrow = null;
            AttentionResult wide = null;
            double cpuNarrow = Double.MAX_VALUE;
            double cpuWide = Double.MAX_VALUE;
            // Interleaved, so both see the same load; process CPU seconds as well, which the load moves less.
            for (int r = 0; r < repeats; r++) {
                AttentionResult a = best(f32, o, 1);
                cpuNarrow = Math.min(cpuNarrow, lastCpuSeconds);
                AttentionResult b = best(f64, o, 1);
                cpuWide = Math.min(cpuWide, lastCpuSeconds);
                narrow = narrow == null || a.seconds() < narrow.seconds() ? a : narrow;
                wide = wide == null || b.seconds() < wide.seconds() ? b : wide;
            }
            return new Pair(narrow, wide, cpuNarrow, cpuWide);
        }
    }

    static String load() {
        try {
            return java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).trim();
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    /** The float32 mode against the float64 path on the same float32 values, over n = 2^minLog .. 2^maxLog. */
    static void float32(int minLog, int maxLog) {
        System.out.printf(Locale.ROOT, "## float32 mode vs float64 path: order 3, d = 8, dv = 8, B = 1, eps = 1e-3, full "
                + "mask, 2 threads; preferred float vector %d bits; load %s%n",
                jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize(), load());
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3);
        for (int round = 0; round < 3; round++) {
            Pair.of(Problem.random(round, 3, 1 << 14, 8, 8, 1), o, 2);
        }
        System.out.println("| n | degree | rank | float32 mode s | float64 path s | float64 / float32 | CPU s float32 / "
                + "float64 (whole call) | float32 slope | float64 slope | float32 bound / Vinf | float64 bound / Vinf | "
                + "arithmetic |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
        double prev32 = 0;
        double prev64 = 0;
        double first32 = 0;
        double first64 = 0;
        for (int log = minLog; log <= maxLog; log++) {
            Pair r = Pair.of(Problem.random(log, 3, 1 << log, 8, 8, 1), o, 3);
            double t32 = r.narrow().seconds();
            double t64 = r.wide().seconds();
            String reason = r.narrow().reason();
            System.out.printf(Locale.ROOT, "| 2^%d | %d | %d | %.4f | %.4f | %.2f | %.3f / %.3f | %.2f | %.2f | %.2e | %.2e "
                            + "| %s |%n", log,
                    r.narrow().poly().degree(), r.narrow().poly().rank(), t32, t64, t64 / t32, r.cpuNarrow(), r.cpuWide(),
                    prev32 == 0 ? Double.NaN : Math.log(t32 / prev32) / Math.log(2),
                    prev64 == 0 ? Double.NaN : Math.log(t64 / prev64) / Math.log(2),
                    r.narrow().poly().errorBound(), r.wide().poly().errorBound(),
                    reason.substring(reason.lastIndexOf("; ") + 2));
            System.out.flush();
            if (first32 == 0) {
                first32 = t32;
                first64 = t64;
            }
            prev32 = t32;
            prev64 = t64;
        }
        double span = maxLog - minLog;
        System.out.printf(Locale.ROOT, "log-log slope 2^%d..2^%d: float32 mode %.3f, float64 path %.3f; load at the end %s%n%n",
                minLog, maxLog, Math.log(prev32 / first32) / Math.log(2) / span,
                Math.log(prev64 / first64) / Math.log(2) / span, load());
    }

    static void crossover() {
        System.out.println("## crossover: order 3, dv = 8, B = 1, eps = 1e-3, full mask: exact vs poly seconds");
        System.out.println("| d | n | exact s | poly s | poly rank | exact / poly |");
        System.out.println("|---|---|---|---|---|---|");
        for (int d : new int[] {4, 8, 16}) {
            for (int n = 4; n <= 1024; n *= 2) {
                Problem p = Problem.random(d * 1000 + n, 3, n, d, 8, 1);
                AttentionOptions o = AttentionOptions.defaults().withEpsilon(1e-3);
                PolyPlan plan = org.tensorattention.core.poly.PolyAttention.plan(p.q, p.keys, p.values,
                        o.withMethod(Method.POLY));
                AttentionResult ex = best(p, o.withMethod(Method.EXACT), 7);
                String polyS = "refused";
                double ratio = Double.NaN;
                if (plan.feasible()) {
                    AttentionResult po = best(p, o.withMethod(Method.POLY), 7);
                    polyS = String.format(Locale.ROOT, "%.5f", po.seconds());
                    ratio = ex.seconds() / po.seconds();
                }
                System.out.printf(Locale.ROOT, "| %d | %d | %.5f | %s | %d | %.2f |%n", d, n, ex.seconds(), polyS,
                        plan.rank(), ratio);
                if (ex.seconds() > 3 || ratio > 8) {
                    break;
                }
            }
        }
        System.out.println();
    }

    static void rank() {
        System.out.println("## degree / rank against eps and B (order 3, d = 8, R = B^3 worst case, n = 2^16)");
        double[] eps = {1e-2, 1e-3, 1e-4, 1e-6, 1e-8};
        StringBuilder head = new StringBuilder("| B \\ eps |");
        StringBuilder rule = new StringBuilder("|---|");
        for (double e : eps) {
            head.append(String.format(Locale.ROOT, " %.0e |", e));
            rule.append("---|");
        }
        System.out.println(head);
        System.out.println(rule);
        Geometry g = Geometry.simple(1, 1 << 16, new int[] {1 << 16, 1 << 16}, 8, 8);
        for (double b : new double[] {0.5, 1, 1.25, 1.5, 2}) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %.2f |", b));
            for (double e : eps) {
                PolyPlan plan = PolyPlan.of(b * b * b, g, Mask.FULL, e, DType.FLOAT64, 2, 8e9);
                row.append(plan.degree() < 0 ? " refused |"
                        : String.format(Locale.ROOT, " g=%d r=%d%s |", plan.degree(), plan.rank(),
                                plan.feasible() ? "" : " (slower than exact)"));
            }
            System.out.println(row);
        }
        System.out.println();
    }

    static void backward(int maxLog) {
        System.out.println("## backward (given the forward's output and lse) / forward: order 3, d = 8, dv = 8, B = 1, eps = 1e-3");
        System.out.println("| mask | n | forward s | backward s | backward / forward | backward slope |");
        System.out.println("|---|---|---|---|---|---|");
        StringBuilder slopes = new StringBuilder();
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(64, 64)}) {
            double prevT = 0;
            int prevN = 0;
            double firstT = 0;
            int top = mask == Mask.FULL ? maxLog : Math.min(maxLog, mask == Mask.CAUSAL ? 18 : 14);
            for (int log = 12; log <= top; log += 2) {
                int n = 1 << log;
                Problem p = Problem.random(log, 3, n, 8, 8, 1);
                AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3).withMask(mask);
                AttentionResult f = best(p, o, 3);
                Tensor dout = fill(new Random(1), n, 8, 1);
                double bw = Double.MAX_VALUE;
                for (int r = 0; r < 3; r++) {
                    GradientResult gr = TensorAttention.backward(p.q, p.keys, p.values, dout, f, o);
                    bw = Math.min(bw, gr.seconds());
                }
                double slope = prevN == 0 ? Double.NaN : Math.log(bw / prevT) / Math.log((double) n / prevN);
                System.out.printf(Locale.ROOT, "| %s | 2^%d | %.4f | %.4f | %.2f | %.2f |%n", mask, log, f.seconds(), bw,
                        bw / f.seconds(), slope);
                firstT = prevN == 0 ? bw : firstT;
                prevN = n;
                prevT = bw;
            }
            slopes.append(String.format(Locale.ROOT, "%s backward: overall log-log slope 2^12..2^%d: %.3f%n", mask,
                    Integer.numberOfTrailingZeros(prevN), Math.log(prevT / firstT) / Math.log(prevN / 4096.0)));
        }
        System.out.println(slopes);
    }

    /** Poly gradient vs the exact gradient (central differences of the exact forward), relative to max |grad|. */
    static void gradientError() {
        System.out.println("## poly gradient vs exact gradient: order 3, n = 12, d = 4, dv = 3, B = 1");
        System.out.println("| mask | eps | max |dpoly - dexact| / max |dexact| | / eps |");
        System.out.println("|---|---|---|---|");
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL}) {
            for (double eps : new double[] {1e-2, 1e-3, 1e-4, 1e-5, 1e-6}) {
                double worst = 0;
                double scale = 0;
                for (long seed = 1; seed <= 3; seed++) {
                    Problem p = Problem.random(seed, 3, 12, 4, 3, 1);
                    Tensor dout = fill(new Random(seed + 7), 12, 3, 1);
                    AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(eps).withMethod(Method.POLY);
                    Geometry g = Validation.geometry(p.q, p.keys, p.values);
                    GradientResult gr = PolyBackward.run(p.q, p.keys, p.values, dout, g, o);
                    List<Tensor> inputs = new ArrayList<>();
                    List<Tensor> grads = new ArrayList<>();
                    inputs.add(p.q);
                    grads.add(gr.dq());
                    inputs.addAll(p.keys);
                    grads.addAll(gr.dk());
                    inputs.addAll(p.values);
                    grads.addAll(gr.dv());
                    for (int a = 0; a < inputs.size(); a++) {
                        double[] x = inputs.get(a).doubles();
                        for (int i = 0; i < x.length; i++) {
                            double keep = x[i];
                            double h = 1e-5;
                            x[i] = keep + h;
                            double up = exactLoss(p, dout, o);
                            x[i] = keep - h;
                            double down = exactLoss(p, dout, o);
                            x[i] = keep;
                            double exact = (up - down) / (2 * h);
                            scale = Math.max(scale, Math.abs(exact));
                            worst = Math.max(worst, Math.abs(exact - grads.get(a).get(i)));
                        }
                    }
                }
                System.out.printf(Locale.ROOT, "| %s | %.0e | %.2e | %.2f |%n", mask, eps, worst / scale, worst / scale / eps);
            }
        }
        System.out.println();
    }

    static double exactLoss(Problem p, Tensor dout, AttentionOptions o) {
        Tensor out = TensorAttention.forward(p.q, p.keys, p.values, o.withMethod(Method.EXACT)).output();
        double s = 0;
        for (int i = 0; i < out.size(); i++) {
            s += out.get(i) * dout.get(i);
        }
        return s;
    }
}
