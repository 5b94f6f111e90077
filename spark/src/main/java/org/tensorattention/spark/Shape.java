package org.tensorattention.spark;

import java.io.Serializable;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What every task needs to know of a call, in a form Spark can serialise (core's records are not
 * Serializable): the geometry, the scale and the mask.
 */
record Shape(int problems, int nq, int[] nk, int d, int dv, int[] kvProblem, double scale, Mask.Kind kind,
             int[] windows, boolean float32) implements Serializable {

    static Shape of(Geometry g, double scale, Mask mask, boolean float32) {
        return new Shape(g.problems(), g.nq(), g.nk(), g.d(), g.dv(), g.kvProblem(), scale, mask.kind(),
                mask.windows(), float32);
    }

    Geometry geometry() {
        return new Geometry(problems, nq, nk, d, dv, kvProblem);
    }

    Mask mask() {
        return new Mask(kind, windows);
    }

    int factors() {
        return nk.length;
    }
}
