package org.tensorattention.core.poly;

import java.util.ArrayList;
import java.util.List;
import org.tensorattention.core.Geometry;

/**
 * Lower degrees for query rows whose own scores are smaller than the call's radius R.
 *
 * <p>Row i's scores obey |s(i, J)| &lt;= R_i = |c| sum_l |Q[i,l]| prod_t max_j |K_t[j,l]| &lt;= R (the triangle
 * inequality, as {@link ScoreBound}). The key moments hold every monomial up to the plan's degree g, and a
 * query row may contract them with any polynomial of degree g' &lt;= g: its features are then the first
 * C(d + g', g') columns (the multisets are graded) with that polynomial's coefficients. So a row with
 * R_i &lt;= rho_m takes level m, a polynomial certified on [-rho_m, rho_m] whose certified error, rounding
 * included, is within the plan's delta: every row's weights keep the relative error delta the plan reports,
 * and the output its bound 2 delta / (1 - delta) Vinf. Only the query side gets cheaper; the key side is the
 * same for every row.
 *
 * <p>The rounding term of a level is the plan's model ({@link PolyPlan#eta}, float32 or float64 as the plan) with that level's
 * coefficients on [-rho_m, rho_m] and a true denominator of at least e^{-rho_m} per tuple, which holds for every
 * row it serves (R_i &lt;= rho_m); the rank in the sum counts stays the plan's (a larger count is sound).
 *
 * @param radius     ascending radii; the last level is the plan's own polynomial on [-R, R]
 * @param polynomial each level's polynomial, certified on [-radius, radius]
 */
record RowLevels(double[] radius, ExpPolynomial[] polynomial) {
    /** Radii grid: levels are tried at R (1 - m / STEPS) for m = 1 .. STEPS - 1. */
    private static final int STEPS = 16;

    /** The plan's polynomial alone: every row at the plan's degree. */
    static RowLevels single(ExpPolynomial p) {
        return new RowLevels(new double[] {p.radius()}, new ExpPolynomial[] {p});
    }

    /** Query-side flops below which levels are not worth their certification (about a millisecond). */
    static final double MIN_QUERY_FLOPS = 1e7;

    /**
     * The levels a call runs with, the same for its forward and backward: {@link #of} when the query side is
     * large enough to repay the certification, else the plan's polynomial alone.
     */
    static RowLevels forCall(PolyPlan plan, Geometry g, double magnitude) {
        double querySide = (double) g.problems() * g.nq() * plan.rank() * (2.0 * g.dv() + 5);
        return querySide < MIN_QUERY_FLOPS ? single(plan.polynomial()) : of(plan, g, magnitude);
    }

    /** The lowest degree certified within plan.delta() at each smaller radius of a grid, plus the plan's own. */
    static RowLevels of(PolyPlan plan, Geometry g, double magnitude) {
        ExpPolynomial top = plan.polynomial();
        List<ExpPolynomial> found = new ArrayList<>();
        found.add(top);
        int rows = Math.max(g.nq(), Math.max(1, PolyPlan.max(g.nk())));
        int k = g.order();
        double rank = Multisets.rankAsDouble(g.d(), top.degree());
        boolean f32 = plan.float32();
        for (int m = 1; m < STEPS && top.degree() > 0; m++) {
            double rho = plan.radius() * (1 - (double) m / STEPS);
            double eR = Math.exp(rho);
            int below = found.get(found.size() - 1).degree();
            ExpPolynomial p = null;
            // The plan's rounding at this radius as a first guess, then the level's own.
            double guess = PolyPlan.rounding(f32, rows, rank, below, g.d(), k, eR * 1.01, eR);
            for (int attempt = 0; attempt < 3 && guess < plan.delta(); attempt++) {
                // Series only: a minimax fit per level costs more than the rows it would save at these sizes.
                ExpPolynomial c = ExpPolynomial.certify(rho, plan.delta() - guess, below - 1, false);
                if (c == null) {
                    break;
                }
                double range = PolyPlan.log2Range(c, magnitude, rows, k, 1);
                double eta = PolyPlan.eta(f32, c, range, rows, rank, g.d(), k, eR);
                boolean inRange = range <= PolyPlan.MAX_LOG2_RANGE && (!f32 || PolyPlan.fitsFloat32(c, range));
                if (inRange && c.delta() + eta <= plan.delta()) {
                    p = c;
                    break;
                }
                guess = eta * 1.5;
            }
            if (p != null) {
                // The largest radius at this degree so far (the grid descends): replaces a level of equal degree.
                found.add(p);
            }
        }
        int count = found.size();
        double[] radius = new double[count];
        ExpPolynomial[] polys = new ExpPolynomial[count];
        for (int i = 0; i < count; i++) {
            polys[i] = found.get(count - 1 - i);
            radius[i] = polys[i].radius();
        }
        return new RowLevels(radius, polys);
    }

    /**
     * The largest certified relative error of a level's derivative: what bounds the poly gradient's distance from
     * the exact one (docs/POLY.md) when rows take different levels.
     */
    double derivativeDelta() {
        double worst = 0;
        for (ExpPolynomial p : polynomial) {
            worst = Math.max(worst, p.derivativeDelta());
        }
        return worst;
    }

    /** The level of a row whose scores are bounded by r: the first whose radius reaches it. */
    int level(double r) {
        for (int m = 0; m < radius.length - 1; m++) {
            if (r <= radius[m]) {
                return m;
            }
        }
        return radius.length - 1;
    }

    /**
     * The rows of one problem grouped by level (identity order at the top level when keyMax is null): level m
     * holds rows[start[m] .. start[m + 1]).
     */
    record Order(int[] rows, int[] start) {
        /** One block of at most {@link Moments#BLOCK} rows of one level: their indices rows[0 .. n). */
        interface Body<W> {
            void block(W scratch, int level, int[] rows, int n);
        }

        /** Every level's rows in blocks, each level spread over at most tasks tasks. */
        <W> java.util.List<W> forEachBlock(int tasks, int threads, java.util.function.Supplier<W> scratch,
                                           Body<W> body) {
            java.util.List<W> all = new ArrayList<>();
            for (int m = 0; m + 1 < start.length; m++) {
                int from = start[m];
                int level = m;
                all.addAll(RowBlocks.run(start[m + 1] - from, tasks, threads, scratch, (w, r0, n) -> body.block(w,
                        level, java.util.Arrays.copyOfRange(rows, from + r0, from + r0 + n), n)));
            }
            return all;
        }
    }

    /** Rows [0, nq) of q at qo grouped by their level against keyMax (null: all at the top level). */
    static Order order(FeatureMap fm, double[] keyMax, double[] q, long qo, int nq) {
        int levels = fm.levelRank.length;
        int[] level = new int[nq];
        int[] start = new int[levels + 1];
        for (int i = 0; i < nq; i++) {
            level[i] = keyMax == null ? levels - 1 : fm.level(q, (int) (qo + (long) i * fm.d), keyMax);
            start[level[i] + 1]++;
        }
        for (int m = 0; m < levels; m++) {
            start[m + 1] += start[m];
        }
        int[] rows = new int[nq];
        int[] next = start.clone();
        for (int i = 0; i < nq; i++) {
            rows[next[level[i]]++] = i;
        }
        return new Order(rows, start);
    }

}
