package org.tensorattention.core.poly;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.DType;
import org.tensorattention.core.Float32Bound;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * The polynomial method's certificate when q, the keys, the values and the scale are scaled against each other
 * (scores unchanged or bounded), rows that see no tuple, empty calls, and what auto promises.
 */
class ScalingTest {
    private static final double U = 0x1p-53;

    /** One problem given as matrices, with its tensors. */
    record Case(double[][] q, double[][][] k, double[][][] v) {
        PolyForwardTest.Problem problem() {
            return problem(DType.FLOAT64);
        }

        /** The tensors in dtype (float32: the matrices must hold float32 values already). */
        PolyForwardTest.Problem problem(DType dtype) {
            List<Tensor> keys = new ArrayList<>();
            List<Tensor> values = new ArrayList<>();
            for (int t = 0; t < k.length; t++) {
                keys.add(BruteForce.tensor(k[t]).to(dtype));
                values.add(BruteForce.tensor(v[t]).to(dtype));
            }
            return new PolyForwardTest.Problem(BruteForce.tensor(q).to(dtype), keys, values);
        }

        /** Vinf = max_l prod_t max_j |V_t[j, l]|. */
        double vinf() {
            double worst = 0;
            for (int l = 0; l < v[0][0].length; l++) {
                double prod = 1;
                for (double[][] vt : v) {
                    prod *= Float32Bound.columnMax(vt, l);
                }
                worst = Math.max(worst, prod);
            }
            return worst;
        }

        /** Tuples a row can see at most: the float64 reference sums that many terms. */
        double tuples() {
            double n = 1;
            for (double[][] kt : k) {
                n *= kt.length;
            }
            return n;
        }
    }

    static double[][] scaled(double[][] m, double f) {
        double[][] r = new double[m.length][];
        for (int i = 0; i < m.length; i++) {
            r[i] = m[i].clone();
            for (int c = 0; c < r[i].length; c++) {
                r[i][c] *= f;
            }
        }
        return r;
    }

    static Case random(Random rnd, int order, int nq, int[] nk, int d, int dv, double bound) {
        double[][][] k = new double[order - 1][][];
        double[][][] v = new double[order - 1][][];
        for (int t = 0; t < order - 1; t++) {
            k[t] = BruteForce.random(rnd, nk[t], d, bound);
            v[t] = BruteForce.random(rnd, nk[t], dv, 1);
        }
        return new Case(BruteForce.random(rnd, nq, d, bound), k, v);
    }

    /**
     * Float64 rounding of the brute-force reference (two-pass softmax over at most N tuples, scores of d
     * products of k factors): its output moves by at most about (N + d + k) u Vinf; eight times that.
     */
    static double referenceSlack(Case c) {
        return 8 * (c.tuples() + c.q[0].length + c.k.length + 8) * U * c.vinf();
    }

    /** Largest |poly - reference| over rows that see a tuple; rows that see none must be exactly zero. */
    static double forwardError(Case c, Tensor out, double scale, Mask mask) {
        double[][] ref = BruteForce.forward(c.q, c.k, c.v, scale, mask);
        int dv = c.v[0][0].length;
        int[] nk = new int[c.k.length];
        for (int t = 0; t < nk.length; t++) {
            nk[t] = c.k[t].length;
        }
        double worst = 0;
        for (int i = 0; i < c.q.length; i++) {
            boolean empty = mask.allowed(i, nk) == 0;
            for (int l = 0; l < dv; l++) {
                double o = out.get(i * dv + l);
                assertTrue(Double.isFinite(o), "row " + i + " is not finite: " + o);
                if (empty) {
                    assertEquals(0.0, o, "row " + i + " sees no tuple");
                } else {
                    worst = Math.max(worst, Math.abs(o - ref[i][l]));
                }
            }
        }
        return worst;
    }

    /** Runs poly forward and checks it against the reference within its reported bound; returns that bound. */
    static double checkForward(Case c, AttentionOptions o) {
        return checkForward(c, o, DType.FLOAT64);
    }

    static double checkForward(Case c, AttentionOptions o, DType dtype) {
        return checkedForward(c, o, dtype).poly().errorBound();
    }

    /** {@link #checkForward}, returning the result. */
    static AttentionResult checkedForward(Case c, AttentionOptions o, DType dtype) {
        PolyForwardTest.Problem pr = c.problem(dtype);
        AttentionResult r = pr.run(o.withMethod(Method.POLY));
        assertEquals(Method.POLY, r.method());
        double scale = o.scaleFor(c.q[0].length);
        double err = forwardError(c, r.output(), scale, o.mask());
        double bound = r.poly().errorBound();
        assertTrue(bound <= o.epsilon() * c.vinf() * (1 + 1e-12), "reported bound " + bound + " > eps Vinf");
        assertTrue(err <= bound + referenceSlack(c), "error " + err + " > certified " + bound + " (" + o.mask() + ")");
        return r;
    }

    /**
     * Runs the poly backward and checks each gradient entry against the brute-force gradient within the proven
     * entrywise bounds of docs/POLY.md. Every bound is a factor gamma times a base quantity that scales with
     * the data; float64 rounding of the kernel and of the reference (N-term sums) gets 1e-12 of that base.
     */
    static void checkBackward(Case c, Tensor dout, AttentionOptions o) {
        PolyForwardTest.Problem pr = c.problem();
        AttentionOptions po = o.withMethod(Method.POLY);
        GradientResult r = TensorAttention.backward(pr.q(), pr.keys(), pr.values(), dout, null, po);
        assertEquals(Method.POLY, r.method());
        int d = c.q[0].length;
        double scale = po.scaleFor(d);
        PolyBackwardTest.ExactGradient ex = PolyBackwardTest.ExactGradient.of(pr, dout, scale, o.mask());
        PolyPlan plan = PolyAttention.plan(pr.q(), pr.keys(), pr.values(), po);
        double delta = plan.delta();
        double weight = 2 * delta / (1 - delta);
        double gamma = 2 * (delta + PolyBackwardTest.levels(pr, po).derivativeDelta()) / (1 - delta) + weight;
        double slack = 1e-12;
        double vinf = c.vinf();
        int nq = c.q.length;
        int dv = c.v[0][0].length;
        int factors = c.k.length;
        double[][] dO = PolyBackwardTest.ExactGradient.matrix(dout);
        double[] dO1 = new double[nq];
        for (int i = 0; i < nq; i++) {
            for (int l = 0; l < dv; l++) {
                dO1[i] += Math.abs(dO[i][l]);
            }
        }
        for (int i = 0; i < nq; i++) {
            for (int l = 0; l < d; l++) {
                double base = dO1[i] * vinf * Math.abs(scale) * productOfMaxima(c.k, -1, l);
                double got = r.dq().get(i * d + l);
                assertTrue(Math.abs(got - ex.dq()[i][l]) <= (gamma + slack) * base * (1 + 1e-6),
                        "dq[" + i + "," + l + "] " + got + " vs " + ex.dq()[i][l] + ", base " + base);
            }
        }
        for (int t = 0; t < factors; t++) {
            for (int l = 0; l < d; l++) {
                double sum = 0;
                for (int i = 0; i < nq; i++) {
                    sum += dO1[i] * Math.abs(c.q[i][l]);
                }
                double base = vinf * Math.abs(scale) * productOfMaxima(c.k, t, l) * sum;
                assertColumn("dk" + (t + 1), r.dk().get(t), ex.dk()[t], l, (gamma + slack) * base * (1 + 1e-6));
            }
            for (int l = 0; l < dv; l++) {
                double sum = 0;
                for (int i = 0; i < nq; i++) {
                    sum += Math.abs(dO[i][l]);
                }
                double base = sum * productOfMaxima(c.v, t, l);
                assertColumn("dv" + (t + 1), r.dv().get(t), ex.dv()[t], l, (weight + slack) * base * (1 + 1e-6));
            }
        }
    }

    /** prod_{u != skip} max_j |m_u[j, l]| (skip = -1: every factor). */
    static double productOfMaxima(double[][][] m, int skip, int l) {
        double prod = 1;
        for (int u = 0; u < m.length; u++) {
            if (u != skip) {
                prod *= Float32Bound.columnMax(m[u], l);
            }
        }
        return prod;
    }

    /** |got - want| <= tol in every row of column l. */
    static void assertColumn(String name, Tensor got, double[][] want, int l, double tol) {
        int w = want[0].length;
        for (int j = 0; j < want.length; j++) {
            double x = got.get(j * w + l);
            assertTrue(Math.abs(x - want[j][l]) <= tol, name + "[" + j + "," + l + "] " + x + " vs " + want[j][l]);
        }
    }

    static Mask[] masks(int order) {
        return new Mask[] {Mask.FULL, Mask.CAUSAL, order == 2 ? Mask.window(3) : order == 3 ? Mask.window(2, 3)
                : Mask.window(2, 3, 2)};
    }

    @Test
    void tinyQueriesAgainstHugeKeysStayFiniteAndWithinTheBound() {
        // q ~ 1e-100, keys ~ 1e50: every score is O(1), but k^L overflows and q^L underflows unless balanced.
        Random rnd = new Random(101);
        Case base = random(rnd, 3, 7, new int[] {7, 7}, 3, 2, 1);
        Case c = new Case(scaled(base.q, 1e-100), new double[][][] {scaled(base.k[0], 1e50), scaled(base.k[1], 1e50)},
                base.v);
        Tensor dout = BruteForce.tensor(BruteForce.random(rnd, 7, 2, 1));
        for (Mask mask : masks(3)) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-6);
            checkForward(c, o);
            checkBackward(c, dout, o);
        }
    }

    /** Order 3, n rows: q and the keys +-magnitude with random signs, values in [-1, 1]. */
    static Case plusMinus(Random rnd, int n, int d, double magnitude) {
        double[][][] m = new double[3][n][d];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < d; l++) {
                for (double[][] a : m) {
                    a[i][l] = rnd.nextBoolean() ? magnitude : -magnitude;
                }
            }
        }
        return new Case(m[0], new double[][][] {m[1], m[2]},
                new double[][][] {BruteForce.random(rnd, n, 2, 1), BruteForce.random(rnd, n, 2, 1)});
    }

    @Test
    void hugeEntriesWithATinyScaleKeepEveryPolynomialTerm() {
        // Entries +-1e10, scale 1e-30: each term of a score is +-1, scores +-1 or +-3. c^j underflows for
        // j >= 11, so the scale must be folded into the data rather than into the coefficients.
        Random rnd = new Random(102);
        Case c = plusMinus(rnd, 6, 3, 1e10);
        for (Mask mask : masks(3)) {
            AttentionOptions o = AttentionOptions.defaults().withScale(1e-30).withMask(mask).withEpsilon(1e-8);
            double bound = checkForward(c, o);
            assertTrue(bound > 0, "a bound is reported");
        }
    }

    @Test
    void columnsThatReachNoScoreAndAZeroScaleStayExact() {
        // Column 0: q is zero against keys 1e100 (their features alone would overflow); column 1: k2 is zero
        // against q 1e150 and k1 1e100. Neither reaches a score, but dq[:, 0] and dk2[:, 1] are nonzero.
        Random rnd = new Random(107);
        Case c = random(rnd, 3, 6, new int[] {6, 6}, 3, 2, 1);
        for (int i = 0; i < 6; i++) {
            c.q[i][0] = 0;
            c.k[0][i][0] *= 1e100;
            c.k[1][i][0] *= 1e100;
            c.q[i][1] *= 1e150;
            c.k[0][i][1] *= 1e100;
            c.k[1][i][1] = 0;
        }
        Tensor dout = BruteForce.tensor(BruteForce.random(rnd, 6, 2, 1));
        for (Mask mask : masks(3)) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-6);
            checkForward(c, o);
            checkBackward(c, dout, o);
            // Scale 0: every score is 0, uniform weights.
            checkForward(c, o.withScale(0));
            checkBackward(c, dout, o.withScale(0));
        }
    }

    @Test
    void problemsOfVeryDifferentMagnitudesInOneBatchAreBalancedEachOnItsOwn() {
        // Batch entry 0: q ~ 1e-100 with keys ~ 1e50; entry 1: entries ~ 1. One shift per batch entry would
        // leave one of them out of range.
        Random rnd = new Random(108);
        Case small = random(rnd, 3, 6, new int[] {6, 6}, 2, 2, 1);
        Case tiny = new Case(scaled(small.q, 1e-100), new double[][][] {scaled(small.k[0], 1e50),
                scaled(small.k[1], 1e50)}, small.v);
        Case unit = random(rnd, 3, 6, new int[] {6, 6}, 2, 2, 1);
        Tensor q = stack(tiny.q, unit.q);
        List<Tensor> keys = List.of(stack(tiny.k[0], unit.k[0]), stack(tiny.k[1], unit.k[1]));
        List<Tensor> values = List.of(stack(tiny.v[0], unit.v[0]), stack(tiny.v[1], unit.v[1]));
        for (Mask mask : masks(3)) {
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withEpsilon(1e-6).withMethod(Method.POLY);
            AttentionResult r = TensorAttention.forward(q, keys, values, o);
            Case[] parts = {tiny, unit};
            for (int b = 0; b < 2; b++) {
                double[] row = new double[6 * 2];
                for (int i = 0; i < row.length; i++) {
                    row[i] = r.output().get(b * row.length + i);
                }
                double err = forwardError(parts[b], Tensor.of(row, 6, 2), 0.5, mask);
                assertTrue(err <= r.poly().errorBound() + referenceSlack(parts[b]), "batch " + b + ": " + err);
            }
        }
    }

    /** Two (rows, cols) matrices as one (2, rows, cols) tensor. */
    static Tensor stack(double[][] a, double[][] b) {
        int rows = a.length;
        int cols = a[0].length;
        double[] flat = new double[2 * rows * cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(a[i], 0, flat, i * cols, cols);
            System.arraycopy(b[i], 0, flat, (rows + i) * cols, cols);
        }
        return Tensor.of(flat, 2, rows, cols);
    }

    @Test
    void decoderFoldsATinyScaleIntoItsData() {
        // Entries +-1e10 with scale 1e-30, one token at a time: c^j would underflow for j >= 11.
        Random rnd = new Random(109);
        int n = 6;
        int d = 3;
        Case c = plusMinus(rnd, n, d, 1e10);
        double[][] q = c.q;
        double[][][] k = c.k;
        double eps = 1e-8;
        PolyDecoder dec = new PolyDecoder(3, d, 2, 1e-30, 3 * (1 + 1e-12), eps, n);
        double[][] ref = BruteForce.forward(c.q, c.k, c.v, 1e-30, Mask.CAUSAL);
        for (int i = 0; i < n; i++) {
            double[] o = dec.append(q[i], new double[][] {k[0][i], k[1][i]}, new double[][] {c.v[0][i], c.v[1][i]});
            for (int l = 0; l < 2; l++) {
                assertTrue(Math.abs(o[l] - ref[i][l]) <= eps * c.vinf() + referenceSlack(c), "token " + i + ": "
                        + o[l] + " vs " + ref[i][l]);
            }
        }
    }

    @Test
    void decoderRefusesTokensPastItsFloat64RangeInsteadOfReturningNaN() {
        // q ~ 1e-100 against keys ~ 1e50: scores below 1, but a decoder cannot balance one token against later
        // ones, and k^L would overflow.
        PolyDecoder dec = new PolyDecoder(3, 2, 1, Double.NaN, 2, 1e-6, 8);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> dec.append(
                new double[] {1e-100, -1e-100}, new double[][] {{1e50, 1e50}, {-1e50, 1e50}},
                new double[][] {{1}, {1}}));
        assertTrue(e.getMessage().startsWith("token 0 has an entry") && e.getMessage().contains("certificate covers"),
                e.getMessage());
        assertEquals(0, dec.tokens());
        double[] ok = dec.append(new double[] {0.5, -0.5}, new double[][] {{1, 1}, {-1, 1}}, new double[][] {{2}, {3}});
        assertEquals(6, ok[0], 1e-12);
    }

    @Test
    void rowsThatSeeNoTupleGiveZerosForward() {
        // Window (2, 2) placed top-left (query i at position i), q 9 rows, k1 3 rows, k2 5 rows: rows 4..8 see no j1.
        Random rnd = new Random(103);
        Case c = random(rnd, 3, 9, new int[] {3, 5}, 3, 2, 1);
        for (int threads : new int[] {1, 2}) {
            AttentionOptions o = AttentionOptions.defaults().withMask(Mask.window(2, 2).shifted(0, 0)).withEpsilon(1e-6)
                    .withThreads(threads);
            checkForward(c, o);
            Tensor out = c.problem().run(o.withMethod(Method.POLY)).output();
            for (int i = 4; i < 9; i++) {
                for (int l = 0; l < 2; l++) {
                    assertEquals(0.0, out.get(i * 2 + l), "row " + i);
                }
            }
        }
    }

    @Test
    void rowsThatSeeNoTupleGetNoGradient() {
        Random rnd = new Random(104);
        Case c = random(rnd, 3, 9, new int[] {3, 5}, 3, 2, 1);
        Tensor dout = BruteForce.tensor(BruteForce.random(rnd, 9, 2, 1));
        AttentionOptions o = AttentionOptions.defaults().withMask(Mask.window(2, 2).shifted(0, 0)).withEpsilon(1e-6);
        checkBackward(c, dout, o);
        PolyForwardTest.Problem pr = c.problem();
        GradientResult r = TensorAttention.backward(pr.q(), pr.keys(), pr.values(), dout, null, o.withMethod(Method.POLY));
        for (int i = 4; i < 9; i++) {
            for (int l = 0; l < 3; l++) {
                assertEquals(0.0, r.dq().get(i * 3 + l), "dq row " + i);
            }
            for (int l = 0; l < 2; l++) {
                assertEquals(0.0, r.output().get(i * 2 + l), "o row " + i);
            }
        }
    }

    @Test
    void emptyBatchesAndEmptyQueryRowsGiveEmptyResults() {
        Random rnd = new Random(105);
        Tensor q0 = Tensor.zeros(DType.FLOAT64, 0, 5, 3);
        List<Tensor> k0 = List.of(Tensor.zeros(DType.FLOAT64, 0, 5, 3), Tensor.zeros(DType.FLOAT64, 0, 5, 3));
        List<Tensor> v0 = List.of(Tensor.zeros(DType.FLOAT64, 0, 5, 2), Tensor.zeros(DType.FLOAT64, 0, 5, 2));
        // No query rows, keys present.
        Tensor q1 = Tensor.zeros(DType.FLOAT64, 0, 3);
        List<Tensor> k1 = List.of(BruteForce.tensor(BruteForce.random(rnd, 4, 3, 1)),
                BruteForce.tensor(BruteForce.random(rnd, 4, 3, 1)));
        List<Tensor> v1 = List.of(BruteForce.tensor(BruteForce.random(rnd, 4, 2, 1)),
                BruteForce.tensor(BruteForce.random(rnd, 4, 2, 1)));
        for (Mask mask : masks(3)) {
            for (Method m : new Method[] {Method.POLY, Method.AUTO}) {
                AttentionOptions o = AttentionOptions.defaults().withMask(mask).withMethod(m);
                assertArrayEquals(new int[] {0, 5, 2}, TensorAttention.forward(q0, k0, v0, o).output().shape());
                assertArrayEquals(new int[] {0, 2}, TensorAttention.forward(q1, k1, v1, o).output().shape());
            }
            AttentionOptions o = AttentionOptions.defaults().withMask(mask).withMethod(Method.POLY);
            GradientResult g0 = TensorAttention.backward(q0, k0, v0, Tensor.zeros(DType.FLOAT64, 0, 5, 2), null, o);
            assertArrayEquals(new int[] {0, 5, 3}, g0.dq().shape());
            GradientResult g1 = TensorAttention.backward(q1, k1, v1, Tensor.zeros(DType.FLOAT64, 0, 2), null, o);
            assertArrayEquals(new int[] {0, 3}, g1.dq().shape());
            assertEquals(0.0, g1.dk().get(0).maxAbs(), "no query, no key gradient");
        }
    }

    @Test
    void autoInFloat32KeepsEpsilonWhenItFallsBackAtLargeScores() {
        // Entries U(-30, 30), shape (64, 4), order 3: scores near 1e4, far past what poly can certify, so auto
        // runs the exact kernel; its promise max |O - O_true| <= eps Vinf counts the final float32 rounding.
        double eps = 1e-6;
        for (int seed = 0; seed < 20; seed++) {
            Random rnd = new Random(200 + seed);
            Case c64 = random(rnd, 3, 64, new int[] {64, 64}, 4, 4, 30);
            // The float32 values themselves are the inputs: the reference sees exactly them.
            Case c = new Case(Float32Bound.round(c64.q), Float32Bound.round(c64.k), Float32Bound.round(c64.v));
            PolyForwardTest.Problem pr = c.problem();
            Tensor q = pr.q().to(DType.FLOAT32);
            List<Tensor> keys = pr.keys().stream().map(t -> t.to(DType.FLOAT32)).toList();
            List<Tensor> values = pr.values().stream().map(t -> t.to(DType.FLOAT32)).toList();
            AttentionOptions o = AttentionOptions.defaults().withMethod(Method.AUTO).withEpsilon(eps);
            AttentionResult r = TensorAttention.forward(q, keys, values, o);
            assertEquals(Method.EXACT, r.method(), r.reason());
            assertEquals(DType.FLOAT32, r.output().dtype());
            assertTrue(r.reason().contains("float64"), r.reason());
            double err = forwardError(c, r.output(), 0.25, Mask.FULL);
            assertTrue(err <= eps * c.vinf(), "seed " + seed + ": error " + err + " > eps Vinf " + eps * c.vinf());
        }
    }

    @Test
    void autoRefusesWhenNoMethodCanKeepEpsilon() {
        // Scores near 1e17: float64 rounding of the scores alone moves them by more than 1, so neither poly
        // nor the exact kernel can promise 1e-3.
        Random rnd = new Random(106);
        Case c = random(rnd, 3, 5, new int[] {5, 5}, 2, 2, 3e5);
        PolyForwardTest.Problem pr = c.problem();
        AttentionOptions o = AttentionOptions.defaults().withScale(1).withMethod(Method.AUTO).withEpsilon(1e-3);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pr.run(o));
        assertTrue(e.getMessage().startsWith("auto cannot keep epsilon"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(Method.EXACT, pr.run(o.withMethod(Method.EXACT)).method());
    }

    /**
     * Random per-column rescalings of q and the keys (factors 1e-150 .. 1e150, their product fixed by the scale
     * so that scores stay bounded), random scales and value magnitudes, orders 2-4, every mask, forward and
     * backward: each call is refused with a reason naming the problem, or lies within its certified bound.
     */
    @Test
    void certificateHoldsOrRefusesUnderRandomRescalings() {
        Random rnd = new Random(2024);
        double[] epsilons = {1e-2, 1e-4, 1e-6, 1e-9, 1e-12};
        int cases = 0;
        int accepted = 0;
        for (int order = 2; order <= 4; order++) {
            for (Mask mask : masks(order)) {
                for (int rep = 0; rep < 11; rep++) {
                    int n = 3 + rnd.nextInt(order == 4 ? 3 : 5);
                    int d = 1 + rnd.nextInt(3);
                    int dv = 1 + rnd.nextInt(2);
                    int[] nk = new int[order - 1];
                    java.util.Arrays.fill(nk, n);
                    Case base = random(rnd, order, n, nk, d, dv, 0.3 + 1.7 * rnd.nextDouble());
                    double c0 = 1.0 / d;
                    double scale = (rnd.nextBoolean() ? 1 : -1) * Math.pow(10, -60 + 120 * rnd.nextDouble());
                    Case c = rescale(rnd, base, c0 / Math.abs(scale), 150, 20);
                    double eps = epsilons[rnd.nextInt(epsilons.length)];
                    AttentionOptions o = AttentionOptions.defaults().withMask(mask).withScale(scale).withEpsilon(eps);
                    Tensor dout = BruteForce.tensor(scaled(BruteForce.random(rnd, n, dv, 1),
                            Math.pow(10, -20 + 40 * rnd.nextDouble())));
                    cases++;
                    String refusal = null;
                    try {
                        checkForward(c, o);
                    } catch (IllegalArgumentException e) {
                        refusal = e.getMessage();
                    }
                    if (refusal != null) {
                        assertFalse(refusal.contains("\n"), refusal);
                        assertTrue(refusal.startsWith("poly ") && refusal.contains("epsilon"), refusal);
                        assertThrows(IllegalArgumentException.class,
                                () -> checkBackward(c, dout, o), "the backward refuses what the forward refuses");
                        continue;
                    }
                    accepted++;
                    checkBackward(c, dout, o);
                }
            }
        }
        // Most cases are certifiable (small n, moderate scores): refusing everything must not pass.
        assertTrue(accepted >= cases * 0.6, accepted + " of " + cases + " accepted");
    }

    /**
     * The same for float32 inputs (factors 1e-12 .. 1e12, within float32's range), forward: the bound counts the
     * final rounding, and on the full mask the float32 mode's rounding where it runs (most full-mask cases).
     */
    @Test
    void float32CertificateHoldsOrRefusesUnderRandomRescalings() {
        Random rnd = new Random(2025);
        double[] epsilons = {1e-2, 1e-4, 1e-6};
        int cases = 0;
        int accepted = 0;
        int fullAccepted = 0;
        int float32Mode = 0;
        for (int order = 2; order <= 4; order++) {
            for (Mask mask : masks(order)) {
                for (int rep = 0; rep < 4; rep++) {
                    int n = 3 + rnd.nextInt(4);
                    int d = 1 + rnd.nextInt(3);
                    int[] nk = new int[order - 1];
                    java.util.Arrays.fill(nk, n);
                    Case base = random(rnd, order, n, nk, d, 2, 0.3 + 1.2 * rnd.nextDouble());
                    double scale = (rnd.nextBoolean() ? 1 : -1) * Math.pow(10, -6 + 12 * rnd.nextDouble());
                    Case wide = rescale(rnd, base, 1.0 / d / Math.abs(scale), 12, 5);
                    double[][][] k = new double[order - 1][][];
                    double[][][] v = new double[order - 1][][];
                    for (int t = 0; t < order - 1; t++) {
                        k[t] = Float32Bound.round(wide.k[t]);
                        v[t] = Float32Bound.round(wide.v[t]);
                    }
                    Case c = new Case(Float32Bound.round(wide.q), k, v);
                    AttentionOptions o = AttentionOptions.defaults().withMask(mask).withScale(scale)
                            .withEpsilon(epsilons[rnd.nextInt(epsilons.length)]);
                    cases++;
                    try {
                        AttentionResult r = checkedForward(c, o, DType.FLOAT32);
                        accepted++;
                        if (mask instanceof Mask.Full) {
                            fullAccepted++;
                            boolean narrow = r.reason().endsWith("; " + PolyPlan.FLOAT32);
                            float32Mode += narrow ? 1 : 0;
                            // At eps = 1e-2 the float32 rounding (about 1e-5 A e^R) is far inside the budget.
                            assertTrue(narrow || o.epsilon() < 1e-2, r.reason());
                        }
                    } catch (IllegalArgumentException e) {
                        assertTrue(e.getMessage().startsWith("poly ") && e.getMessage().contains("epsilon"), e.getMessage());
                    }
                }
            }
        }
        assertTrue(accepted >= cases * 0.6, accepted + " of " + cases + " accepted");
        assertTrue(float32Mode >= 3, float32Mode + " of " + fullAccepted + " full-mask cases in float32");
    }

    /**
     * Per column l, q[:, l] times 10^a and each key column times 10^{b_t} with a + sum_t b_t = log10(ratio), every
     * exponent within [-span, span]: the products q_l prod_t k_tl, hence the scores, are those of the base case
     * times ratio. Values get a random magnitude 10^-valueSpan .. 10^valueSpan per factor.
     */
    static Case rescale(Random rnd, Case base, double ratio, double span, double valueSpan) {
        int d = base.q[0].length;
        int factors = base.k.length;
        double total = Math.log10(ratio);
        double[][] q = scaled(base.q, 1);
        double[][][] k = new double[factors][][];
        double[][][] v = new double[factors][][];
        for (int t = 0; t < factors; t++) {
            k[t] = scaled(base.k[t], 1);
            v[t] = scaled(base.v[t], Math.pow(10, valueSpan * (2 * rnd.nextDouble() - 1)));
        }
        for (int l = 0; l < d; l++) {
            double[] b = new double[factors];
            double a;
            do {
                a = total;
                for (int t = 0; t < factors; t++) {
                    b[t] = span * (2 * rnd.nextDouble() - 1);
                    a -= b[t];
                }
            } while (Math.abs(a) > span);
            for (double[] row : q) {
                row[l] *= Math.pow(10, a);
            }
            for (int t = 0; t < factors; t++) {
                for (double[] row : k[t]) {
                    row[l] *= Math.pow(10, b[t]);
                }
            }
        }
        return new Case(q, k, v);
    }
}
