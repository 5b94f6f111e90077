package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/** Linear, pointwise activation, linear: width to hidden to width. */
public final class Mlp implements Layer {
    private final Linear up;
    private final Linear down;
    private final Activation activation;
    private double[] preActivation;

    public Mlp(String name, int width, int hidden, Activation activation, RandomGenerator rnd, int threads) {
        this.up = new Linear(name + ".up", width, hidden, true, rnd, threads);
        this.down = new Linear(name + ".down", hidden, width, true, rnd, threads);
        this.activation = activation;
    }

    @Override
    public Hidden forward(Hidden x) {
        Hidden h = up.forward(x);
        preActivation = h.data().clone();
        double[] a = h.data();
        for (int i = 0; i < a.length; i++) {
            a[i] = activation.apply(a[i]);
        }
        return down.forward(h);
    }

    @Override
    public Hidden backward(Hidden dy) {
        Hidden dh = down.backward(dy);
        double[] g = dh.data();
        for (int i = 0; i < g.length; i++) {
            g[i] *= activation.derivative(preActivation[i]);
        }
        return up.backward(dh);
    }

    @Override
    public List<Param> params() {
        List<Param> all = new ArrayList<>(up.params());
        all.addAll(down.params());
        return all;
    }
}
