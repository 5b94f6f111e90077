package org.tensorattention.evidence;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;

/**
 * The reduction of SPEC.md section 5: one order-3 attention call decides a 3-MaxIP instance.
 *
 * <p>Scores s(i, j1, j2) = lambda &lt;a_i, b_j1, c_j2> (entries lambda^{1/3} times the bits, scale 1). One more
 * key row in each factor, the dummy, scores lambda (t - 1/2) against every query through {@code m} extra
 * coordinates (1 in every query, 0 in every real key, x = sqrt(lambda (t - 1/2) / m) in the dummy keys, m
 * chosen so that x &lt;= lambda^{1/3}); a dummy paired with a real key scores 0. Both value factors are the
 * indicator of the dummy row (dv = 1), so O[i] is the softmax weight of the dummy pair: above 1/2 when no
 * triple with a_i reaches t, below when one does. lambda = 2 (2 ln n + 3) makes the two cases differ by a
 * constant margin: the n^2 real pairs below lambda (t - 1) weigh at most e^{-3} of the dummy, and one pair at
 * lambda t weighs n^2 e^3 times the dummy.
 *
 * @param lambda      the score multiplier
 * @param extra       m, the extra coordinates carrying the dummy's score
 * @param entryBound  the largest absolute entry of Q, K1 and K2: the entry bound B this instance needs
 */
public record MaxIpReduction(MaxIpInstance instance, Tensor q, List<Tensor> keys, List<Tensor> values,
                             double lambda, int extra, double entryBound) {

    /** lambda = 2 (2 ln n + 3). */
    public static double lambda(int n) {
        return 2 * (2 * Math.log(n) + 3);
    }

    public static MaxIpReduction of(MaxIpInstance inst) {
        int n = inst.n();
        int d = inst.d();
        int t = inst.t();
        double lambda = lambda(n);
        double root = Math.cbrt(lambda);
        double dummyScore = lambda * (t - 0.5);
        // m x^2 = lambda (t - 1/2) with x <= lambda^{1/3}.
        int m = (int) Math.ceil(dummyScore / (root * root) - 1e-12);
        double x = Math.sqrt(dummyScore / m);
        int width = d + m;
        double[] q = new double[n * width];
        double[] k1 = new double[(n + 1) * width];
        double[] k2 = new double[(n + 1) * width];
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < d; l++) {
                q[i * width + l] = root * MaxIpInstance.bit(inst.a()[i], l);
                k1[i * width + l] = root * MaxIpInstance.bit(inst.b()[i], l);
                k2[i * width + l] = root * MaxIpInstance.bit(inst.c()[i], l);
            }
            for (int l = d; l < width; l++) {
                q[i * width + l] = 1;
            }
        }
        for (int l = d; l < width; l++) {
            k1[n * width + l] = x;
            k2[n * width + l] = x;
        }
        double[] v = new double[n + 1];
        v[n] = 1;
        Tensor vt = Tensor.of(v, n + 1, 1);
        return new MaxIpReduction(inst, Tensor.of(q, n, width),
                List.of(Tensor.of(k1, n + 1, width), Tensor.of(k2, n + 1, width)), List.of(vt, vt.copy()),
                lambda, m, Math.max(Math.max(root, x), 1));
    }

    /** The call's options: scale 1 (the scores carry lambda themselves), exact kernel. */
    public AttentionOptions options(int threads) {
        return AttentionOptions.defaults().withScale(1).withMethod(Method.EXACT).withThreads(threads);
    }

    /** One exact attention call; O[i] is the weight of the dummy pair for query i. */
    public AttentionResult attend(int threads) {
        return TensorAttention.forward(q, keys, values, options(threads));
    }

    /** Reads the decision off O: query i has a triple reaching t iff O[i] &lt; 1/2. */
    public static boolean[] decide(Tensor output) {
        boolean[] yes = new boolean[output.size()];
        for (int i = 0; i < yes.length; i++) {
            yes[i] = output.get(i) < 0.5;
        }
        return yes;
    }

    /**
     * R = max_i sum_l |Q[i,l]| prod_t max_j |K_t[j,l]| at scale 1: the radius on which a polynomial must
     * approximate e^x for this input (SPEC.md section 2).
     */
    public double radius() {
        int n = q.dim(0);
        int width = q.dim(1);
        double[] colMax = new double[width];
        java.util.Arrays.fill(colMax, 1);
        for (Tensor k : keys) {
            int rows = k.dim(0);
            for (int l = 0; l < width; l++) {
                double m = 0;
                for (int j = 0; j < rows; j++) {
                    m = Math.max(m, Math.abs(k.get(j * width + l)));
                }
                colMax[l] *= m;
            }
        }
        double best = 0;
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int l = 0; l < width; l++) {
                s += Math.abs(q.get(i * width + l)) * colMax[l];
            }
            best = Math.max(best, s);
        }
        return best;
    }
}
