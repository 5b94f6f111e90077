package org.tensorattention.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.decode.ExactDecoder;
import org.tensorattention.io.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code tensor-attention decode}: the causal rows of one sequence, token by token through the exact decoder. */
@Command(name = "decode", mixinStandardHelpOptions = true,
        header = "exact decoding with a cache: each token's output as it is appended (.npz in, .npz out)",
        description = {
            "Feeds the n tokens of IN.npz (q (n, d), k1 .. k{k-1} (n, d), v1 .. v{k-1} (n, dv)) to an exact "
                    + "decoder one at a time, after an optional chunked prefill of the first M: token i sees the "
                    + "tokens 0..i, so --causal is implied. OUT.npz holds o (n, dv), in the dtype of q, and lse (n, "
                    + "float64, natural log): those of forward --causal with the same mask and scale (bit for bit "
                    + "at order 2 with the same --threads; see the specification for higher orders)."})
final class DecodeCommand extends Base {
    @Mixin
    Inputs.FileFlags files;

    @Mixin
    Flags.Masks masks;

    @Mixin
    Flags.Scale scale;

    @Mixin
    Flags.Threads threads;

    @Mixin
    Flags.Quiet quiet;

    @Option(names = "--prefill", paramLabel = "M", defaultValue = "0",
            description = "the first M tokens as one chunked prefill, then one append per token (default: ${DEFAULT-VALUE})")
    int prefill;

    @Override
    int run() throws Exception {
        AttentionOptions options = scale.apply(AttentionOptions.defaults().withMask(masks.mask())
                .withMethod(Method.EXACT).withThreads(threads.count()));
        if (options.mask().intervals() instanceof Mask.Full) {
            options = options.causal();
        }
        try (Inputs.Job job = Inputs.open(name(), files, in, out)) {
            Inputs.Attention a = Inputs.attention(job, options);
            job.finish("q", err);
            Tensor q = a.q();
            if (a.packed()) {
                throw new UsageException(job.input + " has cu_seqlens: decode reads one sequence");
            }
            if (q.rank() != 2) {
                throw new UsageException(job.input + ": q has shape " + Tensor.shapeString(q.shape())
                        + "; decode reads one sequence, q (n, d)");
            }
            int n = q.dim(0);
            for (int t = 0; t < a.keys().size(); t++) {
                if (a.keys().get(t).dim(0) != n || a.values().get(t).dim(0) != n) {
                    throw new UsageException(job.input + ": k" + (t + 1) + " and v" + (t + 1) + " must have the "
                            + n + " rows of q (one per token)");
                }
            }
            if (prefill < 0 || prefill > n) {
                throw new UsageException("--prefill must lie in 0.." + n + " (the tokens of " + job.input
                        + "), got " + prefill);
            }
            Decoded r = decode(q, a.keys(), a.values(), options);
            Map<String, Tensor> results = new LinkedHashMap<>();
            results.put("o", r.output());
            results.put("lse", r.lse());
            job.output.writeNpz(results);
            job.report(Reports.attention(name(), a.geometry(), q, options, Method.EXACT, r.seconds(), r.flops(), null,
                    "exact decoding"));
        }
        return 0;
    }

    record Decoded(Tensor output, Tensor lse, double seconds, double flops) {
    }

    /** The prefill, then one token at a time; progress weighted by each token's work ((i + 1)^{k-1} tuples). */
    private Decoded decode(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        DType dt = q.dtype();
        int n = q.dim(0);
        int d = q.dim(1);
        int dv = values.get(0).dim(1);
        int order = keys.size() + 1;
        ExactDecoder decoder = new ExactDecoder(order, d, dv, dt, options);
        double[] o = new double[n * dv];
        double[] lse = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += Math.pow(i + 1, order - 1);
        }
        // Shown in percent of the work: a token's cost grows as its position to the power k - 1.
        Progress bar = new Progress("decode", 100, err);
        double[] qs = q.toDoubleArray();
        double[][] ks = widened(keys);
        double[][] vs = widened(values);
        double seconds = 0;
        double flops = 0;
        for (int i = 0; i < n; ) {
            int m = i == 0 && prefill > 0 ? prefill : 1;
            AttentionResult r = decoder.prefill(rows(qs, d, i, m), rows(ks, d, i, m), rows(vs, dv, i, m));
            System.arraycopy(r.output().to(DType.FLOAT64).doubles(), 0, o, i * dv, m * dv);
            System.arraycopy(r.logSumExp().doubles(), 0, lse, i, m);
            seconds += r.seconds();
            flops += r.flops();
            double work = 0;
            for (int x = i; x < i + m; x++) {
                work += Math.pow(x + 1, order - 1);
            }
            i += m;
            bar.advance(100 * work / total, "token " + i + " of " + n);
        }
        bar.finish("token " + n + " of " + n);
        return new Decoded(Tensor.of(o, n, dv).to(dt), Tensor.of(lse, n), seconds, flops);
    }

    /** Rows from.. of a (rows, w) array held as float64 (the decoder rounds them to its dtype as a batch call does). */
    private static Tensor rows(double[] x, int w, int from, int count) {
        return Tensor.of(Arrays.copyOfRange(x, from * w, (from + count) * w), count, w);
    }

    private static List<Tensor> rows(double[][] xs, int w, int from, int count) {
        List<Tensor> r = new ArrayList<>();
        for (double[] x : xs) {
            r.add(rows(x, w, from, count));
        }
        return r;
    }

    private static double[][] widened(List<Tensor> ts) {
        double[][] r = new double[ts.size()][];
        for (int t = 0; t < r.length; t++) {
            r[t] = ts.get(t).toDoubleArray();
        }
        return r;
    }
}
