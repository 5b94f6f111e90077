package org.tensorattention.core.grad;

import java.util.List;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.Method;
import org.tensorattention.core.Tensor;

/**
 * The training loss of SPEC.md section 3:
 * L(X) = 1/2 || D(X)^{-1} exp(c A1 X (A2 ⊗ A3)^T) (A4 ⊗ A5) Y - E ||_F^2, and dL/dX.
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
        throw new UnsupportedOperationException("loss-gradient is not available yet");
    }
}
