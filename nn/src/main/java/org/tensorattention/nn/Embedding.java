package org.tensorattention.nn;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Token embedding, plus an optional learned position embedding: row (b, i) of the output is
 * {@code token[x[b][i]] + position[i]}. Initialised normal with standard deviation 1.
 */
public final class Embedding {
    private final int vocab;
    private final int width;
    private final int maxLength;
    private final Param token;
    private final Param position;
    private int[][] input;

    public Embedding(int vocab, int width, int maxLength, boolean positions, RandomGenerator rnd) {
        this.vocab = vocab;
        this.width = width;
        this.maxLength = maxLength;
        this.token = new Param("embed.token", false, vocab, width);
        token.normal(rnd, 1);
        this.position = positions ? new Param("embed.position", false, maxLength, width) : null;
        if (position != null) {
            position.normal(rnd, 1);
        }
    }

    /**
     * Token x of the first {@code modulus} rows starts at (cos, sin)(2 pi f x / modulus) for f = 1, 2, .. in
     * consecutive column pairs (frequencies wrap around past modulus / 2); later rows (a sink) start at zero.
     */
    void fourierInit(int modulus) {
        for (int x = 0; x < vocab; x++) {
            for (int c = 0; c < width; c++) {
                double v = 0;
                if (x < modulus) {
                    int f = 1 + (c / 2) % Math.max(1, modulus / 2);
                    double angle = 2 * Math.PI * f * x / modulus;
                    v = (c % 2 == 0 ? Math.cos(angle) : Math.sin(angle)) * Math.sqrt(2);
                }
                token.value[x * width + c] = v;
            }
        }
    }

    public Hidden forward(int[][] tokens) {
        int batch = tokens.length;
        int length = tokens[0].length;
        if (length > maxLength) {
            throw new IllegalArgumentException("sequence length " + length + " exceeds the model's " + maxLength);
        }
        Hidden y = Hidden.zeros(batch, length, width);
        double[] a = y.data();
        for (int b = 0; b < batch; b++) {
            if (tokens[b].length != length) {
                throw new IllegalArgumentException("sequences of a batch must have one length");
            }
            for (int i = 0; i < length; i++) {
                int x = tokens[b][i];
                if (x < 0 || x >= vocab) {
                    throw new IllegalArgumentException("token " + x + " outside the vocabulary 0.." + (vocab - 1));
                }
                int o = (b * length + i) * width;
                for (int c = 0; c < width; c++) {
                    a[o + c] = token.value[x * width + c] + (position == null ? 0 : position.value[i * width + c]);
                }
            }
        }
        input = tokens;
        return y;
    }

    /** Adds dL/d(output) into the embedding tables' gradients. */
    public void backward(Hidden dy) {
        double[] g = dy.data();
        for (int b = 0; b < input.length; b++) {
            for (int i = 0; i < input[b].length; i++) {
                int x = input[b][i];
                int o = (b * dy.length() + i) * width;
                for (int c = 0; c < width; c++) {
                    token.grad[x * width + c] += g[o + c];
                    if (position != null) {
                        position.grad[i * width + c] += g[o + c];
                    }
                }
            }
        }
    }

    public List<Param> params() {
        return position == null ? List.of(token) : List.of(token, position);
    }
}
