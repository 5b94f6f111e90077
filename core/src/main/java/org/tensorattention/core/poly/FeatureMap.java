package org.tensorattention.core.poly;

import jdk.incubator.vector.DoubleVector;

/**
 * The feature maps of SPEC.md section 2 for one polynomial and head width d:
 * phi_K(k)[L] = k^L and phi_Q(q)[L] = a_|L| c^|L| mult(L) q^L, so that
 * p(s) = sum_L phi_Q(q)[L] prod_t phi_K(k_t)[L].
 *
 * <p>Two layouts: one row at a time (for scans) and a block of rows transposed, {@code out[L * b + j]}, whose
 * inner loops run over the rows of the block and vectorise.
 */
final class FeatureMap {
    final Multisets sets;
    final int rank;
    final int d;
    /** queryCoefficient[L] = a_|L| c^|L| mult(L). */
    final double[] queryCoefficient;

    /** Per row level ({@link RowLevels}): its rank C(d + g_m, g_m) and its query coefficients. */
    final RowLevels levels;
    final int[] levelRank;
    final double[][] levelCoefficient;
    private final double[][] levelPadded;
    /** The scale c the query coefficients hold. */
    final double scale;

    FeatureMap(ExpPolynomial p, int d, double scale) {
        this(RowLevels.single(p), d, scale);
    }

    FeatureMap(RowLevels levels, int d, double scale) {
        ExpPolynomial top = levels.polynomial()[levels.polynomial().length - 1];
        this.sets = new Multisets(d, top.degree());
        this.rank = sets.rank;
        this.d = d;
        this.levels = levels;
        this.scale = scale;
        int count = levels.polynomial().length;
        levelRank = new int[count];
        levelCoefficient = new double[count][];
        levelPadded = new double[count][];
        for (int m = 0; m < count; m++) {
            ExpPolynomial p = levels.polynomial()[m];
            levelRank[m] = sets.start[p.degree() + 1];
            levelCoefficient[m] = coefficients(p, scale, levelRank[m]);
            levelPadded[m] = java.util.Arrays.copyOf(levelCoefficient[m], rank);
        }
        queryCoefficient = levelCoefficient[count - 1];
    }

    /** a_|L| c^|L| mult(L) for the first rank multisets. */
    private double[] coefficients(ExpPolynomial p, double scale, int rank) {
        double[] out = new double[rank];
        double[] a = p.coefficients();
        for (int L = 0; L < rank; L++) {
            int j = sets.size[L];
            out[L] = a[j] * Math.pow(scale, j) * sets.mult[L];
        }
        return out;
    }

    /** Level m's coefficients over the full rank, zero past its own. */
    double[] paddedCoefficient(int m) {
        return levelPadded[m];
    }

    /** True when some rows may take a lower degree than the top one. */
    boolean leveled() {
        return levelRank.length > 1;
    }

    /** The level of query row src[off .. off + d) against column maxima keyMax (products over the factors). */
    int level(double[] src, int off, double[] keyMax) {
        double r = 0;
        for (int l = 0; l < d; l++) {
            r += Math.abs(src[off + l]) * keyMax[l];
        }
        return levels.level(Math.abs(scale) * r * (1 + 1e-12));
    }

    /** phi_Q of level m for the row at src[off..]: its first levelRank[m] entries. */
    void queryRow(double[] src, int off, double[] out, int m) {
        int[] parent = sets.parent;
        int[] last = sets.last;
        int r = levelRank[m];
        double[] c = levelCoefficient[m];
        out[0] = 1;
        for (int L = 1; L < r; L++) {
            out[L] = out[parent[L]] * src[off + last[L]];
        }
        for (int L = 0; L < r; L++) {
            out[L] *= c[L];
        }
    }

    /** out[L] = x^L for the row x = src[off .. off + d). */
    void keyRow(double[] src, int off, double[] out) {
        int[] parent = sets.parent;
        int[] last = sets.last;
        out[0] = 1;
        for (int L = 1; L < rank; L++) {
            out[L] = out[parent[L]] * src[off + last[L]];
        }
    }

    /** out[L] = phi_Q(x)[L]. */
    void queryRow(double[] src, int off, double[] out) {
        keyRow(src, off, out);
        for (int L = 0; L < rank; L++) {
            out[L] *= queryCoefficient[L];
        }
    }

    /**
     * Key features of rows [row0, row0 + rows) of src (row width d), transposed into out[L * b + j];
     * columns j >= rows of the block are zero rows' features (only the constant column is 1).
     */
    void keyBlock(double[] src, long base, int row0, int rows, int b, double[] xt, double[] out) {
        transpose(src, base, row0, rows, b, xt);
        monomialBlock(xt, b, out);
    }

    /** Query features of a block, transposed like {@link #keyBlock}. */
    void queryBlock(double[] src, long base, int row0, int rows, int b, double[] xt, double[] out) {
        keyBlock(src, base, row0, rows, b, xt, out);
        scaleRows(out, b, queryCoefficient, rank);
    }

    /** The monomials of a block (as keyBlock) without the transposition: xt is already filled. */
    void monomialBlock(double[] xt, int b, double[] out) {
        monomialBlock(xt, b, out, rank);
    }

    /** Query features of level m for a block whose inputs xt are transposed: the first levelRank[m] rows of out. */
    void queryBlock(double[] xt, int b, double[] out, int m) {
        int r = levelRank[m];
        monomialBlock(xt, b, out, r);
        scaleRows(out, b, levelCoefficient[m], r);
    }

    /** Row L of a (rows of width b) times c[L], for L < rank. */
    static void scaleRows(double[] a, int b, double[] c, int rank) {
        for (int L = 0; L < rank; L++) {
            double cl = c[L];
            int o = L * b;
            for (int j = 0; j < b; j++) {
                a[o + j] *= cl;
            }
        }
    }

    /** The monomials of the first rank multisets. */
    void monomialBlock(double[] xt, int b, double[] out, int rank) {
        int[] parent = sets.parent;
        int[] last = sets.last;
        for (int j = 0; j < b; j++) {
            out[j] = 1;
        }
        // Explicit vectors: the JIT does not vectorise a loop that reads and writes one array at unknown offsets.
        int lanes = Moments.LANES;
        int whole = b / lanes * lanes;
        for (int L = 1; L < rank; L++) {
            int o = L * b;
            int pOff = parent[L] * b;
            int xOff = last[L] * b;
            int j = 0;
            for (; j < whole; j += lanes) {
                DoubleVector.fromArray(Moments.SPECIES, out, pOff + j)
                        .mul(DoubleVector.fromArray(Moments.SPECIES, xt, xOff + j))
                        .intoArray(out, o + j);
            }
            for (; j < b; j++) {
                out[o + j] = out[pOff + j] * xt[xOff + j];
            }
        }
    }

    /** xt[l * b + j] = src[base + rows[j] * d + l] for j < n, zero past them. */
    void gather(double[] src, long base, int[] rows, int n, int b, double[] xt) {
        for (int j = 0; j < b; j++) {
            int off = j < n ? (int) (base + (long) rows[j] * d) : -1;
            for (int l = 0; l < d; l++) {
                xt[l * b + j] = off < 0 ? 0 : src[off + l];
            }
        }
    }

    /** xt[l * b + j] = src[base + (row0 + j) * d + l], zero past the rows given. */
    void transpose(double[] src, long base, int row0, int rows, int b, double[] xt) {
        for (int j = 0; j < b; j++) {
            if (j < rows) {
                int off = (int) (base + (long) (row0 + j) * d);
                for (int l = 0; l < d; l++) {
                    xt[l * b + j] = src[off + l];
                }
            } else {
                for (int l = 0; l < d; l++) {
                    xt[l * b + j] = 0;
                }
            }
        }
    }

    /**
     * Reverse mode through {@link #keyRow}: given x (at src[off..]), its monomials mono = x^L and the
     * gradient gm[L] of some loss with respect to mono[L], adds the gradient with respect to x into
     * dx[dxOff .. dxOff + d). Overwrites gm (it accumulates into parents on the way down).
     */
    void keyRowBackward(double[] src, int off, double[] mono, double[] gm, double[] dx, int dxOff) {
        int[] parent = sets.parent;
        int[] last = sets.last;
        for (int L = rank - 1; L >= 1; L--) {
            double gl = gm[L];
            int p = parent[L];
            int e = last[L];
            dx[dxOff + e] += gl * mono[p];
            gm[p] += gl * src[off + e];
        }
    }

    /**
     * Reverse mode through {@link #keyBlock} for a transposed block: xt (d x b) the block's inputs, ut
     * (rank x b) their monomials, gt (rank x b) the gradient with respect to them (overwritten); adds the
     * gradient with respect to the inputs into dxt (d x b).
     */
    void keyBlockBackward(double[] xt, double[] ut, double[] gt, int b, double[] dxt) {
        keyBlockBackward(xt, ut, gt, b, dxt, rank);
    }

    /** The same over the first rank multisets only (the rest of gt is taken as zero). */
    void keyBlockBackward(double[] xt, double[] ut, double[] gt, int b, double[] dxt, int rank) {
        int[] parent = sets.parent;
        int[] last = sets.last;
        int lanes = Moments.LANES;
        int whole = b / lanes * lanes;
        for (int L = rank - 1; L >= 1; L--) {
            int o = L * b;
            int pOff = parent[L] * b;
            int xOff = last[L] * b;
            int j = 0;
            for (; j < whole; j += lanes) {
                DoubleVector gl = DoubleVector.fromArray(Moments.SPECIES, gt, o + j);
                gl.fma(DoubleVector.fromArray(Moments.SPECIES, ut, pOff + j),
                        DoubleVector.fromArray(Moments.SPECIES, dxt, xOff + j)).intoArray(dxt, xOff + j);
                gl.fma(DoubleVector.fromArray(Moments.SPECIES, xt, xOff + j),
                        DoubleVector.fromArray(Moments.SPECIES, gt, pOff + j)).intoArray(gt, pOff + j);
            }
            for (; j < b; j++) {
                double gl = gt[o + j];
                dxt[xOff + j] += gl * ut[pOff + j];
                gt[pOff + j] += gl * xt[xOff + j];
            }
        }
    }
}
