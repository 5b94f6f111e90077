package org.tensorattention.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.DoubleSupplier;

/**
 * Central finite differences against analytic gradients. The loss is L = sum(w * f(x)) with fixed random
 * weights w, so dL/df = w; every checked coordinate must agree to a relative tolerance.
 */
final class GradCheck {
    private GradCheck() {
    }

    static double[] randomWeights(int size, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] w = new double[size];
        for (int i = 0; i < size; i++) {
            w[i] = r.nextGaussian();
        }
        return w;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    /** Compares analytic[i] with (L(x_i + h) - L(x_i - h)) / 2h for up to maxChecks coordinates of x. */
    static void check(String what, double[] x, double[] analytic, DoubleSupplier loss, int maxChecks, double tol) {
        double h = 1e-5;
        int stride = Math.max(1, x.length / maxChecks);
        double worst = 0;
        for (int i = 0; i < x.length; i += stride) {
            double keep = x[i];
            x[i] = keep + h;
            double up = loss.getAsDouble();
            x[i] = keep - h;
            double down = loss.getAsDouble();
            x[i] = keep;
            double numeric = (up - down) / (2 * h);
            double err = Math.abs(numeric - analytic[i]) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic[i]));
            worst = Math.max(worst, err);
            assertTrue(err < tol, what + "[" + i + "]: analytic " + analytic[i] + " vs numeric " + numeric);
        }
        assertTrue(worst < tol);
    }

    /** Checks a layer's input gradient and all its parameter gradients. */
    static void layer(Layer layer, Hidden x, long seed, double tol) {
        Hidden y = layer.forward(x);
        double[] w = randomWeights(y.data().length, seed);
        for (Param p : layer.params()) {
            p.zeroGrad();
        }
        Hidden dx = layer.backward(new Hidden(w.clone(), y.batch(), y.length(), y.width()));
        DoubleSupplier loss = () -> dot(w, layer.forward(x).data());
        check("dx", x.data(), dx.data(), loss, 40, tol);
        List<Param> params = layer.params();
        for (Param p : params) {
            check(p.name(), p.value(), p.grad().clone(), loss, 40, tol);
        }
    }

    static Hidden randomHidden(int batch, int length, int width, long seed) {
        return new Hidden(randomWeights(batch * length * width, seed), batch, length, width);
    }
}
