package org.tensorattention.core.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

class LossGradientTest {

    /** A tiny loss problem kept as matrices, evaluated with explicit Kronecker products. */
    record Tiny(double[][][] a, double[][] x, double[][] y, double[][] e, double c) {
        static Tiny random(long seed, int n, int d, int dv, double c) {
            Random rnd = new Random(seed);
            double[][][] a = new double[5][][];
            for (int t = 0; t < 5; t++) {
                a[t] = BruteForce.random(rnd, n, d, 1);
            }
            return new Tiny(a, BruteForce.random(rnd, d, d * d, 1), BruteForce.random(rnd, d * d, dv, 1),
                    BruteForce.random(rnd, n, dv, 1), c);
        }

        /** numpy.kron(A, B) for n x d matrices: (n^2 x d^2). */
        static double[][] kron(double[][] p, double[][] q) {
            int n = p.length;
            int d = p[0].length;
            double[][] k = new double[n * n][d * d];
            for (int j1 = 0; j1 < n; j1++) {
                for (int j2 = 0; j2 < n; j2++) {
                    for (int b = 0; b < d; b++) {
                        for (int e2 = 0; e2 < d; e2++) {
                            k[j1 * n + j2][b * d + e2] = p[j1][b] * q[j2][e2];
                        }
                    }
                }
            }
            return k;
        }

        static double[][] mul(double[][] p, double[][] q) {
            double[][] r = new double[p.length][q[0].length];
            for (int i = 0; i < p.length; i++) {
                for (int k = 0; k < q.length; k++) {
                    for (int j = 0; j < q[0].length; j++) {
                        r[i][j] += p[i][k] * q[k][j];
                    }
                }
            }
            return r;
        }

        /** L(X) by its definition: A = exp(c A1 X K^T), O = D^{-1} A V Y. */
        double loss() {
            double[][] kk = kron(a[1], a[2]);
            double[][] vv = kron(a[3], a[4]);
            double[][] ax = mul(a[0], x);
            int n = a[0].length;
            double total = 0;
            double[][] vy = mul(vv, y);
            for (int i = 0; i < n; i++) {
                double[] w = new double[n * n];
                double sum = 0;
                for (int col = 0; col < n * n; col++) {
                    double s = 0;
                    for (int l = 0; l < kk[0].length; l++) {
                        s += ax[i][l] * kk[col][l];
                    }
                    w[col] = Math.exp(c * s);
                    sum += w[col];
                }
                for (int l = 0; l < e[0].length; l++) {
                    double o = 0;
                    for (int col = 0; col < n * n; col++) {
                        o += w[col] * vy[col][l];
                    }
                    double r = o / sum - e[i][l];
                    total += r * r;
                }
            }
            return 0.5 * total;
        }

        LossGradient.Result compute(DType dt) {
            List<Tensor> ts = new ArrayList<>();
            for (double[][] m : a) {
                ts.add(BruteForce.tensor(m).to(dt));
            }
            return LossGradient.compute(ts, BruteForce.tensor(x).to(dt), BruteForce.tensor(y).to(dt),
                    BruteForce.tensor(e).to(dt), AttentionOptions.defaults().withScale(c));
        }
    }

    @ParameterizedTest(name = "n={0} d={1} dv={2}")
    @CsvSource({"3, 2, 2, 0.5", "4, 3, 2, 0.3333333333333333", "5, 2, 3, 1.7"})
    void matchesExplicitKroneckerAndFiniteDifferences(int n, int d, int dv, double c) {
        Tiny tiny = Tiny.random(n * 100L + d, n, d, dv, c);
        LossGradient.Result r = tiny.compute(DType.FLOAT64);
        assertEquals(tiny.loss(), r.loss(), 1e-12 * Math.max(1, tiny.loss()));
        assertEquals(DType.FLOAT64, r.dx().dtype());
        assertEquals(d, r.dx().dim(0));
        assertEquals(d * d, r.dx().dim(1));
        double h = 1e-5;
        for (int row = 0; row < d; row++) {
            for (int col = 0; col < d * d; col++) {
                double keep = tiny.x[row][col];
                tiny.x[row][col] = keep + h;
                double up = tiny.loss();
                tiny.x[row][col] = keep - h;
                double down = tiny.loss();
                tiny.x[row][col] = keep;
                double fd = (up - down) / (2 * h);
                assertEquals(fd, r.dx().get(row * d * d + col), 1e-7 * Math.max(1, Math.abs(fd)),
                        "dx[" + row + "," + col + "]");
            }
        }
    }

    @Test
    void defaultScaleIsOneOverTheOriginalWidth() {
        Tiny tiny = Tiny.random(9, 4, 3, 2, 1.0 / 3);
        List<Tensor> ts = new ArrayList<>();
        for (double[][] m : tiny.a) {
            ts.add(BruteForce.tensor(m));
        }
        LossGradient.Result r = LossGradient.compute(ts, BruteForce.tensor(tiny.x), BruteForce.tensor(tiny.y),
                BruteForce.tensor(tiny.e), AttentionOptions.defaults());
        assertEquals(tiny.loss(), r.loss(), 1e-12);
    }

    @Test
    void float32AgreesWithFloat64() {
        Tiny tiny = Tiny.random(12, 6, 3, 4, 0.4);
        LossGradient.Result r64 = tiny.compute(DType.FLOAT64);
        LossGradient.Result r32 = tiny.compute(DType.FLOAT32);
        assertEquals(DType.FLOAT32, r32.dx().dtype());
        assertEquals(r64.loss(), r32.loss(), 1e-5 * Math.max(1, r64.loss()));
        double scale = r64.dx().maxAbs();
        for (int x = 0; x < r64.dx().size(); x++) {
            assertEquals(r64.dx().get(x), r32.dx().get(x), 1e-4 * scale);
        }
    }

    @Test
    void badShapesNameTheArray() {
        Tiny tiny = Tiny.random(1, 4, 2, 2, 0.5);
        List<Tensor> a = new ArrayList<>();
        for (double[][] m : tiny.a) {
            a.add(BruteForce.tensor(m));
        }
        Tensor x = BruteForce.tensor(tiny.x);
        Tensor y = BruteForce.tensor(tiny.y);
        Tensor e = BruteForce.tensor(tiny.e);
        AttentionOptions opt = AttentionOptions.defaults();
        List<Tensor> badA3 = new ArrayList<>(a);
        badA3.set(2, Tensor.zeros(DType.FLOAT64, 3, 2));
        assertNames("a3", () -> LossGradient.compute(badA3, x, y, e, opt));
        assertNames("x", () -> LossGradient.compute(a, Tensor.zeros(DType.FLOAT64, 2, 3), y, e, opt));
        assertNames("y", () -> LossGradient.compute(a, x, Tensor.zeros(DType.FLOAT64, 3, 2), e, opt));
        assertNames("e", () -> LossGradient.compute(a, x, y, Tensor.zeros(DType.FLOAT64, 4, 5), opt));
        assertMessage("loss-gradient needs a1 .. a5, got 4 arrays", () -> LossGradient.compute(a.subList(0, 4), x, y, e, opt));
        assertMessage("loss-gradient takes only the full mask", () -> LossGradient.compute(a, x, y, e, opt.causal()));
        Tensor nan = BruteForce.tensor(tiny.e);
        nan.doubles()[3] = Double.NaN;
        assertNames("e", () -> LossGradient.compute(a, x, y, nan, opt));
    }

    /** The one-line message begins with the array's name: "x has shape ..", not merely a letter somewhere. */
    private static void assertNames(String array, org.junit.jupiter.api.function.Executable call) {
        assertMessage(array + " ", call);
    }

    private static void assertMessage(String prefix, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, call);
        assertTrue(ex.getMessage().startsWith(prefix) && !ex.getMessage().contains("\n"),
                "message '" + ex.getMessage() + "' should begin with '" + prefix + "'");
    }
}
