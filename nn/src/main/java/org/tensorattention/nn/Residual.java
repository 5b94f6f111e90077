package org.tensorattention.nn;

import java.util.ArrayList;
import java.util.List;

/** x + f(x): the gradient of x passes through unchanged and is added to f's. */
public final class Residual implements Layer {
    private final List<Layer> body;

    /** x + (layers applied in turn to x), e.g. a pre-norm block: Residual(norm, attention). */
    public Residual(Layer... body) {
        this.body = List.of(body);
    }

    @Override
    public Hidden forward(Hidden x) {
        Hidden h = x;
        for (Layer l : body) {
            h = l.forward(h);
        }
        double[] y = h.data().clone();
        double[] a = x.data();
        for (int i = 0; i < y.length; i++) {
            y[i] += a[i];
        }
        return new Hidden(y, x.batch(), x.length(), x.width());
    }

    @Override
    public Hidden backward(Hidden dy) {
        Hidden g = dy;
        for (int l = body.size() - 1; l >= 0; l--) {
            g = body.get(l).backward(g);
        }
        double[] dx = g.data().clone();
        double[] d = dy.data();
        for (int i = 0; i < dx.length; i++) {
            dx[i] += d[i];
        }
        return new Hidden(dx, dy.batch(), dy.length(), dy.width());
    }

    @Override
    public List<Param> params() {
        List<Param> all = new ArrayList<>();
        for (Layer l : body) {
            all.addAll(l.params());
        }
        return all;
    }
}
