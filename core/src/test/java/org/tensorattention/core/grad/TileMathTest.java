package org.tensorattention.core.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/**
 * The backward's product kernel, mulAdd, against a plain triple loop in float64, in both dtypes: shapes that
 * reach every block (4 x 4, 4 x 2 and 8 x 1 vectors, single rows, scalar columns), both ways of reading the
 * first operand (A and A^T), with and without the existing c, and offsets inside larger arrays.
 * A sum of m products with FMA, started from c, is off by at most gamma_{m+1} (|c| + sum |a b|),
 * gamma_m = m u / (1 - m u): u = 2^-24 for float, 2^-53 for double.
 */
class TileMathTest {
    private static final int LF = FloatVector.SPECIES_PREFERRED.length();
    private static final int LD = DoubleVector.SPECIES_PREFERRED.length();

    @Test
    void mulAddMatchesTheDefinitionOnEveryBlockShape() {
        Random rnd = new Random(7);
        int cases = 0;
        for (int lanes : new int[] {LF, LD}) {
            int[] widths = {1, lanes - 1, lanes, lanes + 3, 2 * lanes, 3 * lanes, 4 * lanes, 5 * lanes + 2, 7 * lanes};
            for (int width : widths) {
                for (int xs : new int[] {1, 3, 4, 7, 8, 13, 17}) {
                    for (int ys : new int[] {1, 5, 16}) {
                        for (boolean add : new boolean[] {false, true}) {
                            for (boolean transposed : new boolean[] {false, true}) {
                                check(rnd, lanes == LF, add, transposed, xs, ys, Math.max(1, width));
                                cases++;
                            }
                        }
                    }
                }
            }
        }
        assertEquals(2 * 9 * 7 * 3 * 2 * 2, cases);
    }

    /** One case: A is xs x ys (or ys x xs read transposed), B is ys x width, C is xs x width, all offset. */
    private static void check(Random rnd, boolean f32, boolean add, boolean transposed, int xs, int ys, int width) {
        int aOff = 3;
        int lda = transposed ? xs + 2 : ys + 1;
        int ax = transposed ? 1 : lda;
        int ay = transposed ? lda : 1;
        int bOff = 5;
        int ldb = width + 4;
        int cOff = 2;
        int ldc = width + 1;
        double[] a = random(rnd, aOff + (transposed ? ys : xs) * lda);
        double[] b = random(rnd, bOff + ys * ldb);
        double[] c = random(rnd, cOff + xs * ldc);
        double[] got;
        if (f32) {
            float[] c32 = narrow(c);
            // Round the inputs first, so that the reference sees the kernel's own operands.
            a = widen(narrow(a));
            b = widen(narrow(b));
            c = widen(c32);
            FloatTileMath.mulAdd(add, narrow(a), aOff, ax, ay, narrow(b), bOff, ldb, c32, cOff, ldc, xs, ys, width);
            got = widen(c32);
        } else {
            got = c.clone();
            TileMath.mulAdd(add, a, aOff, ax, ay, b, bOff, ldb, got, cOff, ldc, xs, ys, width);
        }
        double u = f32 ? 0x1p-24 : 0x1p-53;
        double gamma = (ys + 1) * u / (1 - (ys + 1) * u);
        String name = (f32 ? "float" : "double") + (add ? " add" : " set") + (transposed ? " A^T" : " A")
                + " xs=" + xs + " ys=" + ys + " width=" + width;
        for (int x = 0; x < xs; x++) {
            for (int l = 0; l < width; l++) {
                int o = cOff + x * ldc + l;
                double start = add ? c[o] : 0;
                double sum = start;
                double magnitude = Math.abs(start);
                for (int y = 0; y < ys; y++) {
                    double p = a[aOff + x * ax + y * ay] * b[bOff + y * ldb + l];
                    sum += p;
                    magnitude += Math.abs(p);
                }
                double err = Math.abs(got[o] - sum);
                assertTrue(err <= gamma * magnitude, name + " at (" + x + ", " + l + "): " + got[o] + " vs " + sum);
            }
        }
        // Nothing outside the xs x width block is written.
        for (int o = 0; o < c.length; o++) {
            int x = (o - cOff) / ldc;
            int l = (o - cOff) % ldc;
            if (o < cOff || x >= xs || l >= width) {
                assertEquals(c[o], got[o], name + " wrote outside the block at " + o);
            }
        }
    }

    private static double[] random(Random rnd, int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = 2 * rnd.nextDouble() - 1;
        }
        return r;
    }

    private static float[] narrow(double[] a) {
        float[] r = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = (float) a[i];
        }
        return r;
    }

    private static double[] widen(float[] a) {
        double[] r = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            r[i] = a[i];
        }
        return r;
    }
}
