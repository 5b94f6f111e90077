package org.tensorattention.nn;

import java.util.List;
import java.util.random.RandomGenerator;

/** y = x W + b, W of shape (in, out), initialised normal with standard deviation 1/sqrt(in), b = 0. */
public final class Linear implements Layer {
    private final int in;
    private final int out;
    private final Param weight;
    private final Param bias;
    private final int threads;
    private Hidden input;

    /** A layer named {@code name} (its parameters are name.weight and name.bias); bias optional. */
    public Linear(String name, int in, int out, boolean bias, RandomGenerator rnd, int threads) {
        this.in = in;
        this.out = out;
        this.weight = new Param(name + ".weight", true, in, out);
        this.bias = bias ? new Param(name + ".bias", false, out) : null;
        this.threads = threads;
        weight.normal(rnd, 1 / Math.sqrt(in));
    }

    public Param weight() {
        return weight;
    }

    @Override
    public Hidden forward(Hidden x) {
        if (x.width() != in) {
            throw new IllegalArgumentException(weight.name() + " expects width " + in + ", got " + x.width());
        }
        input = x;
        Hidden y = x.like(out);
        MatMul.forward(x.data(), x.rows(), in, weight.value, bias == null ? null : bias.value, out, y.data(), threads);
        return y;
    }

    @Override
    public Hidden backward(Hidden dy) {
        Hidden dx = dy.like(in);
        MatMul.backwardWeight(input.data(), dy.data(), dy.rows(), in, out, weight.grad,
                bias == null ? null : bias.grad, threads);
        MatMul.backwardInput(dy.data(), dy.rows(), out, weight.value, in, dx.data(), threads);
        return dx;
    }

    @Override
    public List<Param> params() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }
}
