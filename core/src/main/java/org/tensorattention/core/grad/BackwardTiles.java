package org.tensorattention.core.grad;

/**
 * The tile loop of {@link BackwardWorker} for one dtype ({@code FloatTileMath.Rows}, {@code TileMath.Rows}):
 * what the worker's dtype-independent bookkeeping (tasks, outer tuples, masks, float64 sums) asks of it.
 */
interface BackwardTiles {
    /** Starts the sums of G and R for keys [jLo, jHi] of the last factor. */
    void begin(int jLo, int jHi);

    /**
     * Queries [a, b) of query problem p against the allowed keys of the last factor (cut to [innerLo, innerHi]),
     * with the outer modulation kp and vp: adds T = dS K into tAcc (rows x d), and G = dS^T (c Q) and
     * R = P^T dO into the sums begun by {@link #begin}.
     */
    void rows(int p, int a, int b, double[] kp, double[] vp, double[] tAcc, int innerLo, int innerHi);

    /** Adds the sums of G and R for keys [jLo, jHi] into gAcc and rAcc (float64, row strides d and dv). */
    void finish(int jLo, int jHi, double[] gAcc, double[] rAcc);
}
