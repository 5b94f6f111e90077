package org.tensorattention.nn;

import java.util.Arrays;

/**
 * A trainable array with its gradient: a name (the key it is saved under), a shape, the values and the
 * accumulated gradient, and whether weight decay applies (matrices yes; biases, gains and norms no).
 */
public final class Param {
    private final String name;
    private final int[] shape;
    final double[] value;
    final double[] grad;
    private final boolean decay;

    public Param(String name, boolean decay, int... shape) {
        this.name = name;
        this.shape = shape.clone();
        int size = 1;
        for (int s : shape) {
            size = Math.multiplyExact(size, s);
        }
        this.value = new double[size];
        this.grad = new double[size];
        this.decay = decay;
    }

    public String name() {
        return name;
    }

    public int[] shape() {
        return shape.clone();
    }

    public int size() {
        return value.length;
    }

    public boolean decay() {
        return decay;
    }

    /** The values (live, not a copy). */
    public double[] value() {
        return value;
    }

    /** The accumulated gradient (live, not a copy). */
    public double[] grad() {
        return grad;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0);
    }

    /** Fills with normal values of the given standard deviation. */
    void normal(java.util.random.RandomGenerator rnd, double std) {
        for (int i = 0; i < value.length; i++) {
            value[i] = rnd.nextGaussian() * std;
        }
    }

    void fill(double v) {
        Arrays.fill(value, v);
    }
}
