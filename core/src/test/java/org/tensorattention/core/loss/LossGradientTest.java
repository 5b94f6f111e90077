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
import org.tensorattention.core.Float32Bound;
import org.tensorattention.core.Mask;
import org.tensorattention.core.grad.GradientReference;
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

        /** L(X) by its definition: 1/2 ||r||_F^2. */
        double loss() {
            double total = 0;
            for (double[] row : residual()) {
                for (double r : row) {
                    total += r * r;
                }
            }
            return 0.5 * total;
        }

        /** r = O Y - E with A = exp(c A1 X K^T), O = D^{-1} A V (explicit Kronecker products). */
        double[][] residual() {
            double[][] kk = kron(a[1], a[2]);
            double[][] vv = kron(a[3], a[4]);
            double[][] ax = mul(a[0], x);
            int n = a[0].length;
            double[][] vy = mul(vv, y);
            double[][] res = new double[n][e[0].length];
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
                    res[i][l] = o / sum - e[i][l];
                }
            }
            return res;
        }

        /** The same problem with every input rounded to a float32 value. */
        Tiny rounded() {
            return new Tiny(Float32Bound.round(a), Float32Bound.round(x), Float32Bound.round(y),
                    Float32Bound.round(e), c);
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

    /**
     * The float32 loss and dL/dX within a bound derived from the float32 kernels' bounds (Float32Bound), on inputs
     * that are float32 values already, against the float64 call on the same inputs (whose own rounding is some
     * 2^29 times smaller). With u = 2^-24, the float32 path rounds Q' = A1 X (each score moves by at most u R,
     * each weight by a factor within e^{+-2 u R}, so O' by rho = expm1(4 u R) Vinf), runs the float32 forward
     * (Float32Bound.forward Vinf), forms r = O' Y - E and dO' = r Y^T in float64 (dO' rounded: u), runs the float32
     * backward (Float32Bound.Gradients, per entry) and forms dX = A1^T dQ' in float64 (rounded: u). Each error is
     * carried through the linear steps that follow it by the absolute values of their factors; the products of two
     * error terms (each checked below 1e-3 here) are covered by a factor 1.01. The bound is a worst case: the
     * measured errors sit 1e-5 to 1e-4 of it, most of the gap being the forward's a-priori bound.
     */
    @ParameterizedTest(name = "seed={0} n={1} d={2} dv={3} c={4}")
    @CsvSource({"12, 6, 3, 4, 0.4", "5, 8, 2, 3, 1.5", "7, 4, 4, 2, 0.25"})
    void float32StaysWithinItsDerivedBound(long seed, int n, int d, int dv, double c) {
        Tiny tiny = Tiny.random(seed, n, d, dv, c).rounded();
        LossGradient.Result r64 = tiny.compute(DType.FLOAT64);
        LossGradient.Result r32 = tiny.compute(DType.FLOAT32);
        assertEquals(DType.FLOAT32, r32.dx().dtype());
        double u = Float32Bound.U;
        int w = d * d;
        double[][] qPrime = Float32Bound.round(Tiny.mul(tiny.a[0], tiny.x));
        double[][][] k = {rows(LossGradient.expandLeft(BruteForce.tensor(tiny.a[1]).doubles(), n, d), w),
                rows(LossGradient.expandRight(BruteForce.tensor(tiny.a[2]).doubles(), n, d), w)};
        double[][][] v = {rows(LossGradient.expandLeft(BruteForce.tensor(tiny.a[3]).doubles(), n, d), w),
                rows(LossGradient.expandRight(BruteForce.tensor(tiny.a[4]).doubles(), n, d), w)};
        double radius = Float32Bound.radius(qPrime, k, c);
        double rho = Math.expm1(4 * u * radius);
        double vinf = Float32Bound.maxAbs(tiny.a[3]) * Float32Bound.maxAbs(tiny.a[4]);
        double oErr = (Float32Bound.forward(w, 3, radius, n) + rho) * vinf;
        double yCol = 0;
        for (int l = 0; l < dv; l++) {
            double s = 0;
            for (int m = 0; m < w; m++) {
                s += Math.abs(tiny.y[m][l]);
            }
            yCol = Math.max(yCol, s);
        }
        double rErr = oErr * yCol;
        double[][] residual = tiny.residual();
        double rSum = 0;
        for (double[] row : residual) {
            rSum += sumAbs(row);
        }
        double lossErr = 1.01 * (rErr * rSum + 0.5 * n * dv * rErr * rErr);
        assertTrue(rErr / Math.max(rSum / (n * dv), 1e-300) < 1e-3, "first-order model applies");
        assertEquals(r64.loss(), r32.loss(), lossErr);

        double[][] dO = Tiny.mul(residual, transpose(tiny.y));
        double[][] doErr = new double[n][w];
        for (int i = 0; i < n; i++) {
            for (int m = 0; m < w; m++) {
                doErr[i][m] = rErr * sumAbs(tiny.y[m]) + u * Math.abs(dO[i][m]);
            }
        }
        Float32Bound.Gradients kernel = Float32Bound.Gradients.of(qPrime, k, v, dO, c, Mask.FULL);
        // dQ' is linear in dO: dO's error carried through by the sums of |term| with doErr in dO's place.
        double[][] fromDo = GradientReference.magnitudes(qPrime, k, v, doErr, c, Mask.FULL).dq;
        double[][] dqErr = new double[n][w];
        for (int i = 0; i < n; i++) {
            double dP = sumAbs(dO[i]) * vinf;
            for (int l = 0; l < w; l++) {
                double kl = Float32Bound.columnMax(k[0], l) * Float32Bound.columnMax(k[1], l);
                // P moved by rho: c sum |dP P| |K| and the Delta it feeds.
                dqErr[i][l] = kernel.dq()[i][l] + fromDo[i][l] + 3 * rho * Math.abs(c) * kl * dP;
            }
        }
        double[][] dxErr = Tiny.mul(transpose(abs(tiny.a[0])), dqErr);
        for (int r = 0; r < d; r++) {
            for (int col = 0; col < w; col++) {
                double expected = r64.dx().get(r * w + col);
                double tol = 1.01 * (dxErr[r][col] + u * Math.abs(expected));
                assertEquals(expected, r32.dx().get(r * w + col), tol, "dx[" + r + "," + col + "]");
            }
        }
    }

    private static double[][] rows(Tensor t, int cols) {
        double[] f = t.doubles();
        double[][] r = new double[f.length / cols][cols];
        for (int i = 0; i < r.length; i++) {
            System.arraycopy(f, i * cols, r[i], 0, cols);
        }
        return r;
    }

    private static double[][] transpose(double[][] m) {
        double[][] r = new double[m[0].length][m.length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[0].length; j++) {
                r[j][i] = m[i][j];
            }
        }
        return r;
    }

    private static double[][] abs(double[][] m) {
        double[][] r = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            r[i] = new double[m[i].length];
            for (int j = 0; j < m[i].length; j++) {
                r[i][j] = Math.abs(m[i][j]);
            }
        }
        return r;
    }

    private static double sumAbs(double[] row) {
        double s = 0;
        for (double x : row) {
            s += Math.abs(x);
        }
        return s;
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
