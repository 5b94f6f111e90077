package org.tensorattention.core.exact;

import java.util.Arrays;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The outer key factors 0 .. k-3 of one block of query rows, walked as an odometer: every tuple
 * J' = (j_0 .. j_{k-3}) that some row of the block may attend to, with the elementwise products
 * prod_t K_t[j_t] and prod_t V_t[j_t] and the (contiguous) rows it allows. The last key factor is left to the
 * kernel: with these products it sees an order-2 problem (modulated queries and values). Order 2 has one empty
 * outer tuple whose products are all ones.
 */
final class OuterTuples {
    /**
     * Receives one outer tuple: its key and value products, the first and last row (inclusive) it allows, and
     * the keys of the last factor the pair band allows with it (innerLo .. innerHi; every key without a band).
     */
    interface Visitor {
        void visit(double[] keyProduct, double[] valueProduct, int firstRow, int lastRow, int innerLo, int innerHi);
    }

    private final Geometry g;
    private final Mask mask;
    /** The key and value factors: a double[][] or a float[][], read through one walk for both dtypes. */
    private final Object[] k;
    private final Object[] v;
    private final int outer;
    private final double[][] keyProduct;
    private final double[][] valueProduct;
    private final int band;
    /** Smallest and largest outer index chosen above depth t (for the pair band). */
    private final int[] minJ;
    private final int[] maxJ;
    private int p;
    private int spanLo;
    private int spanHi;
    private Visitor visitor;

    /** k and v: float[][] or double[][]; valueWidth >= dv: the value products come zero-padded to it. */
    OuterTuples(Geometry g, Mask mask, Object[] k, Object[] v, int valueWidth) {
        this.g = g;
        this.mask = mask;
        this.k = k;
        this.v = v;
        outer = g.nk().length - 1;
        band = mask.band();
        minJ = new int[outer + 1];
        maxJ = new int[outer + 1];
        keyProduct = new double[outer + 1][g.d()];
        valueProduct = new double[outer + 1][valueWidth];
        Arrays.fill(keyProduct[0], 1.0);
        Arrays.fill(valueProduct[0], 0, g.dv(), 1.0);
    }

    /**
     * Calls visitor for every outer tuple some query row in [firstRow, lastRow] of problem p may attend to, and
     * (under a pair band) that the band allows together with some key spanLo .. spanHi of the last factor.
     */
    void walk(int p, int firstRow, int lastRow, int spanLo, int spanHi, Visitor visitor) {
        this.p = p;
        this.visitor = visitor;
        this.spanLo = spanLo;
        this.spanHi = spanHi;
        minJ[0] = spanHi;
        maxJ[0] = spanLo;
        visit(0, firstRow, lastRow);
    }

    private int bandLo(int max) {
        return Mask.bandLo(band, max);
    }

    private int bandHi(int min) {
        return Mask.bandHi(band, min);
    }

    private boolean allows(int t, int i, int j) {
        return mask.lo(t, i) <= j && j <= mask.hi(t, i, g.nk()[t]);
    }

    private void visit(int t, int first, int last) {
        if (t == outer) {
            if (band == Mask.UNBOUNDED || t == 0) {
                visitor.visit(keyProduct[t], valueProduct[t], first, last, 0, Integer.MAX_VALUE);
            } else {
                visitor.visit(keyProduct[t], valueProduct[t], first, last, bandLo(maxJ[t]), bandHi(minJ[t]));
            }
            return;
        }
        int nk = g.nk()[t];
        // Interval masks move monotonically with the row, so the block's union runs from first's lo to last's hi.
        int lo = mask.lo(t, first);
        int hi = mask.hi(t, last, nk);
        if (band != Mask.UNBOUNDED) {
            // Within the band of every index chosen so far and of some key of the last factor's span.
            lo = Math.max(lo, bandLo(Math.max(maxJ[t], spanLo)));
            hi = Math.min(hi, bandHi(Math.min(minJ[t], spanHi)));
        }
        int d = g.d();
        int dv = g.dv();
        double[] kp = keyProduct[t];
        double[] vp = valueProduct[t];
        double[] kn = keyProduct[t + 1];
        double[] vn = valueProduct[t + 1];
        boolean full = mask instanceof Mask.Full;
        double[] kd = k[t] instanceof double[] a ? a : null;
        double[] vd = v[t] instanceof double[] a ? a : null;
        float[] kf = k[t] instanceof float[] a ? a : null;
        float[] vf = v[t] instanceof float[] a ? a : null;
        // Row j of factor t lies stride apart from row 0 in either layout.
        long k0 = g.keyRow(p, t, 0);
        long v0 = g.valueRow(p, t, 0);
        int ks = g.keyStride();
        int vs = g.valueStride();
        for (int j = lo; j <= hi; j++) {
            int f = first;
            int l = last;
            if (!full) {
                while (f <= last && !allows(t, f, j)) {
                    f++;
                }
                if (f > last) {
                    continue;
                }
                l = f;
                while (l < last && allows(t, l + 1, j)) {
                    l++;
                }
            }
            int kr = (int) (k0 + (long) j * ks);
            int vr = (int) (v0 + (long) j * vs);
            if (kd != null) {
                for (int c = 0; c < d; c++) {
                    kn[c] = kp[c] * kd[kr + c];
                }
                for (int c = 0; c < dv; c++) {
                    vn[c] = vp[c] * vd[vr + c];
                }
            } else {
                for (int c = 0; c < d; c++) {
                    kn[c] = kp[c] * kf[kr + c];
                }
                for (int c = 0; c < dv; c++) {
                    vn[c] = vp[c] * vf[vr + c];
                }
            }
            minJ[t + 1] = t == 0 ? j : Math.min(minJ[t], j);
            maxJ[t + 1] = t == 0 ? j : Math.max(maxJ[t], j);
            visit(t + 1, f, l);
        }
    }
}
