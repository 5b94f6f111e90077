package org.tensorattention.evidence;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.tensorattention.core.DType;

/**
 * A PyTorch peer for the exact order-3 forward, timed in the same run when {@code python3} can import torch:
 * blocks of queries form the scores Q_b (K1 ⊘ K2)^T with one matrix product, take a softmax over the n^2
 * pairs and multiply by V1 ⊘ V2 (SPEC.md section 1 in matrix form). Blocking keeps memory at b n^2 instead
 * of n^3. When python3 or torch is missing the peer is skipped with a note.
 */
public final class TorchPeer {
    /** Timings per n (empty arrays when skipped) and a note saying what happened. */
    public record Outcome(int[] n, double[] median, double[] best, int runs, String note) {
    }

    static final String SCRIPT = """
            import sys, time, torch
            ns = [int(x) for x in sys.argv[1].split(',')]
            d, dv, reps, threads = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
            dtype = torch.float32 if sys.argv[6] == 'float32' else torch.float64
            bound = float(sys.argv[7])
            torch.set_num_threads(threads)
            torch.manual_seed(0)
            def attend(q, k1, k2, v1, v2, c):
                n = k1.shape[0]
                kk = (k1[:, None, :] * k2[None, :, :]).reshape(n * n, -1)   # K1 (column-wise Kronecker) K2
                vv = (v1[:, None, :] * v2[None, :, :]).reshape(n * n, -1)
                out = torch.empty(q.shape[0], vv.shape[1], dtype=q.dtype)
                b = max(1, min(q.shape[0], (1 << 24) // (n * n)))
                for i in range(0, q.shape[0], b):
                    s = (q[i:i + b] @ kk.T) * c
                    out[i:i + b] = torch.softmax(s, dim=1) @ vv
                return out
            with torch.no_grad():
                for n in ns:
                    u = lambda r, w: (torch.rand(r, w, dtype=dtype) * 2 - 1) * bound
                    q, k1, k2, v1, v2 = u(n, d), u(n, d), u(n, d), u(n, dv), u(n, dv)
                    attend(q, k1, k2, v1, v2, 1.0 / d)
                    ts = []
                    for _ in range(reps):
                        t0 = time.perf_counter()
                        attend(q, k1, k2, v1, v2, 1.0 / d)
                        ts.append(time.perf_counter() - t0)
                    ts.sort()
                    print(n, ts[len(ts) // 2], ts[0], flush=True)
            """;

    private TorchPeer() {
    }

    /** Whether some python3 can import torch. */
    public static boolean available() {
        return python() != null;
    }

    /**
     * The first interpreter that can import torch: python3 on the PATH, else the system's /usr/bin/python3
     * (where Debian's python3-torch installs, when the PATH leads to another Python).
     */
    static String python() {
        for (String candidate : new String[] {"python3", "/usr/bin/python3"}) {
            try {
                Process p = new ProcessBuilder(candidate, "-c", "import torch").redirectErrorStream(true).start();
                p.getInputStream().readAllBytes();
                if (p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0) {
                    return candidate;
                }
            } catch (IOException e) {
                // not there: try the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    /** Times the peer at each n; sizes not reached within timeoutSec are left out. */
    public static Outcome time(int[] sizes, int d, int dv, DType dtype, double bound, int reps, int threads,
                               double timeoutSec) {
        String python = python();
        if (python == null) {
            return skipped("skipped: python3 cannot import torch (install Debian's python3-torch to compare)");
        }
        Path script = null;
        try {
            script = Files.createTempFile("tensor-attention-torch", ".py");
            Files.writeString(script, SCRIPT, StandardCharsets.UTF_8);
            StringBuilder ns = new StringBuilder();
            for (int n : sizes) {
                ns.append(ns.length() == 0 ? "" : ",").append(n);
            }
            Process p = new ProcessBuilder(python, script.toString(), ns.toString(), Integer.toString(d),
                    Integer.toString(dv), Integer.toString(reps), Integer.toString(threads), dtype.numpyName(),
                    Double.toString(bound)).redirectErrorStream(true).start();
            List<String> lines = new ArrayList<>();
            Thread reader = new Thread(() -> {
                try (var r = p.inputReader(StandardCharsets.UTF_8)) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                    }
                } catch (IOException ignored) {
                    // The process ended or was stopped: what was read so far stands.
                }
            });
            reader.start();
            boolean finished = p.waitFor((long) (timeoutSec * 1000), TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly();
            }
            reader.join(5000);
            List<double[]> rows = new ArrayList<>();
            String other = null;
            synchronized (lines) {
                for (String line : lines) {
                    String[] f = line.trim().split("\\s+");
                    try {
                        rows.add(new double[] {Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])});
                    } catch (RuntimeException e) {
                        other = line;
                    }
                }
            }
            int m = rows.size();
            int[] n = new int[m];
            double[] med = new double[m];
            double[] best = new double[m];
            for (int i = 0; i < m; i++) {
                n[i] = (int) rows.get(i)[0];
                med[i] = rows.get(i)[1];
                best[i] = rows.get(i)[2];
            }
            String note = "torch " + (finished ? "timed " : "stopped after the time limit, timed ") + m + " of "
                    + sizes.length + " sizes (blocked matmul + softmax, " + threads + " threads)"
                    + (other != null && m < sizes.length ? "; last message: " + Bench.oneLine(other) : "");
            return new Outcome(n, med, best, reps, note);
        } catch (IOException e) {
            return skipped("skipped: " + Bench.oneLine(e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return skipped("skipped: interrupted");
        } finally {
            if (script != null) {
                try {
                    Files.deleteIfExists(script);
                } catch (IOException ignored) {
                    // A temporary file left behind is harmless.
                }
            }
        }
    }

    private static Outcome skipped(String note) {
        return new Outcome(new int[0], new double[0], new double[0], 0, note);
    }
}
