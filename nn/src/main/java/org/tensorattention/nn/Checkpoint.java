package org.tensorattention.nn;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.core.Backend;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;
import org.tensorattention.io.OutputTarget;

/**
 * A model, its optimizer state and its training configuration as one numpy .npz file:
 *
 * <pre>
 *   format_version            0-d, 1
 *   model.&lt;key&gt;, train.&lt;key&gt;  0-d float64 configuration values ({@link ModelConfig#toNumbers})
 *   param.&lt;name&gt;              each parameter in its shape, float64
 *   adam.m.&lt;name&gt;, adam.v.&lt;name&gt;  AdamW's moments, adam.step (0-d) its step count
 * </pre>
 *
 * {@code numpy.load(file)} reads it as it is. Loading checks every array against the configuration it
 * declares and refuses a file that is not a checkpoint, misses an array, has an array of the wrong shape,
 * a non-finite value or an array it does not expect, with one line naming the problem.
 */
public final class Checkpoint {
    static final double FORMAT_VERSION = 1;

    private Checkpoint() {
    }

    /** A loaded checkpoint, ready to evaluate or to resume training. */
    public record Loaded(Transformer model, TrainConfig train, AdamW optimizer, List<Trainer.Step> history,
                         List<Trainer.Evaluation> evaluations) {
        /** A trainer that continues from here, its curve and evaluations included. */
        public Trainer trainer() {
            Trainer t = new Trainer(model, train, optimizer);
            t.history().addAll(history);
            t.evaluations().addAll(evaluations);
            return t;
        }

        /** The same checkpoint trained to another number of steps. */
        public Loaded withTrain(TrainConfig other) {
            return new Loaded(model, other, optimizer, history, evaluations);
        }
    }

    /** Saves the trainer's model, optimizer and configuration. */
    public static void save(Trainer trainer, Path file) throws IOException {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("format_version", Tensor.scalar(FORMAT_VERSION));
        trainer.model().config().toNumbers().forEach((k, v) -> arrays.put("model." + k, Tensor.scalar(v)));
        trainer.config().toNumbers().forEach((k, v) -> arrays.put("train." + k, Tensor.scalar(v)));
        List<Param> params = trainer.model().params();
        AdamW opt = trainer.optimizer();
        for (int p = 0; p < params.size(); p++) {
            Param param = params.get(p);
            arrays.put("param." + param.name(), Tensor.of(param.value.clone(), param.shape()));
            arrays.put("adam.m." + param.name(), Tensor.of(opt.m[p].clone(), param.shape()));
            arrays.put("adam.v." + param.name(), Tensor.of(opt.v[p].clone(), param.shape()));
        }
        arrays.put("adam.step", Tensor.scalar(opt.step));
        List<Trainer.Step> h = trainer.history();
        arrays.put("history.step", vector(h.stream().mapToDouble(Trainer.Step::step).toArray()));
        arrays.put("history.loss", vector(h.stream().mapToDouble(Trainer.Step::loss).toArray()));
        arrays.put("history.accuracy", vector(h.stream().mapToDouble(Trainer.Step::accuracy).toArray()));
        arrays.put("history.lr", vector(h.stream().mapToDouble(Trainer.Step::lr).toArray()));
        List<Trainer.Evaluation> e = trainer.evaluations();
        arrays.put("eval.step", vector(e.stream().mapToDouble(Trainer.Evaluation::step).toArray()));
        arrays.put("eval.loss", vector(e.stream().mapToDouble(Trainer.Evaluation::loss).toArray()));
        arrays.put("eval.accuracy", vector(e.stream().mapToDouble(Trainer.Evaluation::accuracy).toArray()));
        OutputTarget.of(file).writeNpz(arrays);
    }

    /** Loads a checkpoint; the model computes on {@code threads} threads. */
    public static Loaded load(Path file, int threads) throws IOException {
        Map<String, Tensor> arrays = Npz.read(file);
        String where = file.getFileName() + ": ";
        try {
            return fromArrays(arrays, threads);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + e.getMessage(), e);
        }
    }

    static Loaded fromArrays(Map<String, Tensor> arrays, int threads) {
        return fromArrays(arrays, threads, TensorAttention.backend());
    }

    static Loaded fromArrays(Map<String, Tensor> arrays, int threads, Backend backend) {
        Tensor version = arrays.get("format_version");
        if (version == null) {
            throw new IllegalArgumentException("not a training checkpoint (no 'format_version' array)");
        }
        if (scalar("format_version", version) != FORMAT_VERSION) {
            throw new IllegalArgumentException("checkpoint format " + scalar("format_version", version)
                    + " is not the supported " + FORMAT_VERSION);
        }
        Set<String> used = new HashSet<>();
        used.add("format_version");
        ModelConfig mc = ModelConfig.fromNumbers(numbers(arrays, "model.", used));
        TrainConfig tc = TrainConfig.fromNumbers(numbers(arrays, "train.", used));
        Transformer model = new Transformer(mc, threads, backend);
        AdamW opt = AdamW.standard(model.params(), tc.weightDecay());
        List<Param> params = model.params();
        for (int p = 0; p < params.size(); p++) {
            Param param = params.get(p);
            copy(arrays, "param." + param.name(), param.shape(), param.value, used);
            copy(arrays, "adam.m." + param.name(), param.shape(), opt.m[p], used);
            copy(arrays, "adam.v." + param.name(), param.shape(), opt.v[p], used);
        }
        Tensor step = require(arrays, "adam.step", used);
        double s = scalar("adam.step", step);
        if (s < 0 || s != Math.rint(s)) {
            throw new IllegalArgumentException("array 'adam.step' must be a whole number >= 0, got " + s);
        }
        opt.step = (long) s;
        List<Trainer.Step> history = new ArrayList<>();
        List<Trainer.Evaluation> evaluations = new ArrayList<>();
        // The curve so far; older checkpoints have none and resume with an empty one.
        if (arrays.containsKey("history.step")) {
            double[][] h = columns(arrays, used, "history.step", "history.loss", "history.accuracy", "history.lr");
            for (int i = 0; i < h[0].length; i++) {
                history.add(new Trainer.Step((long) h[0][i], h[1][i], h[2][i], h[3][i], 0));
            }
            double[][] e = columns(arrays, used, "eval.step", "eval.loss", "eval.accuracy");
            for (int i = 0; i < e[0].length; i++) {
                evaluations.add(new Trainer.Evaluation((long) e[0][i], e[1][i], e[2][i]));
            }
        }
        for (String name : arrays.keySet()) {
            if (!used.contains(name)) {
                throw new IllegalArgumentException("unexpected array '" + name + "' (the configuration does not have it)");
            }
        }
        return new Loaded(model, tc, opt, history, evaluations);
    }

    private static Tensor vector(double[] values) {
        return Tensor.of(values, values.length);
    }

    /** 1-d arrays of one length, as columns. */
    private static double[][] columns(Map<String, Tensor> arrays, Set<String> used, String... names) {
        double[][] c = new double[names.length][];
        for (int i = 0; i < names.length; i++) {
            Tensor t = require(arrays, names[i], used);
            if (t.shape().length != 1 || (i > 0 && t.size() != c[0].length)) {
                throw new IllegalArgumentException("array '" + names[i] + "' must be 1-d like '" + names[0] + "', has shape "
                        + Tensor.shapeString(t.shape()));
            }
            c[i] = new double[t.size()];
            for (int j = 0; j < t.size(); j++) {
                c[i][j] = t.get(j);
            }
        }
        return c;
    }

    private static Map<String, Double> numbers(Map<String, Tensor> arrays, String prefix, Set<String> used) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                m.put(e.getKey().substring(prefix.length()), scalar(e.getKey(), e.getValue()));
                used.add(e.getKey());
            }
        }
        return m;
    }

    private static double scalar(String name, Tensor t) {
        if (t.size() != 1) {
            throw new IllegalArgumentException("array '" + name + "' must hold one value, has shape " + Tensor.shapeString(t.shape()));
        }
        double v = t.get(0);
        if (Double.isInfinite(v)) {
            throw new IllegalArgumentException("array '" + name + "' is infinite");
        }
        return v;
    }

    private static Tensor require(Map<String, Tensor> arrays, String name, Set<String> used) {
        Tensor t = arrays.get(name);
        if (t == null) {
            throw new IllegalArgumentException("array '" + name + "' is missing");
        }
        used.add(name);
        return t;
    }

    private static void copy(Map<String, Tensor> arrays, String name, int[] shape, double[] into, Set<String> used) {
        Tensor t = require(arrays, name, used);
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("array '" + name + "' has shape " + Tensor.shapeString(t.shape())
                    + " but the configuration needs " + Tensor.shapeString(shape));
        }
        int bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException("array '" + name + "' holds a non-finite value at flat index " + bad);
        }
        for (int i = 0; i < into.length; i++) {
            into[i] = t.get(i);
        }
    }
}
