package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.Validation;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

class PolyBackwardTest {

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 100;
        for (int order = 2; order <= 4; order++) {
            Mask window = order == 2 ? Mask.window(3) : order == 3 ? Mask.window(2, 4) : Mask.window(3, 1, 2);
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, window}) {
                cases.add(Arguments.of(order, mask, seed++));
            }
        }
        return cases.stream();
    }

    /** The row levels the call's plan gives (held fixed under the differences). */
    static RowLevels levels(PolyForwardTest.Problem pr, AttentionOptions o) {
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        AttentionOptions aligned = Validation.align(g, o);
        PolyAttention.Prepared call = PolyAttention.prepare(pr.q(), pr.keys(), pr.values(), g, aligned);
        return RowLevels.forCall(call.plan(), g, call.in.balance().magnitude);
    }

    /** L = sum dO ∘ O~ with the polynomials of every row level held fixed, for central differences. */
    static double loss(PolyForwardTest.Problem pr, Tensor dout, AttentionOptions o, RowLevels p) {
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        double[] out = PolyAttention.compute(PolyAttention.Inputs.of(pr.q(), pr.keys(), pr.values(), g, o), g, o, p,
                null, false);
        double s = 0;
        for (int i = 0; i < out.length; i++) {
            s += out[i] * dout.get(i);
        }
        return s;
    }

    static double checkAgainstDifferences(PolyForwardTest.Problem pr, Tensor dout, AttentionOptions o,
                                                  Tensor analytic, Tensor input, RowLevels p) {
        double h = 1e-5;
        double[] x = input.doubles();
        double worst = 0;
        for (int i = 0; i < x.length; i++) {
            double keep = x[i];
            x[i] = keep + h;
            double up = loss(pr, dout, o, p);
            x[i] = keep - h;
            double down = loss(pr, dout, o, p);
            x[i] = keep;
            double fd = (up - down) / (2 * h);
            worst = Math.max(worst, Math.abs(fd - analytic.get(i)));
        }
        return worst;
    }

    @ParameterizedTest(name = "order {0} {1}")
    @MethodSource("cases")
    void polyBackwardMatchesCentralDifferencesOfThePolyForward(int order, Mask mask, long seed) {
        Random rnd = new Random(seed);
        int n = 6 + rnd.nextInt(4);
        int d = 2 + rnd.nextInt(2);
        int dv = 2 + rnd.nextInt(2);
        // Two query heads share one key/value head: the key gradients add up over both.
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, order, new int[] {2}, new int[] {1}, n, d, dv, 1);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {2, n, dv}, 1);
        AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-6).withMethod(Method.POLY).withScale(0.6);
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        GradientResult r = PolyBackward.run(pr.q(), pr.keys(), pr.values(), dout, g, o);
        RowLevels p = levels(pr, o);
        // The output matches the forward pass.
        Tensor fwd = pr.run(o).output();
        assertTrue(PolyForwardTest.maxDiff(fwd, r.output()) < 1e-13);
        assertMatchesDifferences(pr, dout, o, r, p);
        // Given the forward's result, the backward takes O~ and D~ = exp(lse) from it instead.
        AttentionResult forward = pr.run(o);
        GradientResult reused = TensorAttention.backward(pr.q(), pr.keys(), pr.values(), dout, forward, o);
        assertEquals(0, PolyForwardTest.maxDiff(forward.output(), reused.output()), "the forward's output, as given");
        assertMatchesDifferences(pr, dout, o, reused, p);
    }

    /** Every gradient of r within 1e-7 of central differences of the poly forward (levels p held fixed). */
    static void assertMatchesDifferences(PolyForwardTest.Problem pr, Tensor dout, AttentionOptions o, GradientResult r,
                                         RowLevels p) {
        double tol = 1e-7;
        assertTrue(checkAgainstDifferences(pr, dout, o, r.dq(), pr.q(), p) < tol, "dq");
        for (int t = 0; t < pr.keys().size(); t++) {
            double dk = checkAgainstDifferences(pr, dout, o, r.dk().get(t), pr.keys().get(t), p);
            double dvv = checkAgainstDifferences(pr, dout, o, r.dv().get(t), pr.values().get(t), p);
            assertTrue(dk < tol, "dk" + (t + 1) + " off by " + dk);
            assertTrue(dvv < tol, "dv" + (t + 1) + " off by " + dvv);
        }
    }

    @Test
    void reusingTheForwardAgreesWithRecomputingItOnRowLevelsAndChunks() {
        Random rnd = new Random(91);
        int n = 2048;
        // d = dv = 8 at eps = 1e-3: rank 495, a query side large enough for row levels; 2 threads: causal chunks.
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, 3, new int[0], new int[0], n, 8, 8, 1);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {n, 8}, 1);
        for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(40, 90)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-3).withMethod(Method.POLY)
                    .withThreads(2);
            assertTrue(levels(pr, o).polynomial().length > 1, "rows spread over levels");
            AttentionResult fwd = pr.run(o);
            GradientResult given = TensorAttention.backward(pr.q(), pr.keys(), pr.values(), dout, fwd, o);
            GradientResult again = TensorAttention.backward(pr.q(), pr.keys(), pr.values(), dout, null, o);
            // D~ = exp(log D~) and O~ differ from the recomputed ones by a few roundings.
            assertTrue(PolyForwardTest.maxDiff(given.output(), again.output()) < 1e-12, mask + " output");
            assertTrue(PolyForwardTest.maxDiff(given.dq(), again.dq()) < 1e-10 * Math.max(1, again.dq().maxAbs()),
                    mask + " dq");
            for (int t = 0; t < 2; t++) {
                double scale = Math.max(1, again.dk().get(t).maxAbs());
                assertTrue(PolyForwardTest.maxDiff(given.dk().get(t), again.dk().get(t)) < 1e-10 * scale, mask + " dk");
                assertTrue(PolyForwardTest.maxDiff(given.dv().get(t), again.dv().get(t)) < 1e-10 * scale, mask + " dv");
            }
        }
    }

    @Test
    void aFloat32ForwardIsRecomputedNotReused() {
        Random rnd = new Random(92);
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, 3, new int[0], new int[0], 40, 3, 2, 1);
        List<Tensor> keys = pr.keys().stream().map(t -> t.to(org.tensorattention.core.DType.FLOAT32)).toList();
        List<Tensor> values = pr.values().stream().map(t -> t.to(org.tensorattention.core.DType.FLOAT32)).toList();
        Tensor q = pr.q().to(org.tensorattention.core.DType.FLOAT32);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {40, 2}, 1).to(org.tensorattention.core.DType.FLOAT32);
        AttentionOptions o = AttentionOptions.defaults().withMask(Mask.CAUSAL).withEpsilon(1e-4).withMethod(Method.POLY);
        AttentionResult fwd = TensorAttention.forward(q, keys, values, o);
        GradientResult given = TensorAttention.backward(q, keys, values, dout, fwd, o);
        GradientResult again = TensorAttention.backward(q, keys, values, dout, null, o);
        assertEquals(0, PolyForwardTest.maxDiff(given.dq(), again.dq()), "the same computation");
        assertEquals(0, PolyForwardTest.maxDiff(given.dk().get(0), again.dk().get(0)));
    }

    @ParameterizedTest(name = "order {0} {1}")
    @MethodSource("cases")
    void polyGradientIsCloseToTheExactGradient(int order, Mask mask, long seed) {
        Random rnd = new Random(seed + 1000);
        int n = 10;
        int d = 3;
        int dv = 2;
        double eps = 1e-6;
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, order, new int[0], new int[0], n, d, dv, 1);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {n, dv}, 1);
        AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(eps).withMethod(Method.POLY);
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        GradientResult r = PolyBackward.run(pr.q(), pr.keys(), pr.values(), dout, g, o);
        ExactGradient ex = ExactGradient.of(pr, dout, 1.0 / d, mask);
        double scale = Math.max(1, ex.maxAbs());
        double worst = PolyForwardTest.maxDiff(r.dq(), BruteForce.tensor(ex.dq)) / scale;
        for (int t = 0; t < order - 1; t++) {
            worst = Math.max(worst, PolyForwardTest.maxDiff(r.dk().get(t), BruteForce.tensor(ex.dk[t])) / scale);
            worst = Math.max(worst, PolyForwardTest.maxDiff(r.dv().get(t), BruteForce.tensor(ex.dv[t])) / scale);
        }
        // Measured: a small multiple of eps (see docs/POLY.md); the assertion leaves room of 10 eps.
        assertTrue(worst < 10 * eps, "relative gradient error " + worst);

        // The proven entrywise bounds (docs/POLY.md), with delta' the derivative's certified relative error:
        // |dQ~ - dQ|[i,l] <= (2 (delta + delta') / (1 - delta) + 2 delta / (1 - delta)) |dO_i|_1 Vinf |c| prod_t max|K_t[:,l]|
        // |dV~_t - dV_t|[j,l] <= 2 delta / (1 - delta) sum_i |dO[i,l]| prod_{u != t} max|V_u[:,l]|
        PolyPlan plan = PolyAttention.plan(pr.q(), pr.keys(), pr.values(), o);
        double delta = plan.delta();
        double weight = 2 * delta / (1 - delta);
        double gamma = 2 * (delta + levels(pr, o).derivativeDelta()) / (1 - delta) + weight;
        double vinf = pr.vinf();
        double c = 1.0 / d;
        assertQueryGradientBound(pr, dout, r.dq(), ex.dq, gamma * vinf * c);
        for (int t = 0; t < order - 1; t++) {
            for (int l = 0; l < dv; l++) {
                double others = 1;
                for (int u = 0; u < order - 1; u++) {
                    if (u != t) {
                        others *= columnMax(pr.values().get(u), l);
                    }
                }
                double sumDo = 0;
                for (int i = 0; i < n; i++) {
                    sumDo += Math.abs(dout.get(i * dv + l));
                }
                double bound = weight * sumDo * others;
                for (int j = 0; j < n; j++) {
                    assertTrue(Math.abs(r.dv().get(t).get(j * dv + l) - ex.dv[t][j][l]) <= bound * (1 + 1e-6) + 1e-13,
                            "dv bound");
                }
            }
        }
    }

    @Test
    void maskedChunksInParallelAgreeWithOneSweep() {
        Random rnd = new Random(78);
        int n = 1100;
        // Two problems sharing keys (grouped heads): chunks of both add into the same dK, dV.
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, 3, new int[] {2}, new int[] {1}, n, 2, 3, 1);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {2, n, 3}, 1);
        for (Mask mask : new Mask[] {Mask.CAUSAL, Mask.window(20, 7), Mask.window(1, 60)}) {
            compareThreadCounts(pr, dout, AttentionOptions.defaults().withMask(mask).withEpsilon(1e-5)
                    .withMethod(Method.POLY));
        }
    }

    private static void compareThreadCounts(PolyForwardTest.Problem pr, Tensor dout, AttentionOptions o) {
        Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
        GradientResult one = PolyBackward.run(pr.q(), pr.keys(), pr.values(), dout, g, o.withThreads(1));
        GradientResult many = PolyBackward.run(pr.q(), pr.keys(), pr.values(), dout, g, o.withThreads(3));
        assertTrue(PolyForwardTest.maxDiff(one.output(), many.output()) < 1e-12);
        assertTrue(PolyForwardTest.maxDiff(one.dq(), many.dq()) < 1e-10);
        for (int t = 0; t < 2; t++) {
            double scale = Math.max(1, one.dk().get(t).maxAbs());
            assertTrue(PolyForwardTest.maxDiff(one.dk().get(t), many.dk().get(t)) < 1e-10 * scale, "dk" + t);
            assertTrue(PolyForwardTest.maxDiff(one.dv().get(t), many.dv().get(t)) < 1e-10 * scale, "dv" + t);
        }
    }

    /** |dQ~ - dQ|[i,l] <= factor |dO_i|_1 prod_t max|K_t[:,l]| (factor = gamma Vinf |c|, docs/POLY.md). */
    static void assertQueryGradientBound(PolyForwardTest.Problem pr, Tensor dout, Tensor dq, double[][] exact,
                                         double factor) {
        int d = pr.q().dim(-1);
        int dv = dout.dim(-1);
        for (int i = 0; i < exact.length; i++) {
            double dO1 = 0;
            for (int l = 0; l < dv; l++) {
                dO1 += Math.abs(dout.get(i * dv + l));
            }
            for (int l = 0; l < d; l++) {
                double keyMax = 1;
                for (Tensor k : pr.keys()) {
                    keyMax *= columnMax(k, l);
                }
                double bound = factor * dO1 * keyMax;
                assertTrue(Math.abs(dq.get(i * d + l) - exact[i][l]) <= bound * (1 + 1e-6) + 1e-13, "dq bound");
            }
        }
    }

    static double columnMax(Tensor m, int l) {
        int w = m.dim(-1);
        double best = 0;
        for (int r = 0; r < m.size() / w; r++) {
            best = Math.max(best, Math.abs(m.get(r * w + l)));
        }
        return best;
    }

    @Test
    void largerCausalAndWindowProblemsUseCheckpointsAndLaggingStates() {
        Random rnd = new Random(77);
        int n = 150;
        PolyForwardTest.Problem pr = PolyForwardTest.Problem.random(rnd, 3, new int[0], new int[0], n, 2, 2, 1);
        Tensor dout = PolyForwardTest.fill(rnd, new int[] {n, 2}, 1);
        for (Mask mask : new Mask[] {Mask.CAUSAL, Mask.window(20, 7)}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-6).withMethod(Method.POLY);
            Geometry g = Validation.geometry(pr.q(), pr.keys(), pr.values());
            GradientResult r = PolyBackward.run(pr.q(), pr.keys(), pr.values(), dout, g, o);
            ExactGradient ex = ExactGradient.of(pr, dout, 0.5, mask);
            double scale = Math.max(1, ex.maxAbs());
            // All 2k - 1 gradients: dq, and dk_t, dv_t of every factor.
            double diff = PolyForwardTest.maxDiff(r.dq(), BruteForce.tensor(ex.dq)) / scale;
            assertTrue(diff < 1e-5, mask + " dq: " + diff);
            for (int t = 0; t < ex.dk.length; t++) {
                diff = PolyForwardTest.maxDiff(r.dk().get(t), BruteForce.tensor(ex.dk[t])) / scale;
                assertTrue(diff < 1e-5, mask + " dk" + (t + 1) + ": " + diff);
                diff = PolyForwardTest.maxDiff(r.dv().get(t), BruteForce.tensor(ex.dv[t])) / scale;
                assertTrue(diff < 1e-5, mask + " dv" + (t + 1) + ": " + diff);
            }
            assertEquals(Method.POLY, r.method());
        }
    }

    /** The exact attention gradient of SPEC.md section 3, by enumeration (one problem). */
    record ExactGradient(double[][] dq, double[][][] dk, double[][][] dv) {
        double maxAbs() {
            double m = 0;
            for (double[] row : dq) {
                for (double x : row) {
                    m = Math.max(m, Math.abs(x));
                }
            }
            for (double[][] a : dk) {
                for (double[] row : a) {
                    for (double x : row) {
                        m = Math.max(m, Math.abs(x));
                    }
                }
            }
            return m;
        }

        static double[][] matrix(Tensor t) {
            int rows = t.dim(-2);
            int cols = t.dim(-1);
            double[][] m = new double[rows][cols];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    m[r][c] = t.get(r * cols + c);
                }
            }
            return m;
        }

        static ExactGradient of(PolyForwardTest.Problem pr, Tensor dout, double c, Mask mask) {
            double[][] q = matrix(pr.q());
            int factors = pr.keys().size();
            double[][][] k = new double[factors][][];
            double[][][] v = new double[factors][][];
            for (int t = 0; t < factors; t++) {
                k[t] = matrix(pr.keys().get(t));
                v[t] = matrix(pr.values().get(t));
            }
            double[][] dO = matrix(dout);
            double[][] o = BruteForce.forward(q, k, v, c, mask);
            int n = q.length;
            int d = q[0].length;
            int dv = v[0][0].length;
            int[] sizes = new int[factors];
            double[][][] dk = new double[factors][][];
            double[][][] dvv = new double[factors][][];
            for (int t = 0; t < factors; t++) {
                sizes[t] = k[t].length;
                dk[t] = new double[sizes[t]][d];
                dvv[t] = new double[sizes[t]][dv];
            }
            double[][] dq = new double[n][d];
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                int[] j = new int[factors];
                do {
                    if (BruteForce.allowed(mask, i, j, n, sizes)) {
                        max = Math.max(max, BruteForce.score(q, k, c, i, j));
                    }
                } while (BruteForce.next(j, sizes));
                double sum = 0;
                j = new int[factors];
                do {
                    if (BruteForce.allowed(mask, i, j, n, sizes)) {
                        sum += Math.exp(BruteForce.score(q, k, c, i, j) - max);
                    }
                } while (BruteForce.next(j, sizes));
                if (sum == 0) {
                    continue; // a row that sees no tuple: no weights, no gradient
                }
                double delta = 0;
                for (int l = 0; l < dv; l++) {
                    delta += dO[i][l] * o[i][l];
                }
                j = new int[factors];
                do {
                    if (!BruteForce.allowed(mask, i, j, n, sizes)) {
                        continue;
                    }
                    double pij = Math.exp(BruteForce.score(q, k, c, i, j) - max) / sum;
                    double dp = 0;
                    for (int l = 0; l < dv; l++) {
                        double prod = dO[i][l];
                        for (int t = 0; t < factors; t++) {
                            prod *= v[t][j[t]][l];
                        }
                        dp += prod;
                    }
                    double ds = pij * (dp - delta);
                    for (int l = 0; l < d; l++) {
                        double prodK = 1;
                        for (int t = 0; t < factors; t++) {
                            prodK *= k[t][j[t]][l];
                        }
                        dq[i][l] += c * ds * prodK;
                        for (int t = 0; t < factors; t++) {
                            double others = q[i][l];
                            for (int u = 0; u < factors; u++) {
                                if (u != t) {
                                    others *= k[u][j[u]][l];
                                }
                            }
                            dk[t][j[t]][l] += c * ds * others;
                        }
                    }
                    for (int l = 0; l < dv; l++) {
                        for (int t = 0; t < factors; t++) {
                            double others = pij * dO[i][l];
                            for (int u = 0; u < factors; u++) {
                                if (u != t) {
                                    others *= v[u][j[u]][l];
                                }
                            }
                            dvv[t][j[t]][l] += others;
                        }
                    }
                } while (BruteForce.next(j, sizes));
            }
            return new ExactGradient(dq, dk, dvv);
        }
    }
}
