package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.tensorattention.core.Backend;
import org.tensorattention.core.TensorAttention;

/**
 * A small pre-norm transformer classifying every position: embedding, then per layer
 * {@code x + Attention(LayerNorm(x))} and {@code x + Mlp(LayerNorm(x))}, then a final LayerNorm and a linear
 * head to class logits. The attention layers have the configured order and call the library's kernels.
 */
public final class Transformer {
    private final ModelConfig config;
    private final Embedding embedding;
    private final List<Layer> blocks = new ArrayList<>();
    private final LayerNorm finalNorm;
    private final Linear head;
    private final List<Param> params = new ArrayList<>();

    public Transformer(ModelConfig config, int threads) {
        this(config, threads, TensorAttention.backend());
    }

    public Transformer(ModelConfig config, int threads, Backend backend) {
        this.config = config;
        SplittableRandom rnd = new SplittableRandom(config.seed());
        int vocab = config.vocab() + (config.sink() ? 1 : 0);
        int length = config.length() + (config.sink() ? 1 : 0);
        embedding = new Embedding(vocab, config.width(), length, config.positions(), rnd);
        if (config.fourier()) {
            embedding.fourierInit(config.vocab());
        }
        params.addAll(embedding.params());
        for (int l = 0; l < config.layers(); l++) {
            String p = "layer" + l;
            MultiHeadAttention attention = new MultiHeadAttention(p + ".attn", config.order(), config.width(),
                    config.heads(), config.headWidth(), config.attentionOptions(threads), backend, rnd);
            blocks.add(new Residual(new LayerNorm(p + ".norm1", config.width()), attention));
            if (config.mlpWidth() > 0) {
                blocks.add(new Residual(new LayerNorm(p + ".norm2", config.width()),
                        new Mlp(p + ".mlp", config.width(), config.mlpWidth(), config.activation(), rnd, threads)));
            }
        }
        for (Layer b : blocks) {
            params.addAll(b.params());
        }
        finalNorm = new LayerNorm("final.norm", config.width());
        head = new Linear("head", config.width(), config.classes(), true, rnd, threads);
        params.addAll(finalNorm.params());
        params.addAll(head.params());
    }

    public ModelConfig config() {
        return config;
    }

    /** All parameters, in a fixed order, with unique names. */
    public List<Param> params() {
        return Collections.unmodifiableList(params);
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : params) {
            n += p.size();
        }
        return n;
    }

    /** Class logits for every position: (batch, length, classes). */
    public Hidden forward(int[][] tokens) {
        Hidden x = embedding.forward(config.sink() ? withSink(tokens) : tokens);
        for (Layer b : blocks) {
            x = b.forward(x);
        }
        if (config.sink()) {
            x = dropFirst(x);
        }
        return head.forward(finalNorm.forward(x));
    }

    /** The sequences with the sink token (id vocab) in front; tokens are checked against the vocabulary first. */
    private int[][] withSink(int[][] tokens) {
        int[][] out = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            out[b] = new int[tokens[b].length + 1];
            out[b][0] = config.vocab();
            for (int i = 0; i < tokens[b].length; i++) {
                int x = tokens[b][i];
                if (x < 0 || x >= config.vocab()) {
                    throw new IllegalArgumentException("token " + x + " outside the vocabulary 0.." + (config.vocab() - 1));
                }
                out[b][i + 1] = x;
            }
        }
        return out;
    }

    /** Activations without each sequence's first position. */
    private static Hidden dropFirst(Hidden x) {
        int n = x.length() - 1;
        int w = x.width();
        double[] out = new double[x.batch() * n * w];
        for (int b = 0; b < x.batch(); b++) {
            System.arraycopy(x.data(), (b * (n + 1) + 1) * w, out, b * n * w, n * w);
        }
        return new Hidden(out, x.batch(), n, w);
    }

    /** The inverse of dropFirst for gradients: a zero row in front of each sequence. */
    private static Hidden padFirst(Hidden g) {
        int n = g.length();
        int w = g.width();
        double[] out = new double[g.batch() * (n + 1) * w];
        for (int b = 0; b < g.batch(); b++) {
            System.arraycopy(g.data(), b * n * w, out, (b * (n + 1) + 1) * w, n * w);
        }
        return new Hidden(out, g.batch(), n + 1, w);
    }

    /** Back-propagates dL/d(logits) of the last forward into every parameter's gradient. */
    public void backward(Hidden dLogits) {
        Hidden g = finalNorm.backward(head.backward(dLogits));
        if (config.sink()) {
            g = padFirst(g);
        }
        for (int b = blocks.size() - 1; b >= 0; b--) {
            g = blocks.get(b).backward(g);
        }
        embedding.backward(g);
    }
}
