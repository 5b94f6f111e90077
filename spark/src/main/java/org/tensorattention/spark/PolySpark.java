package org.tensorattention.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;
import org.tensorattention.core.poly.ExpPolynomial;
import org.tensorattention.core.poly.PolyBlocks;
import org.tensorattention.core.poly.PolyPlan;
import org.tensorattention.spark.ExactSpark.GradKey;
import org.tensorattention.spark.ExactSpark.Piece;
import scala.Tuple2;

/**
 * The polynomial method spread over Spark tasks, in passes over chunks of rows (float64 throughout, as on
 * one machine).
 *
 * <ol>
 *   <li>The score radius R: column maxima of the keys per chunk (combined by max, which is exact), then each
 *       query chunk's reach. R, hence the degree and the certificate, is the single-machine one.</li>
 *   <li>Full mask: key moments S_t = U_t^T V_t and z_t per chunk, summed per (kv problem, factor) in chunk
 *       order, broadcast; each query chunk computes its rows.</li>
 *   <li>Causal: a three-pass scan: chunk totals, an exclusive prefix over chunks on the driver, a local scan
 *       of each chunk from its prefix.</li>
 *   <li>Window: each chunk carries a halo of the max_t w_t - 1 rows before it and slides its window alone.</li>
 * </ol>
 *
 * <p>Backward, full mask: the forward's moments, then query chunks give dQ and partial sums of
 * dM = U_Q^T gN and dz, summed in chunk order; key chunks then give dK and dV without further sums. Causal and
 * window backward run one task per problem with the call's polynomial.
 */
final class PolySpark {
    private PolySpark() {
    }

    /** The certified polynomial and the call's balancing, in a form Spark can serialise. */
    record Poly(int degree, double[] coefficients, double radius, double delta, String basis,
                PolyBlocks.Shifts shifts) implements Serializable {
        static Poly of(ExpPolynomial p, PolyBlocks.Shifts shifts) {
            return new Poly(p.degree(), p.coefficients(), p.radius(), p.delta(), p.basis(), shifts);
        }

        /** The pieces on balanced data: the scale is what is left once its power of two is folded into q. */
        PolyBlocks blocks(Shape s) {
            return new PolyBlocks(new ExpPolynomial(degree, coefficients, radius, delta, basis), s.d(), s.dv(),
                    shifts.scale());
        }

        /** A chunk's rows moved by the call's powers of two, as the single machine balances them. */
        Chunk balanced(Chunk ch, Shape s) {
            return PolySpark.balanced(ch, s, shifts);
        }
    }

    static Chunk balanced(Chunk ch, Shape s, PolyBlocks.Shifts shifts) {
        int kp = ch.kp();
        double[] q = null;
        if (ch.q() != null) {
            q = ch.q().clone();
            PolyBlocks.shiftColumns(q, q.length / s.d(), s.d(), shifts.q()[kp]);
        }
        double[][] k = null;
        double[][] v = null;
        if (ch.k() != null) {
            k = new double[ch.k().length][];
            v = new double[ch.v().length][];
            for (int t = 0; t < k.length; t++) {
                k[t] = ch.k()[t].clone();
                PolyBlocks.shiftColumns(k[t], k[t].length / s.d(), s.d(), shifts.k()[kp][t]);
                v[t] = ch.v()[t].clone();
                PolyBlocks.shiftAll(v[t], shifts.v()[kp][t]);
            }
        }
        return new Chunk(ch.index(), ch.p(), ch.kp(), ch.chunk(), ch.r0(), ch.r1(), ch.halo(), q, k, v, ch.dout());
    }

    /**
     * Rows [r0, r1) of problem p (its kv problem kp): queries, keys, values and dout as a pass needs them,
     * each null when it does not; {@code halo} leading rows belong to the chunk before.
     */
    record Chunk(int index, int p, int kp, int chunk, int r0, int r1, int halo, double[] q, double[][] k,
                 double[][] v, double[] dout) implements Serializable {
    }

    /** R, Vinf and the plan, from the passes over the chunks. */
    record Bound(double radius, double vinf, PolyPlan plan, PolyBlocks.Shifts shifts) {
    }

    /** Key chunks, one per kv problem and row range, with all factors (nk may differ per factor). */
    static List<Chunk> keyChunks(Call c, int[] bounds) {
        List<Chunk> out = new ArrayList<>();
        Geometry g = c.g;
        int chunks = bounds.length - 1;
        for (int kp = 0; kp < g.kvProblems(); kp++) {
            for (int b = 0; b < chunks; b++) {
                double[][] k = new double[c.factors()][];
                double[][] v = new double[c.factors()][];
                for (int t = 0; t < c.factors(); t++) {
                    int nk = g.nk()[t];
                    int r0 = (int) ((long) nk * b / chunks);
                    int r1 = (int) ((long) nk * (b + 1) / chunks);
                    k[t] = c.keyRows(t, kp, r0, r1).f64();
                    v[t] = c.valueRows(t, kp, r0, r1).f64();
                }
                out.add(new Chunk(out.size(), -1, kp, b, -1, -1, 0, null, k, v, null));
            }
        }
        return out;
    }

    /** Query chunks of every problem; with keys (rows r0 - halo .. r1) for masked scans, with dout for backward. */
    static List<Chunk> queryChunks(Call c, int[] bounds, boolean withKeys, int halo, Rows dout) {
        List<Chunk> out = new ArrayList<>();
        Geometry g = c.g;
        for (int p = 0; p < g.problems(); p++) {
            int kp = g.kvProblem()[p];
            for (int b = 0; b + 1 < bounds.length; b++) {
                int r0 = bounds[b];
                int r1 = bounds[b + 1];
                int h = Math.min(r0, halo);
                double[][] k = null;
                double[][] v = null;
                if (withKeys) {
                    k = new double[c.factors()][];
                    v = new double[c.factors()][];
                    for (int t = 0; t < c.factors(); t++) {
                        k[t] = c.keyRows(t, kp, r0 - h, r1).f64();
                        v[t] = c.valueRows(t, kp, r0 - h, r1).f64();
                    }
                }
                double[] q = c.queryRows(c.q, p, r0 - h, r1, g.d()).f64();
                double[] dO = dout == null ? null : c.queryRows(dout, p, r0, r1, g.dv()).f64();
                out.add(new Chunk(out.size(), p, kp, b, r0, r1, h, q, k, v, dO));
            }
        }
        return out;
    }

    /** One chunk per problem: all its query rows, every key row of each factor, dout when given. */
    static List<Chunk> problemChunks(Call c, Rows dout) {
        List<Chunk> out = new ArrayList<>();
        Geometry g = c.g;
        for (int p = 0; p < g.problems(); p++) {
            int kp = g.kvProblem()[p];
            double[][] k = new double[c.factors()][];
            double[][] v = new double[c.factors()][];
            for (int t = 0; t < c.factors(); t++) {
                k[t] = c.keyRows(t, kp, 0, g.nk()[t]).f64();
                v[t] = c.valueRows(t, kp, 0, g.nk()[t]).f64();
            }
            double[] q = c.queryRows(c.q, p, 0, g.nq(), g.d()).f64();
            double[] dO = dout == null ? null : c.queryRows(dout, p, 0, g.nq(), g.dv()).f64();
            out.add(new Chunk(out.size(), p, kp, 0, 0, g.nq(), 0, q, k, v, dO));
        }
        return out;
    }

    /** Equal chunks of rows: every row costs the same here. */
    static int[] bounds(int n, int chunks) {
        int m = Math.max(1, Math.min(chunks, n));
        int[] b = new int[m + 1];
        for (int i = 0; i <= m; i++) {
            b[i] = (int) ((long) n * i / m);
        }
        return b;
    }

    /** Passes 1 and 2 of R: key column maxima (and value maxima, for Vinf), then the queries' reach. */
    static Bound bound(Run run, Call c, JavaRDD<Chunk> keys, JavaRDD<Chunk> queries, AttentionOptions options) {
        Geometry g = c.g;
        int factors = c.factors();
        int d = g.d();
        int dv = g.dv();
        List<Tuple2<Integer, double[][]>> maxima = keys.map(ch -> {
            double[][] m = new double[2 * factors][];
            for (int t = 0; t < factors; t++) {
                m[t] = PolyBlocks.columnMaxAbs(ch.k()[t], 0, ch.k()[t].length / d, d);
                m[factors + t] = PolyBlocks.columnMaxAbs(ch.v()[t], 0, ch.v()[t].length / dv, dv);
            }
            return new Tuple2<>(ch.kp(), m);
        }).collect();
        double[][][] max = new double[g.kvProblems()][2 * factors][];
        for (Tuple2<Integer, double[][]> m : maxima) {
            double[][] into = max[m._1()];
            for (int x = 0; x < into.length; x++) {
                if (into[x] == null) {
                    into[x] = m._2()[x].clone();
                } else {
                    for (int l = 0; l < into[x].length; l++) {
                        into[x][l] = Math.max(into[x][l], m._2()[x][l]);
                    }
                }
            }
        }
        double[][] keyMax = new double[g.kvProblems()][];
        double vinf = 0;
        for (int kp = 0; kp < keyMax.length; kp++) {
            // Products in factor order from 1, as the single-machine bound forms them.
            keyMax[kp] = new double[d];
            Arrays.fill(keyMax[kp], 1);
            double[] vp = new double[dv];
            Arrays.fill(vp, 1);
            for (int t = 0; t < factors; t++) {
                for (int l = 0; l < d; l++) {
                    keyMax[kp][l] *= max[kp][t][l];
                }
                for (int l = 0; l < dv; l++) {
                    vp[l] *= max[kp][factors + t][l];
                }
            }
            for (double x : vp) {
                vinf = Math.max(vinf, x);
            }
        }
        // One pass over the queries: q's column maxima per kv problem (for the balancing) and each chunk's reach
        // against the products of the key maxima.
        Broadcast<double[][]> km = run.sc.broadcast(keyMax);
        List<Tuple2<Integer, double[]>> qm = queries.map(ch -> {
            int rows = ch.r1() - ch.r0();
            double[] m = Arrays.copyOf(PolyBlocks.columnMaxAbs(ch.q(), (long) ch.halo() * d, rows, d), d + 1);
            m[d] = PolyBlocks.queryReach(ch.q(), (long) ch.halo() * d, rows, d, km.value()[ch.kp()]);
            return new Tuple2<>(ch.kp(), m);
        }).collect();
        km.destroy();
        double[][] qMax = new double[g.kvProblems()][d];
        double reach = 0;
        for (Tuple2<Integer, double[]> m : qm) {
            for (int l = 0; l < d; l++) {
                qMax[m._1()][l] = Math.max(qMax[m._1()][l], m._2()[l]);
            }
            reach = Math.max(reach, m._2()[d]);
        }
        double[][][] kMax = new double[g.kvProblems()][factors][];
        double[][][] vMax = new double[g.kvProblems()][factors][];
        for (int kp = 0; kp < kMax.length; kp++) {
            for (int t = 0; t < factors; t++) {
                kMax[kp][t] = max[kp][t];
                vMax[kp][t] = max[kp][factors + t];
            }
        }
        PolyBlocks.Shifts shifts = PolyBlocks.balance(g, c.scale, qMax, kMax, vMax);
        double radius = PolyBlocks.radius(shifts.scale(), PolyBlocks.balancedReach(reach, c.scale));
        return new Bound(radius, vinf, PolyBlocks.plan(radius, g, options, c.dtype, shifts), shifts);
    }

    /** The forward's key moments per kv problem: s[kp][t], z[kp][t], summed in chunk order. */
    static double[][][][] moments(Run run, Call c, JavaRDD<Chunk> keys, Poly poly, int rank) {
        Shape shape = c.shape;
        int factors = c.factors();
        Map<GradKey, Piece> sums = keys.flatMapToPair(raw -> {
            Chunk ch = poly.balanced(raw, shape);
            PolyBlocks pb = poly.blocks(shape);
            List<Tuple2<GradKey, Piece>> out = new ArrayList<>();
            for (int t = 0; t < factors; t++) {
                long start = System.nanoTime();
                double[] sz = new double[pb.momentLength() + pb.rank()];
                double[] s = new double[pb.momentLength()];
                double[] z = new double[pb.rank()];
                pb.keyMoments(ch.k()[t], 0, ch.v()[t], 0, ch.k()[t].length / shape.d(), s, z);
                System.arraycopy(s, 0, sz, 0, s.length);
                System.arraycopy(z, 0, sz, s.length, z.length);
                out.add(new Tuple2<>(new GradKey(GradKey.DK, ch.kp(), t, 0),
                        new Piece(ch.index(), 0, sz, System.nanoTime() - start)));
            }
            return out.iterator();
        }).groupByKey().mapValues(ExactSpark::sum).collectAsMap();
        double[][][][] m = new double[c.g.kvProblems()][2][factors][];
        for (Map.Entry<GradKey, Piece> e : sums.entrySet()) {
            double[] sz = e.getValue().data();
            run.addKernel(e.getValue().nanos());
            m[e.getKey().problem()][0][e.getKey().factor()] = Arrays.copyOf(sz, sz.length - rank);
            m[e.getKey().problem()][1][e.getKey().factor()] = Arrays.copyOfRange(sz, sz.length - rank, sz.length);
        }
        return m;
    }

    /** A chunk's output rows, their lse (null where the pass gives none) and the kernel time. */
    record Out(double[] o, double[] lse, long nanos) implements Serializable {
        Out(double[] o, long nanos) {
            this(o, null, nanos);
        }
    }

    /** O~ in float64 (flat) and its lse, log of the approximate denominator (null: masked, not given yet). */
    record Forward(double[] out, double[] lse) {
    }

    /** The distributed poly forward (plan already made and feasible). */
    static Forward forward(Run run, Call c, Poly poly, int rank, JavaRDD<Chunk> keys, JavaRDD<Chunk> queries,
                           JavaRDD<Chunk> scans) {
        Geometry g = c.g;
        Shape shape = c.shape;
        double[] out = new double[g.problems() * g.nq() * g.dv()];
        double[] lse = c.mask instanceof Mask.Full ? new double[g.problems() * g.nq()] : null;
        List<Tuple2<Chunk, Out>> rows;
        if (c.mask instanceof Mask.Full) {
            double[][][][] m = moments(run, c, keys, poly, rank);
            double[][][] mz = new double[m.length][][];
            for (int kp = 0; kp < m.length; kp++) {
                mz[kp] = new double[][] {PolyBlocks.product(m[kp][0], -1), PolyBlocks.product(m[kp][1], -1)};
            }
            Broadcast<double[][][]> stats = run.sc.broadcast(mz);
            rows = queries.map(raw -> {
                long start = System.nanoTime();
                Chunk ch = poly.balanced(raw, shape);
                int n = ch.r1() - ch.r0();
                double[] o = new double[n * shape.dv()];
                double[][] st = stats.value()[ch.kp()];
                double[] l = new double[n];
                poly.blocks(shape).queryOutputs(ch.q(), 0, n, st[0], st[1], o, 0, l);
                return new Tuple2<>(strip(ch), new Out(o, l, System.nanoTime() - start));
            }).collect();
            stats.destroy();
        } else if (c.mask.isShifted()) {
            // Bottom-right (nq != nk): one task per problem runs the single machine's scan with the offsets.
            rows = scans.map(raw -> {
                long start = System.nanoTime();
                Chunk ch = poly.balanced(raw, shape);
                double[] o = new double[shape.nq() * shape.dv()];
                poly.blocks(shape).forward(Geometry.simple(1, shape.nq(), shape.nk(), shape.d(), shape.dv()),
                        shape.mask(), ch.q(), ch.k(), ch.v(), o);
                return new Tuple2<>(strip(ch), new Out(o, System.nanoTime() - start));
            }).collect();
        } else if (c.mask instanceof Mask.Window cw && cw.causal()) {
            rows = causal(run, c, poly, scans);
        } else {
            rows = scans.map(raw -> {
                long start = System.nanoTime();
                Chunk ch = poly.balanced(raw, shape);
                int n = ch.r1() - ch.r0() + ch.halo();
                int[] nk = new int[shape.factors()];
                Arrays.fill(nk, n);
                double[] o = new double[n * shape.dv()];
                poly.blocks(shape).forward(Geometry.simple(1, n, nk, shape.d(), shape.dv()), shape.mask(), ch.q(), ch.k(),
                        ch.v(), o);
                return new Tuple2<>(strip(ch), new Out(Arrays.copyOfRange(o, ch.halo() * shape.dv(), o.length),
                        System.nanoTime() - start));
            }).collect();
        }
        for (Tuple2<Chunk, Out> r : rows) {
            Chunk ch = r._1();
            run.addKernel(r._2().nanos());
            double[] o = r._2().o();
            PolyBlocks.shiftAll(o, -poly.shifts().outputShift(ch.kp()));
            System.arraycopy(o, 0, out, (ch.p() * g.nq() + ch.r0()) * g.dv(), o.length);
            if (lse != null) {
                // Balancing leaves every score as it was, so the balanced denominator is the caller's.
                System.arraycopy(r._2().lse(), 0, lse, ch.p() * g.nq() + ch.r0(), r._2().lse().length);
            }
        }
        return new Forward(out, lse);
    }

    /** A chunk's place without its data, to send back with its results. */
    private static Chunk strip(Chunk ch) {
        return new Chunk(ch.index(), ch.p(), ch.kp(), ch.chunk(), ch.r0(), ch.r1(), ch.halo(), null, null, null, null);
    }

    /** The causal three-pass scan. */
    private static List<Tuple2<Chunk, Out>> causal(Run run, Call c, Poly poly, JavaRDD<Chunk> scans) {
        Shape shape = c.shape;
        int factors = c.factors();
        // Pass 1: each chunk's totals per factor.
        List<Tuple2<Chunk, double[][]>> totals = scans.map(raw -> {
            long t0 = System.nanoTime();
            Chunk ch = poly.balanced(raw, shape);
            PolyBlocks pb = poly.blocks(shape);
            double[][] sz = new double[2 * factors][];
            int n = ch.r1() - ch.r0();
            for (int t = 0; t < factors; t++) {
                sz[t] = new double[pb.momentLength()];
                sz[factors + t] = new double[pb.rank()];
                pb.keyMoments(ch.k()[t], 0, ch.v()[t], 0, n, sz[t], sz[factors + t]);
            }
            // The kernel time rides along as a one-element tail.
            double[][] withTime = Arrays.copyOf(sz, sz.length + 1);
            withTime[sz.length] = new double[] {System.nanoTime() - t0};
            return new Tuple2<>(strip(ch), withTime);
        }).collect();
        // Pass 2, on the driver: exclusive prefixes over each problem's chunks, in chunk order.
        Map<Integer, double[][]> start = new HashMap<>();
        Map<Integer, double[][]> running = new HashMap<>();
        List<Tuple2<Chunk, double[][]>> sorted = new ArrayList<>(totals);
        sorted.sort((a, b) -> Integer.compare(a._1().index(), b._1().index()));
        for (Tuple2<Chunk, double[][]> t : sorted) {
            Chunk ch = t._1();
            run.addKernel((long) t._2()[2 * factors][0]);
            double[][] run0 = running.get(ch.p());
            if (run0 == null) {
                run0 = new double[2 * factors][];
                for (int x = 0; x < 2 * factors; x++) {
                    run0[x] = new double[t._2()[x].length];
                }
                running.put(ch.p(), run0);
            }
            double[][] copy = new double[2 * factors][];
            for (int x = 0; x < 2 * factors; x++) {
                copy[x] = run0[x].clone();
                PolyBlocks.add(run0[x], t._2()[x]);
            }
            start.put(ch.index(), copy);
        }
        Broadcast<Map<Integer, double[][]>> starts = run.sc.broadcast(start);
        // Pass 3: each chunk scans its rows from its prefix.
        List<Tuple2<Chunk, Out>> rows = scans.map(raw -> {
            long t0 = System.nanoTime();
            Chunk ch = poly.balanced(raw, shape);
            double[][] sz = starts.value().get(ch.index());
            double[][] s = new double[factors][];
            double[][] z = new double[factors][];
            for (int t = 0; t < factors; t++) {
                s[t] = sz[t].clone();
                z[t] = sz[factors + t].clone();
            }
            int n = ch.r1() - ch.r0();
            double[] o = new double[n * shape.dv()];
            poly.blocks(shape).causalScan(ch.q(), ch.k(), ch.v(), n, s, z, o);
            return new Tuple2<>(strip(ch), new Out(o, System.nanoTime() - t0));
        }).collect();
        starts.destroy();
        return rows;
    }

    /** Gradients and output of the poly backward, float64 and flat. */
    record Backward(double[] out, double[] dq, double[][] dk, double[][] dv) {
    }

    private static final int OUT = 3;
    private static final int DM = 4;

    /** Full mask: moments, the query pass (dQ and the sums dM, dz), then the key pass (dK, dV). */
    static Backward backwardFull(Run run, Call c, Poly poly, int rank, int[] qBounds, int[] keyBounds, JavaRDD<Chunk> keys,
                                 JavaRDD<Chunk> queries) {
        Shape shape = c.shape;
        Geometry g = c.g;
        int factors = c.factors();
        double[][][][] m = moments(run, c, keys, poly, rank);
        double[][][] mz = new double[m.length][][];
        for (int kp = 0; kp < m.length; kp++) {
            mz[kp] = new double[][] {PolyBlocks.product(m[kp][0], -1), PolyBlocks.product(m[kp][1], -1)};
        }
        Broadcast<double[][][]> stats = run.sc.broadcast(mz);
        int[][] seeds = seeds(queries, c, poly.shifts());
        int[] seed = seeds[0];
        int[] gamma = seeds[1];
        Map<GradKey, Piece> q = queries.flatMapToPair(raw -> {
            long start = System.nanoTime();
            Chunk ch = poly.balanced(raw, shape);
            double[] dO = seeded(raw.dout(), seed[raw.kp()]);
            PolyBlocks pb = poly.blocks(shape);
            int n = ch.r1() - ch.r0();
            double[] o = new double[n * shape.dv()];
            double[] dq = new double[n * shape.d()];
            double[] dMz = new double[pb.momentLength() + pb.rank()];
            double[] dM = new double[pb.momentLength()];
            double[] dz = new double[pb.rank()];
            double[][] st = stats.value()[ch.kp()];
            pb.queryGradients(ch.q(), n, dO, st[0], st[1], o, dq, dM, dz);
            System.arraycopy(dM, 0, dMz, 0, dM.length);
            System.arraycopy(dz, 0, dMz, dM.length, dz.length);
            long nanos = System.nanoTime() - start;
            return List.of(new Tuple2<>(new GradKey(GradKey.DQ, ch.p(), 0, ch.chunk()), new Piece(ch.index(), 0, dq, nanos)),
                    new Tuple2<>(new GradKey(OUT, ch.p(), 0, ch.chunk()), new Piece(ch.index(), 0, o, 0)),
                    new Tuple2<>(new GradKey(DM, ch.kp(), 0, 0), new Piece(ch.index(), 0, dMz, 0))).iterator();
        }).groupByKey().mapValues(ExactSpark::sum).collectAsMap();
        stats.destroy();
        Backward r = empty(c);
        double[][][][] gsz = new double[m.length][factors][][];
        for (Map.Entry<GradKey, Piece> e : q.entrySet()) {
            GradKey key = e.getKey();
            double[] data = e.getValue().data();
            run.addKernel(e.getValue().nanos());
            switch (key.kind()) {
                case GradKey.DQ -> {
                    restoreQuery(data, g, key.problem(), poly.shifts(), gamma);
                    System.arraycopy(data, 0, r.dq(), (key.problem() * g.nq() + qBounds[key.block()]) * g.d(),
                            data.length);
                }
                case OUT -> {
                    PolyBlocks.shiftAll(data, -poly.shifts().outputShift(g.kvProblem()[key.problem()]));
                    System.arraycopy(data, 0, r.out(), (key.problem() * g.nq() + qBounds[key.block()]) * g.dv(),
                            data.length);
                }
                default -> {
                    int kp = key.problem();
                    double[] dM = Arrays.copyOf(data, data.length - rank);
                    double[] dz = Arrays.copyOfRange(data, data.length - rank, data.length);
                    for (int t = 0; t < factors; t++) {
                        double[] gs = PolyBlocks.product(m[kp][0], t);
                        double[] gz = PolyBlocks.product(m[kp][1], t);
                        hadamard(gs, dM);
                        hadamard(gz, dz);
                        gsz[kp][t] = new double[][] {gs, gz};
                    }
                }
            }
        }
        Broadcast<double[][][][]> gb = run.sc.broadcast(gsz);
        Map<GradKey, Piece> k = keys.flatMapToPair(raw -> {
            Chunk ch = poly.balanced(raw, shape);
            PolyBlocks pb = poly.blocks(shape);
            List<Tuple2<GradKey, Piece>> out = new ArrayList<>();
            for (int t = 0; t < factors; t++) {
                long start = System.nanoTime();
                int n = ch.k()[t].length / shape.d();
                double[] dk = new double[ch.k()[t].length];
                double[] dv = new double[ch.v()[t].length];
                double[][] gt = gb.value()[ch.kp()][t];
                pb.keyGradients(ch.k()[t], ch.v()[t], n, gt[0], gt[1], dk, dv);
                out.add(new Tuple2<>(new GradKey(GradKey.DK, ch.kp(), t, ch.chunk()),
                        new Piece(ch.index(), 0, dk, System.nanoTime() - start)));
                out.add(new Tuple2<>(new GradKey(GradKey.DV, ch.kp(), t, ch.chunk()), new Piece(ch.index(), 0, dv, 0)));
            }
            return out.iterator();
        }).groupByKey().mapValues(ExactSpark::sum).collectAsMap();
        gb.destroy();
        int chunks = keyBounds.length - 1;
        for (Map.Entry<GradKey, Piece> e : k.entrySet()) {
            GradKey key = e.getKey();
            int t = key.factor();
            int nk = g.nk()[t];
            int row = key.problem() * nk + (int) ((long) nk * key.block() / chunks);
            double[] data = e.getValue().data();
            run.addKernel(e.getValue().nanos());
            restoreKey(data, g, key, poly.shifts(), gamma);
            if (key.kind() == GradKey.DK) {
                System.arraycopy(data, 0, r.dk()[t], row * g.d(), data.length);
            } else {
                System.arraycopy(data, 0, r.dv()[t], row * g.dv(), data.length);
            }
        }
        return r;
    }

    private static void hadamard(double[] a, double[] b) {
        for (int i = 0; i < a.length; i++) {
            a[i] *= b[i];
        }
    }

    private static Backward empty(Call c) {
        double[][] dk = new double[c.factors()][];
        double[][] dv = new double[c.factors()][];
        for (int t = 0; t < c.factors(); t++) {
            dk[t] = new double[c.k[t].length()];
            dv[t] = new double[c.v[t].length()];
        }
        return new Backward(new double[c.g.problems() * c.g.nq() * c.g.dv()], new double[c.q.length()], dk, dv);
    }

    /** Causal or window: one task per problem, each with the call's polynomial; dK, dV summed in problem order. */
    static Backward backwardMasked(Run run, Call c, Poly poly, Rows dout) {
        Shape shape = c.shape;
        Geometry g = c.g;
        int factors = c.factors();
        List<Chunk> problems = problemChunks(c, dout);
        JavaRDD<Chunk> tasks = run.sc.parallelize(problems, Math.max(1, problems.size()));
        int[][] seeds = seeds(tasks, c, poly.shifts());
        int[] seed = seeds[0];
        int[] gamma = seeds[1];
        Map<GradKey, Piece> sums = tasks.flatMapToPair(raw -> {
            long start = System.nanoTime();
            Chunk ch = poly.balanced(raw, shape);
            double[] dO = seeded(raw.dout(), seed[raw.kp()]);
            double[] o = new double[ch.dout().length];
            double[] dq = new double[ch.q().length];
            double[][] dk = new double[factors][];
            double[][] dv = new double[factors][];
            for (int t = 0; t < factors; t++) {
                dk[t] = new double[ch.k()[t].length];
                dv[t] = new double[ch.v()[t].length];
            }
            poly.blocks(shape).maskedBackward(Geometry.simple(1, shape.nq(), shape.nk(), shape.d(), shape.dv()), shape.mask(),
                    ch.q(), ch.k(), ch.v(), dO, o, dq, dk, dv);
            List<Tuple2<GradKey, Piece>> out = new ArrayList<>();
            out.add(new Tuple2<>(new GradKey(GradKey.DQ, ch.p(), 0, 0), new Piece(ch.index(), 0, dq, System.nanoTime() - start)));
            out.add(new Tuple2<>(new GradKey(OUT, ch.p(), 0, 0), new Piece(ch.index(), 0, o, 0)));
            for (int t = 0; t < factors; t++) {
                out.add(new Tuple2<>(new GradKey(GradKey.DK, ch.kp(), t, 0), new Piece(ch.index(), 0, dk[t], 0)));
                out.add(new Tuple2<>(new GradKey(GradKey.DV, ch.kp(), t, 0), new Piece(ch.index(), 0, dv[t], 0)));
            }
            return out.iterator();
        }).groupByKey().mapValues(ExactSpark::sum).collectAsMap();
        Backward r = empty(c);
        for (Map.Entry<GradKey, Piece> e : sums.entrySet()) {
            GradKey key = e.getKey();
            double[] data = e.getValue().data();
            run.addKernel(e.getValue().nanos());
            int t = key.factor();
            if (key.kind() == GradKey.DQ) {
                restoreQuery(data, g, key.problem(), poly.shifts(), gamma);
            } else if (key.kind() == OUT) {
                PolyBlocks.shiftAll(data, -poly.shifts().outputShift(g.kvProblem()[key.problem()]));
            } else {
                restoreKey(data, g, key, poly.shifts(), gamma);
            }
            switch (key.kind()) {
                case GradKey.DQ -> System.arraycopy(data, 0, r.dq(), key.problem() * g.nq() * g.d(), data.length);
                case OUT -> System.arraycopy(data, 0, r.out(), key.problem() * g.nq() * g.dv(), data.length);
                case GradKey.DK -> System.arraycopy(data, 0, r.dk()[t], key.problem() * g.nk()[t] * g.d(), data.length);
                default -> System.arraycopy(data, 0, r.dv()[t], key.problem() * g.nk()[t] * g.dv(), data.length);
            }
        }
        return r;
    }

    /**
     * As on one machine, dout is scaled per kv problem so that its largest entry lies in [1, 2); returns that
     * seed shift and gamma = seed + the output's shift, which the gradients take back off.
     */
    private static int[][] seeds(JavaRDD<Chunk> withDout, Call c, PolyBlocks.Shifts shifts) {
        List<Tuple2<Integer, Double>> maxima = withDout.map(ch -> {
            double m = 0;
            for (double x : ch.dout()) {
                m = Math.max(m, Math.abs(x));
            }
            return new Tuple2<>(ch.kp(), m);
        }).collect();
        double[] max = new double[c.g.kvProblems()];
        for (Tuple2<Integer, Double> m : maxima) {
            max[m._1()] = Math.max(max[m._1()], m._2());
        }
        int[] seed = new int[max.length];
        int[] gamma = new int[max.length];
        for (int kp = 0; kp < max.length; kp++) {
            seed[kp] = PolyBlocks.seedShift(max[kp]);
            gamma[kp] = seed[kp] + shifts.outputShift(kp);
        }
        return new int[][] {seed, gamma};
    }

    private static double[] seeded(double[] dout, int shift) {
        double[] d = dout.clone();
        PolyBlocks.shiftAll(d, shift);
        return d;
    }

    /** dQ rows of problem p back from the balanced data: column l by 2^(qShift_l - gamma). */
    private static void restoreQuery(double[] dq, Geometry g, int p, PolyBlocks.Shifts shifts, int[] gamma) {
        int kp = g.kvProblem()[p];
        int[] s = new int[g.d()];
        for (int l = 0; l < s.length; l++) {
            s[l] = shifts.q()[kp][l] - gamma[kp];
        }
        PolyBlocks.shiftColumns(dq, dq.length / g.d(), g.d(), s);
    }

    /** dK rows (column l by 2^(kShift_tl - gamma)) or dV rows (by 2^(vShift_t - gamma)) back. */
    private static void restoreKey(double[] data, Geometry g, GradKey key, PolyBlocks.Shifts shifts, int[] gamma) {
        int kp = key.problem();
        int t = key.factor();
        if (key.kind() == GradKey.DK) {
            int[] s = new int[g.d()];
            for (int l = 0; l < s.length; l++) {
                s[l] = shifts.k()[kp][t][l] - gamma[kp];
            }
            PolyBlocks.shiftColumns(data, data.length / g.d(), g.d(), s);
        } else {
            PolyBlocks.shiftAll(data, shifts.v()[kp][t] - gamma[kp]);
        }
    }
}
