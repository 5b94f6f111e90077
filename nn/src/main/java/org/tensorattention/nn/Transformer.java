package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

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
        this(config, threads, AttentionKernel.LIBRARY);
    }

    public Transformer(ModelConfig config, int threads, AttentionKernel kernel) {
        this.config = config;
        SplittableRandom rnd = new SplittableRandom(config.seed());
        embedding = new Embedding(config.vocab(), config.width(), config.length(), config.positions(), rnd);
        params.addAll(embedding.params());
        for (int l = 0; l < config.layers(); l++) {
            String p = "layer" + l;
            MultiHeadAttention attention = new MultiHeadAttention(p + ".attn", config.order(), config.width(),
                    config.heads(), config.headWidth(), config.attentionOptions(threads), kernel, rnd);
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
        Hidden x = embedding.forward(tokens);
        for (Layer b : blocks) {
            x = b.forward(x);
        }
        return head.forward(finalNorm.forward(x));
    }

    /** Back-propagates dL/d(logits) of the last forward into every parameter's gradient. */
    public void backward(Hidden dLogits) {
        Hidden g = finalNorm.backward(head.backward(dLogits));
        for (int b = blocks.size() - 1; b >= 0; b--) {
            g = blocks.get(b).backward(g);
        }
        embedding.backward(g);
    }
}
