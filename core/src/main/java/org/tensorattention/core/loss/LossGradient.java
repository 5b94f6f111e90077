package org.tensorattention.core.loss;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Backend;
import org.tensorattention.core.DType;
import org.tensorattention.core.GradientResult;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.Validation;
import org.tensorattention.core.cpu.CpuBackend;

/**
 * The training loss of SPEC.md section 3:
 * L(X) = 1/2 || D(X)^{-1} exp(c A1 X (A2 ⊗ A3)^T) (A4 ⊗ A5) Y - E ||_F^2, and dL/dX.
 *
 * <p>No n^2 x d^2 Kronecker matrix is built: the loss is order-3 tensor attention with head width d^2,
 * Q' = A1 X, K1'[j, b d + e] = A2[j, b], K2'[j, b d + e] = A3[j, e], V1'[j, b d + e] = A4[j, b],
 * V2'[j, b d + e] = A5[j, e], because (K1' ⊘ K2') = A2 ⊗ A3 and (V1' ⊘ V2') = A4 ⊗ A5 row by row. Then
 * O = O' Y, dO' = (O - E) Y^T, and the chain rule through Q' = A1 X gives dX = A1^T dQ'.
 */
public final class LossGradient {
    private LossGradient() {
    }

    /**
     * @param loss    L(X)
     * @param dx      dL/dX, shape (d, d^2), dtype of a1
     * @param method  what ran
     * @param seconds kernel time
     * @param flops   model flop count
     * @param poly    polynomial details when poly ran, else null
     * @param reason  why this method ran
     */
    public record Result(double loss, Tensor dx, Method method, double seconds, double flops,
                         AttentionResult.PolyInfo poly, String reason) {
    }

    /**
     * @param a       A1..A5, each (n, d)
     * @param x       X, (d, d^2)
     * @param y       Y, (d^2, dv)
     * @param e       E, (n, dv)
     * @param options scale (NaN: 1/d), method and epsilon; the mask must be full
     */
    public static Result compute(List<Tensor> a, Tensor x, Tensor y, Tensor e, AttentionOptions options) {
        return compute(CpuBackend.INSTANCE, a, x, y, e, options);
    }

    /** The same, with the attention forward and backward on the given backend. */
    public static Result compute(Backend backend, List<Tensor> a, Tensor x, Tensor y, Tensor e,
                                 AttentionOptions options) {
        if (a.size() != 5) {
            throw new IllegalArgumentException("loss-gradient needs a1 .. a5, got " + a.size() + " arrays");
        }
        if (!(options.mask() instanceof Mask.Full)) {
            throw new IllegalArgumentException("loss-gradient takes only the full mask, got " + options.mask());
        }
        requireMatrix("a1", a.get(0));
        int n = a.get(0).dim(0);
        int d = a.get(0).dim(1);
        if (n == 0 || d == 0) {
            throw new IllegalArgumentException("a1 has shape " + Tensor.shapeString(a.get(0).shape())
                    + ": needs at least one row and one column");
        }
        for (int t = 1; t < 5; t++) {
            requireShape("a" + (t + 1), a.get(t), n, d);
        }
        requireShape("x", x, d, d * d);
        requireMatrix("y", y);
        if (y.dim(0) != d * d) {
            throw new IllegalArgumentException("y has " + y.dim(0) + " rows but needs d^2 = " + d * d
                    + " (shape " + Tensor.shapeString(y.shape()) + ")");
        }
        int dv = y.dim(1);
        if (dv == 0) {
            throw new IllegalArgumentException("y has no columns");
        }
        requireShape("e", e, n, dv);
        for (int t = 0; t < 5; t++) {
            Validation.requireFinite("a" + (t + 1), a.get(t));
        }
        Validation.requireFinite("x", x);
        Validation.requireFinite("y", y);
        Validation.requireFinite("e", e);

        DType dt = a.get(0).dtype();
        int w = d * d;
        double[] a1 = f64(a.get(0));
        double[] xs = f64(x);
        double[] ys = f64(y);
        double[] es = f64(e);
        Tensor qPrime = Tensor.of(Dense.times(a1, xs, n, d, w), n, w).to(dt);
        List<Tensor> keys = List.of(expandLeft(f64(a.get(1)), n, d).to(dt), expandRight(f64(a.get(2)), n, d).to(dt));
        List<Tensor> values = List.of(expandLeft(f64(a.get(3)), n, d).to(dt), expandRight(f64(a.get(4)), n, d).to(dt));
        AttentionOptions opt = options.withScale(options.scaleFor(d));

        AttentionResult fw = backend.forward(qPrime, keys, values, opt);
        double[] oPrime = f64(fw.output());
        double[] residual = Dense.times(oPrime, ys, n, w, dv);
        double loss = 0;
        for (int x2 = 0; x2 < residual.length; x2++) {
            residual[x2] -= es[x2];
            loss += residual[x2] * residual[x2];
        }
        loss *= 0.5;
        double[] doPrime = Dense.timesTransposed(residual, ys, n, dv, w);
        GradientResult gr = backend.backward(qPrime, keys, values, Tensor.of(doPrime, n, w).to(dt), fw, opt);
        double[] dx = Dense.transposedTimes(a1, f64(gr.dq()), n, d, w);
        double extraFlops = 2.0 * n * d * w * 2 + 2.0 * n * w * dv * 2;
        return new Result(loss, Tensor.of(dx, d, w).to(dt), gr.method(), fw.seconds() + gr.seconds(),
                fw.flops() + gr.flops() + extraFlops, gr.poly() != null ? gr.poly() : fw.poly(), gr.reason());
    }

    /** M'[j, b d + e] = M[j, b]: each column repeated d times in a row. */
    static Tensor expandLeft(double[] m, int n, int d) {
        double[] r = new double[n * d * d];
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < d; b++) {
                java.util.Arrays.fill(r, (j * d + b) * d, (j * d + b + 1) * d, m[j * d + b]);
            }
        }
        return Tensor.of(r, n, d * d);
    }

    /** M'[j, b d + e] = M[j, e]: the row tiled d times. */
    static Tensor expandRight(double[] m, int n, int d) {
        double[] r = new double[n * d * d];
        for (int j = 0; j < n; j++) {
            for (int b = 0; b < d; b++) {
                System.arraycopy(m, j * d, r, (j * d + b) * d, d);
            }
        }
        return Tensor.of(r, n, d * d);
    }

    private static void requireMatrix(String name, Tensor t) {
        if (t.rank() != 2) {
            throw new IllegalArgumentException(name + " must be a matrix, got shape " + Tensor.shapeString(t.shape()));
        }
    }

    private static void requireShape(String name, Tensor t, int rows, int cols) {
        requireMatrix(name, t);
        if (t.dim(0) != rows || t.dim(1) != cols) {
            throw new IllegalArgumentException(name + " has shape " + Tensor.shapeString(t.shape()) + " but needs ("
                    + rows + ", " + cols + ")");
        }
    }

    private static double[] f64(Tensor t) {
        return t.to(DType.FLOAT64).doubles();
    }
}
