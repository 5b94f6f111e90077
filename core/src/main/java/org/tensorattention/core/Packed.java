package org.tensorattention.core;

import java.util.ArrayList;
import java.util.List;

/**
 * Packed variable-length batches: the rows of q (axis -2, or -3 in the bshd layout) hold the queries of every
 * sequence one after another, and likewise the rows of each key and value factor. Offsets cuQ and cuK
 * (batch + 1 entries from 0 to the row count, non-decreasing) say where sequence b starts: its queries are rows
 * cuQ[b] .. cuQ[b+1] - 1 and they attend only to key rows cuK[b] .. cuK[b+1] - 1, under the call's mask (aligned
 * per sequence). Each sequence runs on its own, so no padding is computed; a zero-length sequence costs
 * nothing, and a sequence with queries but no keys gives o = 0 and lse = -inf.
 */
public final class Packed {
    private Packed() {
    }

    /** Checks offsets named name against a row count: starts at 0, never decreases, ends at rows. */
    public static void checkOffsets(String name, int[] cu, int rows, String rowsOf) {
        if (cu.length < 1) {
            throw new IllegalArgumentException(name + " is empty: it needs batch + 1 offsets starting at 0");
        }
        if (cu[0] != 0) {
            throw new IllegalArgumentException(name + " starts at " + cu[0] + ", not 0");
        }
        for (int b = 1; b < cu.length; b++) {
            if (cu[b] < cu[b - 1]) {
                throw new IllegalArgumentException(name + " decreases at index " + b + " (" + cu[b - 1] + " then "
                        + cu[b] + "): offsets must not decrease");
            }
        }
        if (cu[cu.length - 1] != rows) {
            throw new IllegalArgumentException(name + " ends at " + cu[cu.length - 1] + " but " + rowsOf + " has "
                    + rows + " rows");
        }
    }

    /** The forward of every sequence; o and lse as for one call over all rows. */
    public static AttentionResult forward(Tensor q, List<Tensor> keys, List<Tensor> values, int[] cuQ, int[] cuK,
                                          AttentionOptions options) {
        return forward(TensorAttention.backend(), q, keys, values, cuQ, cuK, options);
    }

    /** As {@link #forward(Tensor, List, List, int[], int[], AttentionOptions)}, each sequence run by backend. */
    public static AttentionResult forward(Backend backend, Tensor q, List<Tensor> keys, List<Tensor> values,
                                          int[] cuQ, int[] cuK, AttentionOptions options) {
        Sequences seq = Sequences.of(q, keys, values, cuQ, cuK, options);
        int dv = values.get(0).dim(-1);
        int[] lead = Geometry.leading(q);
        // o is (.., total, dv) in bhsd and (total, heads, dv) in bshd: q's shape with dv last, either way.
        Tensor out = Tensor.zeros(q.dtype(), Geometry.concat(lead, q.dim(-2), dv));
        double[] lse = new double[(int) Tensor.sizeOf(lead) * q.dim(-2)];
        java.util.Arrays.fill(lse, Double.NEGATIVE_INFINITY);
        Summary s = new Summary();
        for (int b = 0; b + 1 < cuQ.length; b++) {
            int q0 = cuQ[b];
            int q1 = cuQ[b + 1];
            if (q1 == q0 || cuK[b + 1] == cuK[b]) {
                continue; // no queries, or no keys: zeros and -inf
            }
            AttentionResult r = backend.forward(seq.slice(q, q0, q1), seq.slices(keys, cuK, b),
                    seq.slices(values, cuK, b), options);
            seq.place(out, r.output(), q0);
            if (r.logSumExp() != null) {
                seq.placeLse(lse, r.logSumExp(), q0);
            } else {
                s.noLse = true; // the polynomial method gives no lse
            }
            s.add(r.method(), r.seconds(), r.flops(), r.poly(), r.reason());
        }
        Tensor lseT = s.noLse ? null : Tensor.of(lse, Geometry.concat(lead, q.dim(-2)));
        return new AttentionResult(out, lseT, s.method(), s.seconds,
                s.flops, s.poly, s.reason(cuQ.length - 1));
    }

    /** The backward of every sequence; gradients shaped as the packed inputs. */
    public static GradientResult backward(Tensor q, List<Tensor> keys, List<Tensor> values, Tensor dout, int[] cuQ,
                                          int[] cuK, AttentionOptions options) {
        return backward(TensorAttention.backend(), q, keys, values, dout, cuQ, cuK, options);
    }

    /** As {@link #backward(Tensor, List, List, Tensor, int[], int[], AttentionOptions)}, each sequence by backend. */
    public static GradientResult backward(Backend backend, Tensor q, List<Tensor> keys, List<Tensor> values,
                                          Tensor dout, int[] cuQ, int[] cuK, AttentionOptions options) {
        Sequences seq = Sequences.of(q, keys, values, cuQ, cuK, options);
        int[] outShape = Geometry.concat(Geometry.leading(q), q.dim(-2), values.get(0).dim(-1));
        if (!java.util.Arrays.equals(dout.shape(), outShape)) {
            throw new IllegalArgumentException("dout has shape " + Tensor.shapeString(dout.shape())
                    + " but the output has shape " + Tensor.shapeString(outShape));
        }
        Tensor out = Tensor.zeros(q.dtype(), outShape);
        Tensor dq = Tensor.zeros(q.dtype(), q.shape());
        List<Tensor> dk = new ArrayList<>();
        List<Tensor> dvs = new ArrayList<>();
        for (int t = 0; t < keys.size(); t++) {
            dk.add(Tensor.zeros(keys.get(t).dtype(), keys.get(t).shape()));
            dvs.add(Tensor.zeros(values.get(t).dtype(), values.get(t).shape()));
        }
        Summary s = new Summary();
        for (int b = 0; b + 1 < cuQ.length; b++) {
            int q0 = cuQ[b];
            if (cuQ[b + 1] == q0 || cuK[b + 1] == cuK[b]) {
                continue; // nothing attends: every gradient of the sequence is 0
            }
            GradientResult r = backend.backward(seq.slice(q, q0, cuQ[b + 1]), seq.slices(keys, cuK, b),
                    seq.slices(values, cuK, b), seq.slice(dout, q0, cuQ[b + 1]), null, options);
            seq.place(out, r.output(), q0);
            seq.place(dq, r.dq(), q0);
            for (int t = 0; t < keys.size(); t++) {
                seq.place(dk.get(t), r.dk().get(t), cuK[b]);
                seq.place(dvs.get(t), r.dv().get(t), cuK[b]);
            }
            s.add(r.method(), r.seconds(), r.flops(), r.poly(), r.reason());
        }
        return new GradientResult(out, dq, dk, dvs, s.method(), s.seconds, s.flops, s.poly, s.reason(cuQ.length - 1));
    }

    /** The checks forward and backward make before any work, for arrays in the given layout. */
    public static void check(Tensor q, List<Tensor> keys, List<Tensor> values, int[] cuQ, int[] cuK,
                             AttentionOptions.Layout layout) {
        Sequences.of(q, keys, values, cuQ, cuK, AttentionOptions.defaults().withLayout(layout));
    }

    /**
     * Where the packed rows lie: axis -2 in bhsd; axis -3 in bshd, whose (seq, heads, width) rows are handled as
     * (seq, heads * width) rows (a view, no copy), so a sequence's slice stays bshd and runs in place.
     */
    private record Sequences(boolean bshd, int total) {
        static Sequences of(Tensor q, List<Tensor> keys, List<Tensor> values, int[] cuQ, int[] cuK,
                            AttentionOptions options) {
            boolean bshd = options.layout() == AttentionOptions.Layout.BSHD;
            // Validates shapes (and finiteness) once for the whole batch.
            Validation.packedGeometry(q, keys, values, options.layout());
            Sequences seq = new Sequences(bshd, q.dim(bshd ? -3 : -2));
            checkOffsets(cuQ == cuK ? "cu_seqlens" : "cu_seqlens_q", cuQ, seq.total, "q");
            for (int t = 0; t < keys.size(); t++) {
                checkOffsets(cuQ == cuK ? "cu_seqlens" : "cu_seqlens_k", cuK, keys.get(t).dim(bshd ? -3 : -2),
                        "k" + (t + 1));
            }
            if (cuQ.length != cuK.length) {
                throw new IllegalArgumentException("cu_seqlens_q has " + (cuQ.length - 1)
                        + " sequences but cu_seqlens_k has " + (cuK.length - 1));
            }
            return seq;
        }

        /** Rows from .. to - 1, in t's layout. */
        Tensor slice(Tensor t, int from, int to) {
            if (!bshd) {
                return Rows.slice(t, from, to);
            }
            int[] shape = t.shape();
            shape[shape.length - 3] = to - from;
            return Rows.slice(rows(t), from, to).reshape(shape);
        }

        List<Tensor> slices(List<Tensor> ts, int[] cu, int b) {
            return ts.stream().map(t -> slice(t, cu[b], cu[b + 1])).toList();
        }

        void place(Tensor whole, Tensor part, int from) {
            if (bshd) {
                Rows.place(rows(whole), rows(part), from);
            } else {
                Rows.place(whole, part, from);
            }
        }

        /** A part's lse, (.., m) in bhsd or (.., m, heads) in bshd, into the whole's at row from. */
        void placeLse(double[] whole, Tensor part, int from) {
            if (!bshd) {
                Rows.placeLse(whole, total, part, from);
                return;
            }
            int heads = part.dim(-1);
            Rows.placeLse(whole, total * heads, rows(part), from * heads);
        }

        /** (.., seq, heads, width) as (.., seq, heads * width); an lse (.., seq, heads) as (.., seq * heads). */
        private static Tensor rows(Tensor t) {
            int[] s = t.shape();
            int[] shape = java.util.Arrays.copyOf(s, s.length - 1);
            shape[shape.length - 1] *= s[s.length - 1];
            return t.reshape(shape);
        }
    }

    /** What ran, over all sequences. */
    private static final class Summary {
        double seconds;
        double flops;
        AttentionResult.PolyInfo poly;
        Method first;
        boolean mixed;
        String lastReason = "no sequence has both queries and keys";
        int runs;
        boolean noLse;

        void add(Method m, double sec, double fl, AttentionResult.PolyInfo p, String reason) {
            seconds += sec;
            flops += fl;
            poly = poly == null ? p : poly;
            mixed |= first != null && m != first;
            first = first == null ? m : first;
            lastReason = reason;
            runs++;
        }

        Method method() {
            return first == null || mixed ? Method.EXACT : first;
        }

        String reason(int batch) {
            String head = runs + " of " + batch + " sequences computed";
            return mixed ? head + "; methods differ between sequences" : head + "; " + lastReason;
        }
    }
}
