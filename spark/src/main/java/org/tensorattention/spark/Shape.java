package org.tensorattention.spark;

import java.io.Serializable;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * What every task needs to know of a call, in a form Spark can serialise (core's records are not
 * Serializable): the geometry, the scale and the mask as placed for the whole problem (bottom-right offsets
 * per factor, empty when none, and the pair band).
 */
record Shape(int problems, int nq, int[] nk, int d, int dv, int[] kvProblem, double scale, boolean full,
             int[] widths, int[] offsets, int band, boolean float32) implements Serializable {

    static Shape of(Geometry g, double scale, Mask mask, boolean float32) {
        Mask m = mask.intervals();
        boolean full = m instanceof Mask.Full;
        int[] widths = m instanceof Mask.Window w ? w.widths() : new int[0];
        int[] offsets = m instanceof Mask.Window w ? w.offsets() : new int[0];
        return new Shape(g.problems(), g.nq(), g.nk(), g.d(), g.dv(), g.kvProblem(), scale, full, widths, offsets,
                mask.band(), float32);
    }

    Geometry geometry() {
        return new Geometry(problems, nq, nk, d, dv, kvProblem);
    }

    /** The call's mask: query i at position i + offset(t) against factor t. */
    Mask mask() {
        Mask m = full ? Mask.FULL : new Mask.Window(widths, offsets);
        return band == Mask.UNBOUNDED ? m : m.withBand(band);
    }

    /** The call's offset of factor t (0 unless aligned bottom-right). */
    int offset(int t) {
        return offsets.length == 0 ? 0 : offsets[t];
    }

    int factors() {
        return nk.length;
    }
}
