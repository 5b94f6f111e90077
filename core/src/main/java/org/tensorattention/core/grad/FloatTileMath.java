// Generated from core/src/template/TileMath.java.template by KernelTemplates (core/src/test): edit the template, not this file.
package org.tensorattention.core.grad;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.tensorattention.core.simd.Exp;
import org.tensorattention.core.simd.VectorExp;

/**
 * The three small matrix products of one backward tile, and its softmax weights, in float32 with the Vector API. Every matrix is a
 * row-major block inside a flat array: (array, offset, row stride). Accumulators stay in registers across
 * the inner loop: a 4 x 4-vector block (sixteen independent FMA chains, four loads and four broadcasts per
 * sixteen FMAs) where the width allows, then 4 x 2 and 4 x 1 vectors; tails that do not fill a vector run
 * scalar. Tiles are four vectors wide, so they follow the species' width (256 or 512 bits). In float32 a tile
 * holds short sums (a tile's rows or columns); the callers add them into float64 accumulators.
 */
final class FloatTileMath {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private FloatTileMath() {
    }

    /** A width rounded up to whole vectors. */
    static int paddedWidth(int width) {
        return (width + L - 1) / L * L;
    }

    /**
     * C = A B^T where B^T is given transposed: c[r, j] = sum_l a[r, l] * bt[l, j] for r < rows, j < cols,
     * l < inner. Vectorised over j, four rows at a time so that each load of bt feeds four FMAs.
     */
    static void productT(float[] a, int aOff, int lda, float[] bt, int btOff, int ldb,
                         float[] c, int ldc, int rows, int cols, int inner) {
        int vb = S.loopBound(cols);
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a0 = aOff + r * lda;
            int a1 = a0 + lda;
            int a2 = a1 + lda;
            int a3 = a2 + lda;
            int j = 0;
            for (; j + 4 * L <= vb; j += 4 * L) {
                FloatVector c00 = FloatVector.zero(S), c01 = c00, c02 = c00, c03 = c00;
                FloatVector c10 = c00, c11 = c00, c12 = c00, c13 = c00;
                FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00;
                FloatVector c30 = c00, c31 = c00, c32 = c00, c33 = c00;
                for (int l = 0; l < inner; l++) {
                    int br = btOff + l * ldb + j;
                    FloatVector b0 = FloatVector.fromArray(S, bt, br);
                    FloatVector b1 = FloatVector.fromArray(S, bt, br + L);
                    FloatVector b2 = FloatVector.fromArray(S, bt, br + 2 * L);
                    FloatVector b3 = FloatVector.fromArray(S, bt, br + 3 * L);
                    FloatVector x = FloatVector.broadcast(S, a[a0 + l]);
                    c00 = b0.fma(x, c00);
                    c01 = b1.fma(x, c01);
                    c02 = b2.fma(x, c02);
                    c03 = b3.fma(x, c03);
                    x = FloatVector.broadcast(S, a[a1 + l]);
                    c10 = b0.fma(x, c10);
                    c11 = b1.fma(x, c11);
                    c12 = b2.fma(x, c12);
                    c13 = b3.fma(x, c13);
                    x = FloatVector.broadcast(S, a[a2 + l]);
                    c20 = b0.fma(x, c20);
                    c21 = b1.fma(x, c21);
                    c22 = b2.fma(x, c22);
                    c23 = b3.fma(x, c23);
                    x = FloatVector.broadcast(S, a[a3 + l]);
                    c30 = b0.fma(x, c30);
                    c31 = b1.fma(x, c31);
                    c32 = b2.fma(x, c32);
                    c33 = b3.fma(x, c33);
                }
                int o = r * ldc + j;
                store4(c00, c01, c02, c03, c, o);
                store4(c10, c11, c12, c13, c, o + ldc);
                store4(c20, c21, c22, c23, c, o + 2 * ldc);
                store4(c30, c31, c32, c33, c, o + 3 * ldc);
            }
            for (; j + 2 * L <= vb; j += 2 * L) {
                FloatVector c0 = FloatVector.zero(S);
                FloatVector c1 = c0;
                FloatVector c2 = c0;
                FloatVector c3 = c0;
                FloatVector e0 = c0;
                FloatVector e1 = c0;
                FloatVector e2 = c0;
                FloatVector e3 = c0;
                for (int l = 0; l < inner; l++) {
                    int br = btOff + l * ldb + j;
                    FloatVector b = FloatVector.fromArray(S, bt, br);
                    FloatVector b2 = FloatVector.fromArray(S, bt, br + L);
                    FloatVector x0 = FloatVector.broadcast(S, a[a0 + l]);
                    FloatVector x1 = FloatVector.broadcast(S, a[a1 + l]);
                    FloatVector x2 = FloatVector.broadcast(S, a[a2 + l]);
                    FloatVector x3 = FloatVector.broadcast(S, a[a3 + l]);
                    c0 = b.fma(x0, c0);
                    c1 = b.fma(x1, c1);
                    c2 = b.fma(x2, c2);
                    c3 = b.fma(x3, c3);
                    e0 = b2.fma(x0, e0);
                    e1 = b2.fma(x1, e1);
                    e2 = b2.fma(x2, e2);
                    e3 = b2.fma(x3, e3);
                }
                c0.intoArray(c, r * ldc + j);
                c1.intoArray(c, (r + 1) * ldc + j);
                c2.intoArray(c, (r + 2) * ldc + j);
                c3.intoArray(c, (r + 3) * ldc + j);
                e0.intoArray(c, r * ldc + j + L);
                e1.intoArray(c, (r + 1) * ldc + j + L);
                e2.intoArray(c, (r + 2) * ldc + j + L);
                e3.intoArray(c, (r + 3) * ldc + j + L);
            }
            for (; j < vb; j += L) {
                FloatVector c0 = FloatVector.zero(S);
                FloatVector c1 = c0;
                FloatVector c2 = c0;
                FloatVector c3 = c0;
                for (int l = 0; l < inner; l++) {
                    FloatVector b = FloatVector.fromArray(S, bt, btOff + l * ldb + j);
                    c0 = b.fma(FloatVector.broadcast(S, a[a0 + l]), c0);
                    c1 = b.fma(FloatVector.broadcast(S, a[a1 + l]), c1);
                    c2 = b.fma(FloatVector.broadcast(S, a[a2 + l]), c2);
                    c3 = b.fma(FloatVector.broadcast(S, a[a3 + l]), c3);
                }
                c0.intoArray(c, r * ldc + j);
                c1.intoArray(c, (r + 1) * ldc + j);
                c2.intoArray(c, (r + 2) * ldc + j);
                c3.intoArray(c, (r + 3) * ldc + j);
            }
            for (int rr = r; rr < r + 4; rr++) {
                productTScalar(a, aOff + rr * lda, bt, btOff, ldb, c, rr * ldc, vb, cols, inner);
            }
        }
        for (; r < rows; r++) {
            int ar = aOff + r * lda;
            for (int j = 0; j < vb; j += L) {
                FloatVector acc = FloatVector.zero(S);
                for (int l = 0; l < inner; l++) {
                    acc = FloatVector.fromArray(S, bt, btOff + l * ldb + j).fma(FloatVector.broadcast(S, a[ar + l]), acc);
                }
                acc.intoArray(c, r * ldc + j);
            }
            productTScalar(a, ar, bt, btOff, ldb, c, r * ldc, vb, cols, inner);
        }
    }

    private static void productTScalar(float[] a, int ar, float[] bt, int btOff, int ldb, float[] c, int cr,
                                       int from, int cols, int inner) {
        for (int j = from; j < cols; j++) {
            float s = 0;
            for (int l = 0; l < inner; l++) {
                s += a[ar + l] * bt[btOff + l * ldb + j];
            }
            c[cr + j] = s;
        }
    }

    /**
     * C += A B: c[r, l] += sum_j a[r, j] * b[j, l] for r < rows, j < count, l < width. Vectorised over l,
     * four rows at a time so that each load of b feeds four independent FMA chains.
     */
    static void accumulate(float[] a, int lda, float[] b, int bOff, int ldb,
                           float[] c, int ldc, int rows, int count, int width) {
        int vb = S.loopBound(width);
        int r = 0;
        for (; r + 4 <= rows; r += 4) {
            int a0 = r * lda;
            int a1 = a0 + lda;
            int a2 = a1 + lda;
            int a3 = a2 + lda;
            int c0 = r * ldc;
            int l = 0;
            for (; l + 4 * L <= vb; l += 4 * L) {
                int o = c0 + l;
                FloatVector s00 = v(c, o), s01 = v(c, o + L), s02 = v(c, o + 2 * L), s03 = v(c, o + 3 * L);
                o += ldc;
                FloatVector s10 = v(c, o), s11 = v(c, o + L), s12 = v(c, o + 2 * L), s13 = v(c, o + 3 * L);
                o += ldc;
                FloatVector s20 = v(c, o), s21 = v(c, o + L), s22 = v(c, o + 2 * L), s23 = v(c, o + 3 * L);
                o += ldc;
                FloatVector s30 = v(c, o), s31 = v(c, o + L), s32 = v(c, o + 2 * L), s33 = v(c, o + 3 * L);
                for (int j = 0; j < count; j++) {
                    int br = bOff + j * ldb + l;
                    FloatVector b0 = FloatVector.fromArray(S, b, br);
                    FloatVector b1 = FloatVector.fromArray(S, b, br + L);
                    FloatVector b2 = FloatVector.fromArray(S, b, br + 2 * L);
                    FloatVector b3 = FloatVector.fromArray(S, b, br + 3 * L);
                    FloatVector x = FloatVector.broadcast(S, a[a0 + j]);
                    s00 = b0.fma(x, s00);
                    s01 = b1.fma(x, s01);
                    s02 = b2.fma(x, s02);
                    s03 = b3.fma(x, s03);
                    x = FloatVector.broadcast(S, a[a1 + j]);
                    s10 = b0.fma(x, s10);
                    s11 = b1.fma(x, s11);
                    s12 = b2.fma(x, s12);
                    s13 = b3.fma(x, s13);
                    x = FloatVector.broadcast(S, a[a2 + j]);
                    s20 = b0.fma(x, s20);
                    s21 = b1.fma(x, s21);
                    s22 = b2.fma(x, s22);
                    s23 = b3.fma(x, s23);
                    x = FloatVector.broadcast(S, a[a3 + j]);
                    s30 = b0.fma(x, s30);
                    s31 = b1.fma(x, s31);
                    s32 = b2.fma(x, s32);
                    s33 = b3.fma(x, s33);
                }
                o = c0 + l;
                store4(s00, s01, s02, s03, c, o);
                store4(s10, s11, s12, s13, c, o + ldc);
                store4(s20, s21, s22, s23, c, o + 2 * ldc);
                store4(s30, s31, s32, s33, c, o + 3 * ldc);
            }
            for (; l + 2 * L <= vb; l += 2 * L) {
                FloatVector s0 = FloatVector.fromArray(S, c, c0 + l);
                FloatVector s1 = FloatVector.fromArray(S, c, c0 + ldc + l);
                FloatVector s2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + l);
                FloatVector s3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + l);
                FloatVector t0 = FloatVector.fromArray(S, c, c0 + l + L);
                FloatVector t1 = FloatVector.fromArray(S, c, c0 + ldc + l + L);
                FloatVector t2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + l + L);
                FloatVector t3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + l + L);
                for (int j = 0; j < count; j++) {
                    int br = bOff + j * ldb + l;
                    FloatVector bv = FloatVector.fromArray(S, b, br);
                    FloatVector bw = FloatVector.fromArray(S, b, br + L);
                    FloatVector x0 = FloatVector.broadcast(S, a[a0 + j]);
                    FloatVector x1 = FloatVector.broadcast(S, a[a1 + j]);
                    FloatVector x2 = FloatVector.broadcast(S, a[a2 + j]);
                    FloatVector x3 = FloatVector.broadcast(S, a[a3 + j]);
                    s0 = bv.fma(x0, s0);
                    s1 = bv.fma(x1, s1);
                    s2 = bv.fma(x2, s2);
                    s3 = bv.fma(x3, s3);
                    t0 = bw.fma(x0, t0);
                    t1 = bw.fma(x1, t1);
                    t2 = bw.fma(x2, t2);
                    t3 = bw.fma(x3, t3);
                }
                s0.intoArray(c, c0 + l);
                s1.intoArray(c, c0 + ldc + l);
                s2.intoArray(c, c0 + 2 * ldc + l);
                s3.intoArray(c, c0 + 3 * ldc + l);
                t0.intoArray(c, c0 + l + L);
                t1.intoArray(c, c0 + ldc + l + L);
                t2.intoArray(c, c0 + 2 * ldc + l + L);
                t3.intoArray(c, c0 + 3 * ldc + l + L);
            }
            for (; l < vb; l += L) {
                FloatVector s0 = FloatVector.fromArray(S, c, c0 + l);
                FloatVector s1 = FloatVector.fromArray(S, c, c0 + ldc + l);
                FloatVector s2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + l);
                FloatVector s3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + l);
                for (int j = 0; j < count; j++) {
                    FloatVector bv = FloatVector.fromArray(S, b, bOff + j * ldb + l);
                    s0 = bv.fma(FloatVector.broadcast(S, a[a0 + j]), s0);
                    s1 = bv.fma(FloatVector.broadcast(S, a[a1 + j]), s1);
                    s2 = bv.fma(FloatVector.broadcast(S, a[a2 + j]), s2);
                    s3 = bv.fma(FloatVector.broadcast(S, a[a3 + j]), s3);
                }
                s0.intoArray(c, c0 + l);
                s1.intoArray(c, c0 + ldc + l);
                s2.intoArray(c, c0 + 2 * ldc + l);
                s3.intoArray(c, c0 + 3 * ldc + l);
            }
            for (int rr = r; rr < r + 4; rr++) {
                accumulateScalar(a, rr * lda, b, bOff, ldb, c, rr * ldc, count, vb, width);
            }
        }
        for (; r < rows; r++) {
            int ar = r * lda;
            int cr = r * ldc;
            for (int l = 0; l < vb; l += L) {
                FloatVector acc = FloatVector.fromArray(S, c, cr + l);
                for (int j = 0; j < count; j++) {
                    acc = FloatVector.fromArray(S, b, bOff + j * ldb + l).fma(FloatVector.broadcast(S, a[ar + j]), acc);
                }
                acc.intoArray(c, cr + l);
            }
            accumulateScalar(a, ar, b, bOff, ldb, c, cr, count, vb, width);
        }
    }

    private static void accumulateScalar(float[] a, int ar, float[] b, int bOff, int ldb, float[] c, int cr,
                                         int count, int from, int width) {
        for (int l = from; l < width; l++) {
            float s = c[cr + l];
            for (int j = 0; j < count; j++) {
                s += a[ar + j] * b[bOff + j * ldb + l];
            }
            c[cr + l] = s;
        }
    }

    /**
     * C += A^T B: c[j, l] += sum_r a[r, j] * b[r, l] for j < count, r < rows, l < width. Vectorised over l,
     * four output rows j at a time.
     */
    static void transAccumulate(float[] a, int lda, float[] b, int ldb,
                                float[] c, int cOff, int ldc, int rows, int count, int width) {
        int vb = S.loopBound(width);
        int j = 0;
        for (; j + 4 <= count; j += 4) {
            int c0 = cOff + j * ldc;
            int l = 0;
            for (; l + 4 * L <= vb; l += 4 * L) {
                int o = c0 + l;
                FloatVector s00 = v(c, o), s01 = v(c, o + L), s02 = v(c, o + 2 * L), s03 = v(c, o + 3 * L);
                o += ldc;
                FloatVector s10 = v(c, o), s11 = v(c, o + L), s12 = v(c, o + 2 * L), s13 = v(c, o + 3 * L);
                o += ldc;
                FloatVector s20 = v(c, o), s21 = v(c, o + L), s22 = v(c, o + 2 * L), s23 = v(c, o + 3 * L);
                o += ldc;
                FloatVector s30 = v(c, o), s31 = v(c, o + L), s32 = v(c, o + 2 * L), s33 = v(c, o + 3 * L);
                for (int r = 0; r < rows; r++) {
                    int br = r * ldb + l;
                    FloatVector b0 = FloatVector.fromArray(S, b, br);
                    FloatVector b1 = FloatVector.fromArray(S, b, br + L);
                    FloatVector b2 = FloatVector.fromArray(S, b, br + 2 * L);
                    FloatVector b3 = FloatVector.fromArray(S, b, br + 3 * L);
                    int ar = r * lda + j;
                    FloatVector x = FloatVector.broadcast(S, a[ar]);
                    s00 = b0.fma(x, s00);
                    s01 = b1.fma(x, s01);
                    s02 = b2.fma(x, s02);
                    s03 = b3.fma(x, s03);
                    x = FloatVector.broadcast(S, a[ar + 1]);
                    s10 = b0.fma(x, s10);
                    s11 = b1.fma(x, s11);
                    s12 = b2.fma(x, s12);
                    s13 = b3.fma(x, s13);
                    x = FloatVector.broadcast(S, a[ar + 2]);
                    s20 = b0.fma(x, s20);
                    s21 = b1.fma(x, s21);
                    s22 = b2.fma(x, s22);
                    s23 = b3.fma(x, s23);
                    x = FloatVector.broadcast(S, a[ar + 3]);
                    s30 = b0.fma(x, s30);
                    s31 = b1.fma(x, s31);
                    s32 = b2.fma(x, s32);
                    s33 = b3.fma(x, s33);
                }
                o = c0 + l;
                store4(s00, s01, s02, s03, c, o);
                store4(s10, s11, s12, s13, c, o + ldc);
                store4(s20, s21, s22, s23, c, o + 2 * ldc);
                store4(s30, s31, s32, s33, c, o + 3 * ldc);
            }
            for (; l + 2 * L <= vb; l += 2 * L) {
                FloatVector s0 = FloatVector.fromArray(S, c, c0 + l);
                FloatVector s1 = FloatVector.fromArray(S, c, c0 + ldc + l);
                FloatVector s2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + l);
                FloatVector s3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + l);
                FloatVector t0 = FloatVector.fromArray(S, c, c0 + l + L);
                FloatVector t1 = FloatVector.fromArray(S, c, c0 + ldc + l + L);
                FloatVector t2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + l + L);
                FloatVector t3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + l + L);
                for (int r = 0; r < rows; r++) {
                    int br = r * ldb + l;
                    FloatVector bv = FloatVector.fromArray(S, b, br);
                    FloatVector bw = FloatVector.fromArray(S, b, br + L);
                    int ar = r * lda + j;
                    FloatVector x0 = FloatVector.broadcast(S, a[ar]);
                    FloatVector x1 = FloatVector.broadcast(S, a[ar + 1]);
                    FloatVector x2 = FloatVector.broadcast(S, a[ar + 2]);
                    FloatVector x3 = FloatVector.broadcast(S, a[ar + 3]);
                    s0 = bv.fma(x0, s0);
                    s1 = bv.fma(x1, s1);
                    s2 = bv.fma(x2, s2);
                    s3 = bv.fma(x3, s3);
                    t0 = bw.fma(x0, t0);
                    t1 = bw.fma(x1, t1);
                    t2 = bw.fma(x2, t2);
                    t3 = bw.fma(x3, t3);
                }
                s0.intoArray(c, c0 + l);
                s1.intoArray(c, c0 + ldc + l);
                s2.intoArray(c, c0 + 2 * ldc + l);
                s3.intoArray(c, c0 + 3 * ldc + l);
                t0.intoArray(c, c0 + l + L);
                t1.intoArray(c, c0 + ldc + l + L);
                t2.intoArray(c, c0 + 2 * ldc + l + L);
                t3.intoArray(c, c0 + 3 * ldc + l + L);
            }
            for (; l < vb; l += L) {
                FloatVector s0 = FloatVector.fromArray(S, c, c0 + l);
                FloatVector s1 = FloatVector.fromArray(S, c, c0 + ldc + l);
                FloatVector s2 = FloatVector.fromArray(S, c, c0 + 2 * ldc + l);
                FloatVector s3 = FloatVector.fromArray(S, c, c0 + 3 * ldc + l);
                for (int r = 0; r < rows; r++) {
                    FloatVector bv = FloatVector.fromArray(S, b, r * ldb + l);
                    int ar = r * lda + j;
                    s0 = bv.fma(FloatVector.broadcast(S, a[ar]), s0);
                    s1 = bv.fma(FloatVector.broadcast(S, a[ar + 1]), s1);
                    s2 = bv.fma(FloatVector.broadcast(S, a[ar + 2]), s2);
                    s3 = bv.fma(FloatVector.broadcast(S, a[ar + 3]), s3);
                }
                s0.intoArray(c, c0 + l);
                s1.intoArray(c, c0 + ldc + l);
                s2.intoArray(c, c0 + 2 * ldc + l);
                s3.intoArray(c, c0 + 3 * ldc + l);
            }
            for (int jj = j; jj < j + 4; jj++) {
                transAccumulateScalar(a, lda, jj, b, ldb, c, cOff + jj * ldc, rows, vb, width);
            }
        }
        for (; j < count; j++) {
            int cr = cOff + j * ldc;
            for (int l = 0; l < vb; l += L) {
                FloatVector acc = FloatVector.fromArray(S, c, cr + l);
                for (int r = 0; r < rows; r++) {
                    acc = FloatVector.fromArray(S, b, r * ldb + l).fma(FloatVector.broadcast(S, a[r * lda + j]), acc);
                }
                acc.intoArray(c, cr + l);
            }
            transAccumulateScalar(a, lda, j, b, ldb, c, cr, rows, vb, width);
        }
    }

    private static void transAccumulateScalar(float[] a, int lda, int j, float[] b, int ldb, float[] c, int cr,
                                              int rows, int from, int width) {
        for (int l = from; l < width; l++) {
            float s = c[cr + l];
            for (int r = 0; r < rows; r++) {
                s += a[r * lda + j] * b[r * ldb + l];
            }
            c[cr + l] = s;
        }
    }

    private static FloatVector v(float[] a, int offset) {
        return FloatVector.fromArray(S, a, offset);
    }

    private static void store4(FloatVector x0, FloatVector x1, FloatVector x2, FloatVector x3, float[] c, int o) {
        x0.intoArray(c, o);
        x1.intoArray(c, o + L);
        x2.intoArray(c, o + 2 * L);
        x3.intoArray(c, o + 3 * L);
    }

    /**
     * The softmax weights and score gradients of one row: p[j] = exp(s[j] - lse) and
     * ds[j] = p[j] (dp[j] - delta) for from <= j < to; both are zero outside that range (masked keys).
     * s is overwritten by p; dp by ds. The forward's exp ({@link VectorExp}, its scalar twin for the tail), so
     * the weights are the same in every JIT state and match the ones the forward summed.
     */
    static void weights(float[] s, float[] dp, int off, int cols, int from, int to, float lse, float delta) {
        for (int j = 0; j < from; j++) {
            s[off + j] = 0;
            dp[off + j] = 0;
        }
        int j = from;
        int vb = from + S.loopBound(Math.max(0, to - from));
        for (; j < vb; j += L) {
            FloatVector p = VectorExp.exp(FloatVector.fromArray(S, s, off + j).sub(lse));
            p.intoArray(s, off + j);
            p.mul(FloatVector.fromArray(S, dp, off + j).sub(delta)).intoArray(dp, off + j);
        }
        for (; j < to; j++) {
            float p = Exp.exp(s[off + j] - lse);
            s[off + j] = p;
            dp[off + j] = p * (dp[off + j] - delta);
        }
        for (j = Math.max(from, to); j < cols; j++) {
            s[off + j] = 0;
            dp[off + j] = 0;
        }
    }
}
