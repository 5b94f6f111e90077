package org.tensorattention.nn;

import java.util.LinkedHashMap;
import java.util.Map;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Method;

/**
 * The shape of a {@link Transformer}: vocabulary, maximum length, width, heads and head width, attention
 * order, number of layers, MLP width (0: no MLP), activation, whether positions are embedded, whether a
 * sink token leads every sequence (a key that attention can fall back on when nothing matches), whether the
 * token table starts from Fourier features of the residue, the attention
 * method (exact or poly, with its epsilon) and scale, the number of classes and the initialisation seed.
 */
public record ModelConfig(int vocab, int length, int width, int heads, int headWidth, int order, int layers,
                          int mlpWidth, Activation activation, boolean positions, boolean sink, boolean fourier, Method method, double epsilon,
                          double scale, int classes, long seed) {

    public ModelConfig {
        require(vocab >= 1, "vocab must be at least 1, got " + vocab);
        require(length >= 1, "length must be at least 1, got " + length);
        require(width >= 1, "width must be at least 1, got " + width);
        require(heads >= 1, "heads must be at least 1, got " + heads);
        require(headWidth >= 1, "head width must be at least 1, got " + headWidth);
        require(order >= 2, "order must be at least 2, got " + order);
        require(layers >= 1, "layers must be at least 1, got " + layers);
        require(mlpWidth >= 0, "mlp width must be at least 0, got " + mlpWidth);
        require(classes >= 2, "classes must be at least 2, got " + classes);
        require(method == Method.EXACT || method == Method.POLY, "method must be exact or poly for training, got " + method);
        require(epsilon > 0 && epsilon < 1, "epsilon must lie in (0, 1), got " + epsilon);
        require(Double.isNaN(scale) || Double.isFinite(scale), "scale must be finite");
        if (activation == null) {
            throw new IllegalArgumentException("activation must not be null");
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** One layer, width/heads per head, MLP 4x width with GELU, no positions, exact, scale 1/sqrt(head width). */
    public static ModelConfig of(int vocab, int length, int width, int heads, int order) {
        if (heads < 1 || width % heads != 0) {
            throw new IllegalArgumentException("width " + width + " is not a multiple of heads " + heads);
        }
        int hw = width / heads;
        return new ModelConfig(vocab, length, width, heads, hw, order, 1, 4 * width, Activation.GELU, false, false, false,
                Method.EXACT, AttentionOptions.DEFAULT_EPSILON, 1 / Math.sqrt(hw), 2, 1);
    }

    public ModelConfig withMethod(Method m, double eps) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, mlpWidth, activation, positions, sink, fourier,
                m, eps, scale, classes, seed);
    }

    public ModelConfig withSeed(long s) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, mlpWidth, activation, positions, sink, fourier,
                method, epsilon, scale, classes, s);
    }

    public ModelConfig withLayers(int l) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, l, mlpWidth, activation, positions, sink, fourier,
                method, epsilon, scale, classes, seed);
    }

    public ModelConfig withMlp(int hidden, Activation a) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, hidden, a, positions, sink, fourier,
                method, epsilon, scale, classes, seed);
    }

    public ModelConfig withPositions(boolean p) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, mlpWidth, activation, p, sink, fourier,
                method, epsilon, scale, classes, seed);
    }

    /** With a sink token (id vocab) put in front of every sequence; its position gets no label. */
    public ModelConfig withSink(boolean on) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, mlpWidth, activation, positions, on, fourier,
                method, epsilon, scale, classes, seed);
    }

    /**
     * With the token table initialised to Fourier features of the residue (cos and sin of 2 pi f x / vocab for
     * f = 1, 2, ..), still trained; the sink token, if any, starts at zero.
     */
    public ModelConfig withFourier(boolean on) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, mlpWidth, activation, positions, sink,
                on, method, epsilon, scale, classes, seed);
    }

    public ModelConfig withScale(double c) {
        return new ModelConfig(vocab, length, width, heads, headWidth, order, layers, mlpWidth, activation, positions, sink, fourier,
                method, epsilon, c, classes, seed);
    }

    /** The options of the attention calls (full mask: Match labels look at every position). */
    public AttentionOptions attentionOptions(int threads) {
        return new AttentionOptions(scale, Mask.FULL, method, epsilon, threads);
    }

    /** Every value as a number, by name (how a checkpoint stores it). */
    public Map<String, Double> toNumbers() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("vocab", (double) vocab);
        m.put("length", (double) length);
        m.put("width", (double) width);
        m.put("heads", (double) heads);
        m.put("head_width", (double) headWidth);
        m.put("order", (double) order);
        m.put("layers", (double) layers);
        m.put("mlp_width", (double) mlpWidth);
        m.put("activation", (double) activation.ordinal());
        m.put("positions", positions ? 1.0 : 0.0);
        m.put("sink", sink ? 1.0 : 0.0);
        m.put("fourier", fourier ? 1.0 : 0.0);
        m.put("method", (double) method.ordinal());
        m.put("epsilon", epsilon);
        m.put("scale", scale);
        m.put("classes", (double) classes);
        m.put("seed", (double) seed);
        return m;
    }

    /** The inverse of {@link #toNumbers}; names the first missing or invalid value. */
    public static ModelConfig fromNumbers(Map<String, Double> m) {
        return new ModelConfig(whole(m, "vocab"), whole(m, "length"), whole(m, "width"), whole(m, "heads"),
                whole(m, "head_width"), whole(m, "order"), whole(m, "layers"), whole(m, "mlp_width"),
                pick(Activation.values(), whole(m, "activation"), "activation"), whole(m, "positions") != 0, whole(m, "sink") != 0, whole(m, "fourier") != 0,
                pick(Method.values(), whole(m, "method"), "method"), get(m, "epsilon"), get(m, "scale"),
                whole(m, "classes"), (long) get(m, "seed"));
    }

    private static double get(Map<String, Double> m, String name) {
        Double v = m.get(name);
        if (v == null) {
            throw new IllegalArgumentException("configuration value '" + name + "' is missing");
        }
        return v;
    }

    private static int whole(Map<String, Double> m, String name) {
        double v = get(m, name);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("configuration value '" + name + "' must be a whole number, got " + v);
        }
        return (int) v;
    }

    private static <T> T pick(T[] options, int index, String name) {
        if (index < 0 || index >= options.length) {
            throw new IllegalArgumentException("configuration value '" + name + "' is out of range: " + index);
        }
        return options[index];
    }
}
