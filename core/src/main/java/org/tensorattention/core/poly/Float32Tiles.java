package org.tensorattention.core.poly;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float32 mode's steps ({@link Float32Forward}): feature blocks and tiles in float32, every float32 chain of
 * bounded length, its result added into float64. Blocks are transposed ({@code ut[L * b + j]}) so the lanes run
 * over rows, which fills a float32 vector whatever dv is:
 * <ul>
 *   <li>{@link #accumulate}: key moments with keys in lanes; each lane's chain is KEY_BLOCK / LANES FMAs, then it
 *       is added into float64 lane sums (reduced over lanes once, at the end of the key pass);</li>
 *   <li>{@link #contract}: query rows in lanes against M broadcast; chains of CHUNK features, then added into
 *       float64.</li>
 * </ul>
 * PolyPlan.rounding32 counts exactly these chains.
 */
final class Float32Tiles {
    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    /** Keys per key block; a multiple of every LANES (up to 64). */
    static final int KEY_BLOCK = 256;
    /** Float32 FMAs in one lane's chain of the key moments. */
    static final int KEY_CHAIN = KEY_BLOCK / LANES;
    /** Features per float32 chain of the contraction. */
    static final int CHUNK = 32;

    private Float32Tiles() {
    }

    /** out[L * b + j] = prod of x over multiset L (the first rank multisets), xt (d x b) transposed inputs. */
    static void monomials(Multisets sets, float[] xt, int b, float[] out, int rank) {
        int[] parent = sets.parent;
        int[] last = sets.last;
        java.util.Arrays.fill(out, 0, b, 1f);
        for (int L = 1; L < rank; L++) {
            int o = L * b;
            int pOff = parent[L] * b;
            int xOff = last[L] * b;
            for (int j = 0; j < b; j += LANES) {
                FloatVector.fromArray(SPECIES, out, pOff + j).mul(FloatVector.fromArray(SPECIES, xt, xOff + j))
                        .intoArray(out, o + j);
            }
        }
    }

    /** out[L * b + j] *= c[L] for L < rank. */
    static void scaleRows(float[] out, int b, float[] c, int rank) {
        for (int L = 0; L < rank; L++) {
            FloatVector s = FloatVector.broadcast(SPECIES, c[L]);
            int o = L * b;
            for (int j = 0; j < b; j += LANES) {
                FloatVector.fromArray(SPECIES, out, o + j).mul(s).intoArray(out, o + j);
            }
        }
    }

    /**
     * wide[i] += narrow[i] for i < n: float32 chain results into float64 sums. A plain loop (C2 vectorises the
     * conversion) rather than vector conversions in the tiles, which C2 did not compile into them.
     */
    static void widen(float[] narrow, double[] wide, int n) {
        for (int i = 0; i < n; i++) {
            wide[i] += narrow[i];
        }
    }

    /**
     * part[(L * cols + c) * LANES + lane] += sum over keys j = lane (mod LANES) of ut[L * b + j] vt[c * b + j], for
     * L < rank, c < cols, b = {@link #KEY_BLOCK}: each lane's sum is one float32 chain of KEY_CHAIN FMAs, stored in
     * chain (float32, the same layout) and then added into part (float64).
     */
    static void accumulate(float[] ut, float[] vt, int rank, int cols, float[] chain, double[] part) {
        chains(ut, vt, rank, cols, chain);
        widen(chain, part, rank * cols * LANES);
    }

    /** The float32 chains of {@link #accumulate}: chain[(L * cols + c) * LANES + lane]. */
    static void chains(float[] ut, float[] vt, int rank, int cols, float[] part) {
        int b = KEY_BLOCK;
        int L = 0;
        for (; L + 4 <= rank; L += 4) {
            int c = 0;
            // 4 features x 4 columns: sixteen chains share four feature loads and four value loads.
            for (; c + 4 <= cols; c += 4) {
                FloatVector a00 = FloatVector.zero(SPECIES);
                FloatVector a01 = a00;
                FloatVector a02 = a00;
                FloatVector a03 = a00;
                FloatVector a10 = a00;
                FloatVector a11 = a00;
                FloatVector a12 = a00;
                FloatVector a13 = a00;
                FloatVector a20 = a00;
                FloatVector a21 = a00;
                FloatVector a22 = a00;
                FloatVector a23 = a00;
                FloatVector a30 = a00;
                FloatVector a31 = a00;
                FloatVector a32 = a00;
                FloatVector a33 = a00;
                for (int j = 0; j < b; j += LANES) {
                    FloatVector u0 = FloatVector.fromArray(SPECIES, ut, L * b + j);
                    FloatVector u1 = FloatVector.fromArray(SPECIES, ut, (L + 1) * b + j);
                    FloatVector u2 = FloatVector.fromArray(SPECIES, ut, (L + 2) * b + j);
                    FloatVector u3 = FloatVector.fromArray(SPECIES, ut, (L + 3) * b + j);
                    FloatVector v0 = FloatVector.fromArray(SPECIES, vt, c * b + j);
                    FloatVector v1 = FloatVector.fromArray(SPECIES, vt, (c + 1) * b + j);
                    FloatVector v2 = FloatVector.fromArray(SPECIES, vt, (c + 2) * b + j);
                    FloatVector v3 = FloatVector.fromArray(SPECIES, vt, (c + 3) * b + j);
                    a00 = u0.fma(v0, a00);
                    a01 = u0.fma(v1, a01);
                    a02 = u0.fma(v2, a02);
                    a03 = u0.fma(v3, a03);
                    a10 = u1.fma(v0, a10);
                    a11 = u1.fma(v1, a11);
                    a12 = u1.fma(v2, a12);
                    a13 = u1.fma(v3, a13);
                    a20 = u2.fma(v0, a20);
                    a21 = u2.fma(v1, a21);
                    a22 = u2.fma(v2, a22);
                    a23 = u2.fma(v3, a23);
                    a30 = u3.fma(v0, a30);
                    a31 = u3.fma(v1, a31);
                    a32 = u3.fma(v2, a32);
                    a33 = u3.fma(v3, a33);
                }
                int p0 = (L * cols + c) * LANES;
                int p1 = p0 + cols * LANES;
                int p2 = p1 + cols * LANES;
                int p3 = p2 + cols * LANES;
                a00.intoArray(part, p0);
                a01.intoArray(part, p0 + LANES);
                a02.intoArray(part, p0 + 2 * LANES);
                a03.intoArray(part, p0 + 3 * LANES);
                a10.intoArray(part, p1);
                a11.intoArray(part, p1 + LANES);
                a12.intoArray(part, p1 + 2 * LANES);
                a13.intoArray(part, p1 + 3 * LANES);
                a20.intoArray(part, p2);
                a21.intoArray(part, p2 + LANES);
                a22.intoArray(part, p2 + 2 * LANES);
                a23.intoArray(part, p2 + 3 * LANES);
                a30.intoArray(part, p3);
                a31.intoArray(part, p3 + LANES);
                a32.intoArray(part, p3 + 2 * LANES);
                a33.intoArray(part, p3 + 3 * LANES);
            }
            for (; c < cols; c++) {
                FloatVector a0 = FloatVector.zero(SPECIES);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int j = 0; j < b; j += LANES) {
                    FloatVector v = FloatVector.fromArray(SPECIES, vt, c * b + j);
                    a0 = FloatVector.fromArray(SPECIES, ut, L * b + j).fma(v, a0);
                    a1 = FloatVector.fromArray(SPECIES, ut, (L + 1) * b + j).fma(v, a1);
                    a2 = FloatVector.fromArray(SPECIES, ut, (L + 2) * b + j).fma(v, a2);
                    a3 = FloatVector.fromArray(SPECIES, ut, (L + 3) * b + j).fma(v, a3);
                }
                a0.intoArray(part, (L * cols + c) * LANES);
                a1.intoArray(part, ((L + 1) * cols + c) * LANES);
                a2.intoArray(part, ((L + 2) * cols + c) * LANES);
                a3.intoArray(part, ((L + 3) * cols + c) * LANES);
            }
        }
        for (; L < rank; L++) {
            for (int c = 0; c < cols; c++) {
                FloatVector a = FloatVector.zero(SPECIES);
                for (int j = 0; j < b; j += LANES) {
                    a = FloatVector.fromArray(SPECIES, ut, L * b + j).fma(FloatVector.fromArray(SPECIES, vt, c * b + j), a);
                }
                a.intoArray(part, (L * cols + c) * LANES);
            }
        }
    }

    /** s[L * cols + c] += sum over lanes of part[(L * cols + c) * LANES + lane], in float64. */
    static void reduceLanes(double[] part, int entries, double[] s) {
        for (int e = 0; e < entries; e++) {
            double sum = 0;
            for (int lane = 0; lane < LANES; lane++) {
                sum += part[e * LANES + lane];
            }
            s[e] += sum;
        }
    }

    /**
     * num[c * b + i] = sum_L uq[L * b + i] m[L * cols + c] for i < b (a multiple of 2 LANES), c < cols, L < rank:
     * float32 chains over chunks of CHUNK features (into chunk, cols x b floats), each added into num (float64).
     */
    static void contract(float[] uq, int b, int rank, float[] m, int cols, float[] chunk, double[] num) {
        java.util.Arrays.fill(num, 0, cols * b, 0.0);
        for (int l0 = 0; l0 < rank; l0 += CHUNK) {
            contractChunk(uq, b, l0, Math.min(rank, l0 + CHUNK), m, cols, chunk);
            widen(chunk, num, cols * b);
        }
    }

    /** chunk[c * b + i] = sum_{l0 <= L < l1} uq[L * b + i] m[L * cols + c], one float32 chain per entry. */
    static void contractChunk(float[] uq, int b, int l0, int l1, float[] m, int cols, float[] chunk) {
        for (int i0 = 0; i0 < b; i0 += 2 * LANES) {
            int c = 0;
            // 2 row vectors x 4 columns: eight chains share two feature loads and four broadcasts of M.
            for (; c + 4 <= cols; c += 4) {
                FloatVector a00 = FloatVector.zero(SPECIES);
                FloatVector a01 = a00;
                FloatVector a02 = a00;
                FloatVector a03 = a00;
                FloatVector a10 = a00;
                FloatVector a11 = a00;
                FloatVector a12 = a00;
                FloatVector a13 = a00;
                for (int L = l0; L < l1; L++) {
                    FloatVector x0 = FloatVector.fromArray(SPECIES, uq, L * b + i0);
                    FloatVector x1 = FloatVector.fromArray(SPECIES, uq, L * b + i0 + LANES);
                    int mo = L * cols + c;
                    FloatVector m0 = FloatVector.broadcast(SPECIES, m[mo]);
                    FloatVector m1 = FloatVector.broadcast(SPECIES, m[mo + 1]);
                    FloatVector m2 = FloatVector.broadcast(SPECIES, m[mo + 2]);
                    FloatVector m3 = FloatVector.broadcast(SPECIES, m[mo + 3]);
                    a00 = x0.fma(m0, a00);
                    a01 = x0.fma(m1, a01);
                    a02 = x0.fma(m2, a02);
                    a03 = x0.fma(m3, a03);
                    a10 = x1.fma(m0, a10);
                    a11 = x1.fma(m1, a11);
                    a12 = x1.fma(m2, a12);
                    a13 = x1.fma(m3, a13);
                }
                int o = c * b + i0;
                a00.intoArray(chunk, o);
                a01.intoArray(chunk, o + b);
                a02.intoArray(chunk, o + 2 * b);
                a03.intoArray(chunk, o + 3 * b);
                a10.intoArray(chunk, o + LANES);
                a11.intoArray(chunk, o + b + LANES);
                a12.intoArray(chunk, o + 2 * b + LANES);
                a13.intoArray(chunk, o + 3 * b + LANES);
            }
            for (; c < cols; c++) {
                FloatVector a0 = FloatVector.zero(SPECIES);
                FloatVector a1 = a0;
                for (int L = l0; L < l1; L++) {
                    FloatVector mc = FloatVector.broadcast(SPECIES, m[L * cols + c]);
                    a0 = FloatVector.fromArray(SPECIES, uq, L * b + i0).fma(mc, a0);
                    a1 = FloatVector.fromArray(SPECIES, uq, L * b + i0 + LANES).fma(mc, a1);
                }
                a0.intoArray(chunk, c * b + i0);
                a1.intoArray(chunk, c * b + i0 + LANES);
            }
        }
    }
}
