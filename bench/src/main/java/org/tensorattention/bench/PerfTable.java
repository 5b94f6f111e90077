package org.tensorattention.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.DoubleVector;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.simd.VectorExp;
import org.tensorattention.evidence.FmaPeak;

/**
 * Every performance goal in one table: exact forward against the FMA peak measured around each row, the exp's
 * share of a tuple, causal and windowed masks, exact backward over forward, the polynomial method's slope,
 * speed and backward ratio, and the first call in a fresh JVM against the steady state. Prints the machine, the
 * ISA (preferred vector width, AVX-512 or not) and the load at the start and the end.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xmx6g -cp bench/target/benchmarks.jar org.tensorattention.bench.PerfTable
 *     [sizes=512,1024] [poly=20] [first=512,1024] [threads=2]
 * </pre>
 */
public final class PerfTable {
    private static final List<String[]> ROWS = new ArrayList<>();

    private PerfTable() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("first-call")) {
            firstCallChild(Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3]);
            return;
        }
        int[] sizes = {512, 1024};
        int polyLog = 20;
        int[] first = {512, 1024};
        int threads = 2;
        for (String a : args) {
            String[] kv = a.split("=", 2);
            switch (kv[0]) {
                case "sizes" -> sizes = ints(kv[1]);
                case "poly" -> polyLog = Integer.parseInt(kv[1]);
                case "first" -> first = ints(kv[1]);
                case "threads" -> threads = Integer.parseInt(kv[1]);
                default -> throw new IllegalArgumentException("unknown argument " + a);
            }
        }
        String loadStart = ExactForwardReport.loadAverage();
        System.out.println("machine: " + cpuModel() + ", " + Runtime.getRuntime().availableProcessors()
                + " processors, Java " + System.getProperty("java.version"));
        System.out.println("ISA: " + (avx512() ? "AVX-512" : "AVX2") + ", preferred vector "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits (" + FloatVector.SPECIES_PREFERRED.length()
                + " floats)");
        System.out.println("load average at start: " + loadStart);
        double peakF = FmaPeak.gflops(true, threads, 50_000_000);
        double peakD = FmaPeak.gflops(false, threads, 50_000_000);
        System.out.printf(Locale.ROOT, "FMA peak at start, %d threads: float %.1f, double %.1f GFLOP/s%n%n", threads,
                peakF, peakD);

        exactForward(sizes, threads);
        masks(threads);
        backward(sizes[0], threads);
        poly(polyLog, threads);
        for (int n : first) {
            firstCall(n, 64, "float32");
        }

        System.out.println("| goal | case | measured | goal | met |");
        System.out.println("|---|---|---|---|---|");
        for (String[] r : ROWS) {
            System.out.println("| " + String.join(" | ", r) + " |");
        }
        System.out.println();
        System.out.println("load average at end: " + ExactForwardReport.loadAverage() + " (start " + loadStart + ")");
    }

    private static void row(String goal, String what, String measured, String target, Boolean met) {
        ROWS.add(new String[] {goal, what, measured, target, met == null ? "-" : met ? "yes" : "**no**"});
        System.out.println(goal + ": " + what + ": " + measured + " (goal " + target + ")");
        System.out.flush();
    }

    /** The row's FMA peak: the larger of one measured right before and one right after, under the row's load. */
    private static double peakAround(boolean f32, int threads, Runnable body) {
        double before = FmaPeak.gflops(f32, threads, 5_000_000);
        body.run();
        return Math.max(before, FmaPeak.gflops(f32, threads, 5_000_000));
    }

    private static void exactForward(int[] sizes, int threads) {
        for (String type : new String[] {"float32", "float64"}) {
            boolean f32 = type.equals("float32");
            for (int d : new int[] {16, 64}) {
                for (int n : sizes) {
                    Geometry g = Geometry.simple(1, n, new int[] {n, n}, d, d);
                    double[] s = new double[1];
                    double peak = peakAround(f32, threads, () -> s[0] = ExactForwardReport.time(g, Mask.FULL, f32, threads, 3));
                    double fraction = g.exactFlops(Mask.FULL) / s[0] * 1e-9 / peak;
                    double exp = expNanosPerValue(f32);
                    // The exp's cost per tuple (timed alone on a cache-resident tile, same threads) over the
                    // kernel's time per tuple: what the fraction could at most become with a free exp.
                    double share = Math.min(1, exp * 1e-9 / threads / (s[0] / g.tuples(Mask.FULL)));
                    Double goal = goal(f32, d);
                    row("exact forward", String.format(Locale.ROOT, "%s n=%d d=dv=%d", type, n, d),
                            String.format(Locale.ROOT, "%.3f s, %.2f of peak %.0f; exp %.0f%% of the time",
                                    s[0], fraction, peak, 100 * share),
                            goal == null ? "none" : ">= " + goal, goal == null ? null : Boolean.valueOf(fraction >= goal));
                }
            }
        }
    }

    /** The goal as a fraction of the FMA peak (none for float64 at d = 16). */
    private static Double goal(boolean f32, int d) {
        if (f32) {
            return d == 64 ? 0.75 : 0.55;
        }
        return d == 64 ? Double.valueOf(0.7) : null;
    }

    /** Nanoseconds per exp value on vectors of the preferred width, one thread, over a 1024-value tile. */
    static double expNanosPerValue(boolean f32) {
        float[] xf = new float[1024];
        double[] xd = new double[1024];
        Random rnd = new Random(3);
        for (int i = 0; i < xf.length; i++) {
            xf[i] = (float) (-20 * rnd.nextDouble());
            xd[i] = xf[i];
        }
        double best = Double.MAX_VALUE;
        double sink = 0;
        for (int rep = 0; rep < 20; rep++) {
            long t0 = System.nanoTime();
            for (int it = 0; it < 2000; it++) {
                sink += f32 ? expFloats(xf) : expDoubles(xd);
            }
            best = Math.min(best, (System.nanoTime() - t0) / (2000.0 * xf.length));
        }
        if (sink == 42) {
            System.out.println();
        }
        return best;
    }

    private static float expFloats(float[] x) {
        FloatVector acc = FloatVector.zero(FloatVector.SPECIES_PREFERRED);
        for (int i = 0; i < x.length; i += FloatVector.SPECIES_PREFERRED.length()) {
            acc = acc.add(VectorExp.exp(FloatVector.fromArray(FloatVector.SPECIES_PREFERRED, x, i)));
        }
        return acc.lane(0);
    }

    private static double expDoubles(double[] x) {
        DoubleVector acc = DoubleVector.zero(DoubleVector.SPECIES_PREFERRED);
        for (int i = 0; i < x.length; i += DoubleVector.SPECIES_PREFERRED.length()) {
            acc = acc.add(VectorExp.exp(DoubleVector.fromArray(DoubleVector.SPECIES_PREFERRED, x, i)));
        }
        return acc.lane(0);
    }

    private static void masks(int threads) {
        int n = 1024;
        Geometry g = Geometry.simple(1, n, new int[] {n, n}, 64, 64);
        double full = ExactForwardReport.time(g, Mask.FULL, true, threads, 3);
        double causal = ExactForwardReport.time(g, Mask.CAUSAL, true, threads, 3);
        double perTuple = (causal / g.tuples(Mask.CAUSAL)) / (full / g.tuples(Mask.FULL));
        row("exact forward, masks", "float32 n=1024 d=dv=64 causal, time per allowed tuple / full's",
                String.format(Locale.ROOT, "%.2f (%.3f s vs %.3f s)", perTuple, causal, full), "close to 1", null);
        for (int d : new int[] {16, 64}) {
            int wn = 65536;
            Geometry w = Geometry.simple(1, wn, new int[] {wn, wn}, d, d);
            Mask m = Mask.window(16, 16);
            double[] s = new double[1];
            double peak = peakAround(true, threads, () -> s[0] = ExactForwardReport.time(w, m, true, threads, 3));
            row("exact forward, masks", String.format(Locale.ROOT, "float32 n=65536 d=dv=%d window 16,16", d),
                    String.format(Locale.ROOT, "%.3f s, %.2f of peak on allowed tuples", s[0],
                            w.exactFlops(m) / s[0] * 1e-9 / peak), "none", null);
        }
    }

    private static void backward(int n, int threads) {
        AttentionOptions opt = AttentionOptions.defaults().withMethod(Method.EXACT).withThreads(threads);
        for (DType dt : new DType[] {DType.FLOAT32, DType.FLOAT64}) {
            for (int d : new int[] {16, 64}) {
                Random rnd = new Random(n * 31L + d);
                Tensor q = random(rnd, n, d, dt);
                List<Tensor> keys = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
                List<Tensor> values = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
                Tensor dout = random(rnd, n, d, dt);
                double fw = Double.MAX_VALUE;
                double bw = Double.MAX_VALUE;
                for (int r = 0; r < 4; r++) {
                    AttentionResult f = TensorAttention.forward(q, keys, values, opt);
                    GradientResult gr = TensorAttention.backward(q, keys, values, dout, f, opt);
                    if (r > 0) {
                        fw = Math.min(fw, f.seconds());
                        bw = Math.min(bw, gr.seconds());
                    }
                }
                row("exact backward", String.format(Locale.ROOT, "%s n=%d d=dv=%d backward / forward", dt.numpyName(), n, d),
                        // What bounds it: five products (S, dP, dQ, dK, dV) to the forward's two, so 2.5x the
                        // forward at the same flop rate, before the exp that both evaluate once per tuple.
                        String.format(Locale.ROOT, "%.2f (%.3f s / %.3f s); 5 products to the forward's 2, at %.2f"
                                + " of its flop rate", bw / fw, bw, fw, 2.5 * fw / bw), "<= 2.2", bw / fw <= 2.2);
            }
        }
    }

    private static void poly(int maxLog, int threads) {
        PolyScaling.warmUp();
        AttentionOptions o = AttentionOptions.defaults().withMethod(Method.POLY).withEpsilon(1e-3).withThreads(threads);
        double prevT = 0;
        int prevN = 0;
        double worstSlope = 0;
        double firstT = 0;
        for (int log = 12; log <= maxLog; log += 2) {
            int n = 1 << log;
            PolyScaling.Problem p = PolyScaling.Problem.random(log, 3, n, 8, 8, 1);
            double t = PolyScaling.best(p, o, 3).seconds();
            if (prevN > 0) {
                worstSlope = Math.max(worstSlope, Math.log(t / prevT) / Math.log((double) n / prevN));
            } else {
                firstT = t;
            }
            prevN = n;
            prevT = t;
        }
        double overall = Math.log(prevT / firstT) / Math.log(prevN / 4096.0);
        row("poly forward", String.format(Locale.ROOT, "slope over n = 2^12..2^%d, d=8 eps=1e-3 float64", maxLog),
                String.format(Locale.ROOT, "%.3f overall, %.2f worst step", overall, worstSlope), "<= 1.05",
                overall <= 1.05);
        row("poly forward", String.format(Locale.ROOT, "n=2^%d d=8 eps=1e-3, %d threads", maxLog, threads),
                String.format(Locale.ROOT, "%.3f s", prevT), maxLog == 20 ? "<= 1 s" : "<= 1 s at 2^20",
                maxLog == 20 ? Boolean.valueOf(prevT <= 1) : null);
        int n = 1 << Math.min(maxLog, 18);
        PolyScaling.Problem p = PolyScaling.Problem.random(5, 3, n, 8, 8, 1);
        double f = PolyScaling.best(p, o, 3).seconds();
        Geometry g = org.tensorattention.core.Validation.geometry(p.q(), p.keys(), p.values());
        Tensor dout = PolyScaling.fill(new Random(1), n, 8, 1);
        double b = Double.MAX_VALUE;
        for (int r = 0; r < 3; r++) {
            b = Math.min(b, org.tensorattention.core.poly.PolyBackward.run(p.q(), p.keys(), p.values(), dout, g, o).seconds());
        }
        row("poly backward", String.format(Locale.ROOT, "n=2^%d d=8 backward / forward", Integer.numberOfTrailingZeros(n)),
                String.format(Locale.ROOT, "%.2f (%.3f s / %.3f s)", b / f, b, f), "<= 3", b / f <= 3);
        row("poly float32", "float32 inputs", "computed in float64 (no float32 mode)", "float32 where certified", false);
    }

    /** Runs one first call in a fresh JVM (this class with "first-call"), which prints first and steady seconds. */
    private static void firstCall(int n, int d, String dtype) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp",
                System.getProperty("java.class.path"), PerfTable.class.getName(), "first-call", Integer.toString(n),
                Integer.toString(d), dtype);
        pb.redirectErrorStream(true);
        Process proc = pb.start();
        String last = "";
        try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("first-call ")) {
                    last = line;
                }
            }
        }
        proc.waitFor();
        String[] f = last.split(" ");
        double firstF = Double.parseDouble(f[1]);
        double steadyF = Double.parseDouble(f[2]);
        double firstB = Double.parseDouble(f[3]);
        double steadyB = Double.parseDouble(f[4]);
        boolean goal = n == 1024;
        row("first call", String.format(Locale.ROOT, "%s n=%d d=dv=%d forward, fresh JVM / steady", dtype, n, d),
                String.format(Locale.ROOT, "%.2f (%.3f s / %.3f s)", firstF / steadyF, firstF, steadyF),
                goal ? "<= 1.3" : "none", goal ? Boolean.valueOf(firstF / steadyF <= 1.3) : null);
        row("first call", String.format(Locale.ROOT, "%s n=%d d=dv=%d backward, fresh JVM / steady", dtype, n, d),
                String.format(Locale.ROOT, "%.2f (%.3f s / %.3f s)", firstB / steadyB, firstB, steadyB), "none", null);
    }

    /** In the fresh JVM: kernel seconds of the first forward and backward, then the best of four more. */
    private static void firstCallChild(int n, int d, String dtype) {
        DType dt = DType.valueOf(dtype.toUpperCase(Locale.ROOT));
        AttentionOptions opt = AttentionOptions.defaults().withMethod(Method.EXACT).withThreads(2);
        Random rnd = new Random(7);
        Tensor q = random(rnd, n, d, dt);
        List<Tensor> keys = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
        List<Tensor> values = List.of(random(rnd, n, d, dt), random(rnd, n, d, dt));
        Tensor dout = random(rnd, n, d, dt);
        AttentionResult f = TensorAttention.forward(q, keys, values, opt);
        double firstF = f.seconds();
        double firstB = TensorAttention.backward(q, keys, values, dout, f, opt).seconds();
        double steadyF = Double.MAX_VALUE;
        double steadyB = Double.MAX_VALUE;
        for (int r = 0; r < 4; r++) {
            f = TensorAttention.forward(q, keys, values, opt);
            steadyF = Math.min(steadyF, f.seconds());
            steadyB = Math.min(steadyB, TensorAttention.backward(q, keys, values, dout, f, opt).seconds());
        }
        System.out.printf(Locale.ROOT, "first-call %.6f %.6f %.6f %.6f%n", firstF, steadyF, firstB, steadyB);
    }

    private static Tensor random(Random rnd, int rows, int cols, DType dt) {
        double[] a = new double[rows * cols];
        for (int x = 0; x < a.length; x++) {
            a[x] = 2 * rnd.nextDouble() - 1;
        }
        return Tensor.of(a, rows, cols).to(dt);
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static boolean avx512() {
        try {
            return Files.readString(Path.of("/proc/cpuinfo")).contains(" avx512f");
        } catch (IOException e) {
            return FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
        }
    }

    private static int[] ints(String s) {
        return java.util.Arrays.stream(s.split(",")).mapToInt(x -> Integer.parseInt(x.strip())).toArray();
    }
}
