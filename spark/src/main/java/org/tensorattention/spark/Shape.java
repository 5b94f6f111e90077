package org.tensorattention.spark;

import java.io.Serializable;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What every task needs to know of a call, in a form Spark can serialise (core's records are not
 * Serializable): the geometry, the scale and the mask.
 */
record Shape(int problems, int nq, int[] nk, int d, int dv, int[] kvProblem, double scale, boolean full,
             int[] widths, boolean float32) implements Serializable {

    static Shape of(Geometry g, double scale, Mask mask, boolean float32) {
        // Call admits only full, causal and window masks, unshifted and without a band.
        boolean full = mask instanceof Mask.Full;
        int[] widths = mask instanceof Mask.Window w ? w.widths() : new int[0];
        return new Shape(g.problems(), g.nq(), g.nk(), g.d(), g.dv(), g.kvProblem(), scale, full, widths, float32);
    }

    Geometry geometry() {
        return new Geometry(problems, nq, nk, d, dv, kvProblem);
    }

    Mask mask() {
        return full ? Mask.FULL : new Mask.Window(widths, new int[0]);
    }

    int factors() {
        return nk.length;
    }
}
