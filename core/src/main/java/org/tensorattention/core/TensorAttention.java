package org.tensorattention.core;

import java.util.List;
import java.util.ServiceLoader;

/**
 * Higher-order softmax attention, shaped like PyTorch's {@code scaled_dot_product_attention}:
 *
 * <pre>{@code
 * AttentionResult r = TensorAttention.forward(q, List.of(k1, k2), List.of(v1, v2),
 *         AttentionOptions.defaults().causal());
 * Tensor o = r.output();
 * }</pre>
 *
 * <p>q is (..., H, n, d); each key K_t is (..., G, n_t, d) and each value V_t is (..., G, n_t, dv), with the
 * same leading shape for all keys and values. Leading dimensions are independent problems; a key dimension of
 * 1 broadcasts, and the last leading dimension may group heads (H a multiple of G: query head h reads key
 * head h / (H / G)). The order k is {@code keys.size() + 1}. The exact method computes in q's dtype; poly,
 * and auto's exact fallback, in float64; results come back in q's dtype.
 *
 * <p>This facade only forwards to {@link #backend()}; the checks live in {@link Validation}, the shapes in
 * {@link Geometry}. Nothing inside the library's kernels calls it.
 */
public final class TensorAttention {
    private TensorAttention() {
    }

    /** The CPU backend, which every method here uses. */
    public static Backend backend() {
        return Cpu.BACKEND;
    }

    /**
     * Core's own backend, registered as a service (module-info and META-INF/services), so that the API package
     * does not import the package that implements it, which imports the API: no package cycle. Loaded once.
     */
    private static final class Cpu {
        static final Backend BACKEND = ServiceLoader.load(Backend.class, TensorAttention.class.getClassLoader())
                .stream()
                .filter(p -> p.type().getPackageName().startsWith(TensorAttention.class.getPackageName() + "."))
                .findFirst()
                .map(ServiceLoader.Provider::get)
                .orElseThrow(() -> new IllegalStateException("core's CPU backend is not registered: META-INF/services/"
                        + Backend.class.getName() + " is missing from the class path (a repackaged jar?)"));
    }

    /** Computes O for the given queries, keys and values. */
    public static AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        return backend().forward(q, keys, values, options);
    }

    /**
     * Gradients of L with respect to q, keys and values, given dout = dL/dO.
     *
     * @param forward the result of {@link #forward} on the same inputs and options, whose resolved method,
     *                output and log-sum-exp are reused; null to recompute them
     */
    public static GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout,
                                          AttentionResult forward, AttentionOptions options) {
        return backend().backward(q, keys, values, dout, forward, options);
    }

    /** What {@link #forward} would do on this call, without doing it. */
    public static Estimate estimate(Tensor q, List<Tensor> keys, List<Tensor> values, AttentionOptions options) {
        return backend().estimate(q, keys, values, options);
    }
}
