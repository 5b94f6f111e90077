package org.tensorattention.core.exact;

import java.util.Random;
import org.tensorattention.core.BruteForce;
import org.tensorattention.core.Float32Bound;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/** A seeded random call of the exact kernel in flat layout, with BruteForce as its reference. */
final class Problem {
    final Geometry g;
    final double[] q;
    final double[][] k;
    final double[][] v;

    Problem(Geometry g, long seed, double qBound, double kBound, double vBound) {
        this.g = g;
        Random rnd = new Random(seed);
        int factors = g.nk().length;
        int kvs = g.kvProblems();
        q = fill(rnd, g.problems() * g.nq() * g.d(), qBound);
        k = new double[factors][];
        v = new double[factors][];
        for (int t = 0; t < factors; t++) {
            k[t] = fill(rnd, kvs * g.nk()[t] * g.d(), kBound);
            v[t] = fill(rnd, kvs * g.nk()[t] * g.dv(), vBound);
        }
    }

    /** n queries and keys per factor, a single problem. */
    static Problem simple(int order, int n, int d, int dv, long seed) {
        int[] nk = new int[order - 1];
        java.util.Arrays.fill(nk, n);
        return new Problem(Geometry.simple(1, n, nk, d, dv), seed, 2, 2, 1);
    }

    private static double[] fill(Random rnd, int size, double bound) {
        double[] a = new double[size];
        for (int i = 0; i < size; i++) {
            a[i] = (2 * rnd.nextDouble() - 1) * bound;
        }
        return a;
    }

    static float[] narrow(double[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (float) a[i];
        }
        return r;
    }

    static float[][] narrow(double[][] a) {
        float[][] r = new float[a.length][];
        for (int t = 0; t < a.length; t++) {
            r[t] = narrow(a[t]);
        }
        return r;
    }

    /** The inputs rounded to float32, widened back: the float kernel's exact inputs, for a float64 reference. */
    Problem roundedToFloat() {
        Problem r = new Problem(g, 0, 0, 0, 0);
        copyRounded(q, r.q);
        for (int t = 0; t < k.length; t++) {
            copyRounded(k[t], r.k[t]);
            copyRounded(v[t], r.v[t]);
        }
        return r;
    }

    private static void copyRounded(double[] from, double[] to) {
        for (int i = 0; i < from.length; i++) {
            to[i] = (float) from[i];
        }
    }

    Result run64(ExactForward.Path path, double scale, Mask mask, int threads) {
        double[] out = new double[g.problems() * g.nq() * g.dv()];
        double[] lse = new double[g.problems() * g.nq()];
        // The kernel takes the mask as the facade hands it over: aligned bottom-right.
        ExactForward.kernel(path).forward(g, scale, mask.aligned(g.nq(), g.nk()), q, k, v, out, lse, threads);
        return new Result(out, lse);
    }

    Result run32(ExactForward.Path path, double scale, Mask mask, int threads) {
        float[] out = new float[g.problems() * g.nq() * g.dv()];
        double[] lse = new double[g.problems() * g.nq()];
        ExactForward.kernel(path).forward(g, scale, mask.aligned(g.nq(), g.nk()), narrow(q), narrow(k), narrow(v), out,
                lse, threads);
        double[] wide = new double[out.length];
        for (int i = 0; i < out.length; i++) {
            wide[i] = out[i];
        }
        return new Result(wide, lse);
    }

    /** The reference output of problem p, from BruteForce on [row][column] matrices. */
    double[][] reference(int p, double scale, Mask mask) {
        int factors = k.length;
        int kv = g.kvProblem()[p];
        double[][] qm = matrix(q, p * g.nq() * g.d(), g.nq(), g.d());
        double[][][] km = new double[factors][][];
        double[][][] vm = new double[factors][][];
        for (int t = 0; t < factors; t++) {
            km[t] = matrix(k[t], kv * g.nk()[t] * g.d(), g.nk()[t], g.d());
            vm[t] = matrix(v[t], kv * g.nk()[t] * g.dv(), g.nk()[t], g.dv());
        }
        return BruteForce.forward(qm, km, vm, scale, mask);
    }

    /** Largest |out - reference| over all problems. */
    double errorAgainstBruteForce(double[] out, double scale, Mask mask) {
        double worst = 0;
        for (int p = 0; p < g.problems(); p++) {
            double[][] ref = reference(p, scale, mask);
            for (int i = 0; i < g.nq(); i++) {
                for (int l = 0; l < g.dv(); l++) {
                    worst = Math.max(worst, diff(out[(p * g.nq() + i) * g.dv() + l], ref[i][l]));
                }
            }
        }
        return worst;
    }

    /** R = |scale| max_{p,i} sum_l |q[i,l]| prod_t max_j |K_t[j,l]|: no score exceeds it. */
    double radius(double scale) {
        double worst = 0;
        for (int p = 0; p < g.problems(); p++) {
            int kv = g.kvProblem()[p];
            for (int i = 0; i < g.nq(); i++) {
                double sum = 0;
                for (int l = 0; l < g.d(); l++) {
                    double prod = Math.abs(q[(p * g.nq() + i) * g.d() + l]);
                    for (int t = 0; t < k.length; t++) {
                        double m = 0;
                        for (int j = 0; j < g.nk()[t]; j++) {
                            m = Math.max(m, Math.abs(k[t][(kv * g.nk()[t] + j) * g.d() + l]));
                        }
                        prod *= m;
                    }
                    sum += prod;
                }
                worst = Math.max(worst, sum);
            }
        }
        return Math.abs(scale) * worst;
    }

    /**
     * Keys of the last factor that the float32 kernel sums in float before it flushes to double (the whole
     * factor, an upper bound, where the block kernel cannot load: the scalar path sums in double).
     */
    private int span() {
        int last = g.nk()[g.nk().length - 1];
        return ExactForward.VECTOR_AVAILABLE ? Math.min(last, FloatBlockKernel.spanLength(g.d(), g.dv())) : last;
    }

    /** The float32 kernel's tolerance on this problem (relative to Vinf): {@link Float32Bound#forward}. */
    double float32Tolerance(double scale) {
        return Float32Bound.forward(g.d(), g.order(), radius(scale), span());
    }

    /** The float32 kernel's log-sum-exp tolerance (absolute): {@link Float32Bound#logSumExp}. */
    double float32LseTolerance(double scale) {
        return Float32Bound.logSumExp(g.d(), g.order(), radius(scale), span());
    }

    /** Largest |lse - reference lse| over all problems (-infinity where a row sees no tuple). */
    double lseErrorAgainstBruteForce(double[] lse, double scale, Mask mask) {
        double worst = 0;
        for (int p = 0; p < g.problems(); p++) {
            int kv = g.kvProblem()[p];
            double[][] qm = matrix(q, p * g.nq() * g.d(), g.nq(), g.d());
            double[][][] km = new double[k.length][][];
            for (int t = 0; t < k.length; t++) {
                km[t] = matrix(k[t], kv * g.nk()[t] * g.d(), g.nk()[t], g.d());
            }
            double[] ref = BruteForce.logSumExp(qm, km, scale, mask);
            for (int i = 0; i < g.nq(); i++) {
                worst = Math.max(worst, diff(lse[p * g.nq() + i], ref[i]));
            }
        }
        return worst;
    }

    /** Vinf = max_l prod_t max_j |V_t[j, l]| over all key/value problems. */
    double vinf() {
        double worst = 0;
        for (int kv = 0; kv < g.kvProblems(); kv++) {
            for (int l = 0; l < g.dv(); l++) {
                double prod = 1;
                for (int t = 0; t < v.length; t++) {
                    double m = 0;
                    for (int j = 0; j < g.nk()[t]; j++) {
                        m = Math.max(m, Math.abs(v[t][(kv * g.nk()[t] + j) * g.dv() + l]));
                    }
                    prod *= m;
                }
                worst = Math.max(worst, prod);
            }
        }
        return worst;
    }

    /**
     * |a - b|, where equal infinities agree (the lse -infinity of a row that may attend to nothing, possible
     * when nk < nq under a window) and a NaN is an infinite error.
     */
    static double diff(double a, double b) {
        if (a == b) {
            return 0;
        }
        if (Double.isNaN(a) || Double.isNaN(b)) {
            return Double.POSITIVE_INFINITY;
        }
        return Math.abs(a - b);
    }

    private static double[][] matrix(double[] flat, int offset, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, offset + r * cols, m[r], 0, cols);
        }
        return m;
    }

    record Result(double[] out, double[] lse) {
        static double maxDiff(double[] a, double[] b) {
            double worst = 0;
            for (int i = 0; i < a.length; i++) {
                worst = Math.max(worst, diff(a[i], b[i]));
            }
            return worst;
        }
    }
}
