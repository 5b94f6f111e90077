package org.tensorattention.core.exact;

import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.Parallel;
import org.tensorattention.core.simd.Exp;

/**
 * The portable scalar exact forward for any order, streamed with a running maximum and sum (online softmax):
 * extra memory is O(k (d + dv)) per thread, whatever n is. It visits only the tuples the mask allows.
 *
 * <p>Used when the Vector API module is absent; also the simplest statement of the algorithm.
 */
enum ScalarForward implements ExactForward.Kernel {
    KERNEL;

    /** float64: fills out (problems x nq x dv) and lse (problems x nq). */
    @Override
    public void forward(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v,
                        double[] out, double[] lse, int threads) {
        int nq = g.nq();
        Inputs in = new Inputs(g, scale, mask, q, k, v);
        Parallel.forEach(g.problems() * nq, threads, task -> in.new RowState(task / nq).row(task % nq, out, lse));
    }

    /** float32 in and out; accumulates in float64 on this portable path. */
    @Override
    public void forward(Geometry g, double scale, Mask mask, float[] q, float[][] k, float[][] v,
                        float[] out, double[] lse, int threads) {
        double[] out64 = new double[out.length];
        forward(g, scale, mask, widen(q), widen(k), widen(v), out64, lse, threads);
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) out64[i];
        }
    }

    static double[] widen(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }

    static double[][] widen(float[][] a) {
        double[][] r = new double[a.length][];
        for (int t = 0; t < a.length; t++) {
            r[t] = widen(a[t]);
        }
        return r;
    }

    /** One call's inputs, which every row's state reads. */
    private record Inputs(Geometry g, double scale, Mask mask, double[] q, double[][] k, double[][] v) {

        /** One query row: partial products of the key and value factors chosen so far, and the softmax state. */
        final class RowState {
            final int p;
            final int factors;
            final int d;
            final int dv;
            final double[][] qk;
            final double[][] pv;
            final double[] acc;
            /** Smallest and largest index chosen at depths below t, for the pair band. */
            final int[] minJ;
            final int[] maxJ;
            double max;
            double sum;
            int i;

            RowState(int p) {
                this.p = p;
                minJ = new int[g.nk().length + 1];
                maxJ = new int[g.nk().length + 1];
                factors = g.order() - 1;
                d = g.d();
                dv = g.dv();
                qk = new double[factors][d];
                pv = new double[factors][dv];
                acc = new double[dv];
            }

            void row(int i, double[] out, double[] lse) {
                this.i = i;
                int qo = (int) g.qRow(p, i);
                for (int l = 0; l < d; l++) {
                    qk[0][l] = scale * q[qo + l];
                }
                java.util.Arrays.fill(pv[0], 1.0);
                max = Double.NEGATIVE_INFINITY;
                sum = 0;
                java.util.Arrays.fill(acc, 0);
                visit(0);
                int oo = (int) g.outRow(p, i);
                // A row that sees no tuple has sum 0: its output is 0 and its lse -infinity, not 0/0.
                for (int l = 0; l < dv; l++) {
                    out[oo + l] = sum > 0 ? acc[l] / sum : 0.0;
                }
                lse[(int) g.lseAt(p, i)] = sum > 0 ? max + StrictMath.log(sum) : Double.NEGATIVE_INFINITY;
            }

            private void visit(int t) {
                int lo = mask.lo(t, i);
                int hi = mask.hi(t, i, g.nk()[t]);
                if (t > 0) {
                    lo = Math.max(lo, Mask.bandLo(mask.band(), maxJ[t]));
                    hi = Math.min(hi, Mask.bandHi(mask.band(), minJ[t]));
                }
                int ko = (int) g.keyRow(p, t, 0);
                int vo = (int) g.valueRow(p, t, 0);
                int ks = g.keyStride();
                int vs = g.valueStride();
                double[] kt = k[t];
                double[] vt = v[t];
                double[] qkt = qk[t];
                double[] pvt = pv[t];
                if (t == factors - 1) {
                    for (int j = lo; j <= hi; j++) {
                        double s = 0;
                        int kr = ko + j * ks;
                        for (int l = 0; l < d; l++) {
                            s += qkt[l] * kt[kr + l];
                        }
                        if (s > max) {
                            double rescale = Exp.exp(max - s);
                            sum *= rescale;
                            for (int l = 0; l < dv; l++) {
                                acc[l] *= rescale;
                            }
                            max = s;
                        }
                        double w = Exp.exp(s - max);
                        sum += w;
                        int vr = vo + j * vs;
                        for (int l = 0; l < dv; l++) {
                            acc[l] += w * pvt[l] * vt[vr + l];
                        }
                    }
                    return;
                }
                double[] qkn = qk[t + 1];
                double[] pvn = pv[t + 1];
                for (int j = lo; j <= hi; j++) {
                    minJ[t + 1] = t == 0 ? j : Math.min(minJ[t], j);
                    maxJ[t + 1] = t == 0 ? j : Math.max(maxJ[t], j);
                    int kr = ko + j * ks;
                    for (int l = 0; l < d; l++) {
                        qkn[l] = qkt[l] * kt[kr + l];
                    }
                    int vr = vo + j * vs;
                    for (int l = 0; l < dv; l++) {
                        pvn[l] = pvt[l] * vt[vr + l];
                    }
                    visit(t + 1);
                }
            }
        }
    }
}
