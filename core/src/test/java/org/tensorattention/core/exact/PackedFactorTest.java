package org.tensorattention.core.exact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.DType;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/** A factor packed a few rows at a time holds what packing all its rows at once gives. */
class PackedFactorTest {
    @Test
    void appendsInPiecesEqualOnePacking() {
        int d = 7;
        int dv = 5;
        int n = 301;
        Random rnd = new Random(1);
        double[] k = new double[n * d];
        double[] v = new double[n * dv];
        Arrays.setAll(k, i -> rnd.nextGaussian());
        Arrays.setAll(v, i -> rnd.nextGaussian());
        float[] kf = new float[k.length];
        float[] vf = new float[v.length];
        for (int i = 0; i < k.length; i++) {
            kf[i] = (float) k[i];
        }
        for (int i = 0; i < v.length; i++) {
            vf[i] = (float) v[i];
        }
        PackedFactor p64 = new PackedFactor(DType.FLOAT64, d, dv);
        PackedFactor p32 = new PackedFactor(DType.FLOAT32, d, dv);
        int at = 0;
        for (int m : new int[] {1, 1, 3, 60, 1, 200, 35}) {
            p64.append(k, at * d, v, at * dv, m);
            p32.append(kf, at * d, vf, at * dv, m);
            at += m;
        }
        assertEquals(n, at);
        assertEquals(n, p64.rows());
        if (ExactForward.defaultPath() == ExactForward.Path.SCALAR) {
            assertFalse(p64.packed());
            return;
        }
        int bk64 = VectorForward.keyBlock(DType.FLOAT64);
        int bk32 = VectorForward.keyBlock(DType.FLOAT32);
        double[] keys64 = InnerPacking.keys(k, 0, n, d, bk64);
        float[] keys32 = InnerPacking.keys(kf, 0, n, d, bk32);
        double[] values64 = InnerPacking.values(v, 0, dv, n, dv, VectorForward.paddedWidth(DType.FLOAT64, dv), bk64);
        float[] values32 = InnerPacking.values(vf, 0, dv, n, dv, VectorForward.paddedWidth(DType.FLOAT32, dv), bk32);
        // The grown copy is longer (doubling); past the packed rows it is zero.
        assertArrayEquals(keys64, Arrays.copyOf((double[]) p64.keys(), keys64.length));
        assertArrayEquals(values64, Arrays.copyOf((double[]) p64.values(), values64.length));
        assertArrayEquals(keys32, Arrays.copyOf((float[]) p32.keys(), keys32.length));
        assertArrayEquals(values32, Arrays.copyOf((float[]) p32.values(), values32.length));
        double[] rest = Arrays.copyOfRange((double[]) p64.keys(), keys64.length, ((double[]) p64.keys()).length);
        assertArrayEquals(new double[rest.length], rest);
    }

    @Test
    void aFactorThatDoesNotFitTheCallIsRefused() {
        PackedFactor p = new PackedFactor(DType.FLOAT64, 4, 2);
        p.append(new double[8], 0, new double[4], 0, 2);
        Geometry g = Geometry.simple(1, 1, new int[] {3}, 4, 2);
        assertThrows(IllegalArgumentException.class, () -> ExactForward.forward(g, 1, Mask.FULL, new double[4],
                new double[][] {new double[12]}, new double[][] {new double[6]}, p, new double[2], new double[1], 1));
        assertThrows(IllegalArgumentException.class, () -> p.append(new float[4], 0, new float[2], 0, 1));
    }
}
