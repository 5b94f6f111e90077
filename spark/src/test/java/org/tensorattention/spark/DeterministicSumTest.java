package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Sums and merges over tasks give the same bits whatever order the pieces arrive in. */
class DeterministicSumTest {
    @Test
    void gradientPiecesSumInTaskOrder() {
        Random rnd = new Random(1);
        List<ExactSpark.Piece> pieces = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            double[] x = new double[6];
            for (int j = 0; j < x.length; j++) {
                // Magnitudes far apart, so that a different order would round differently.
                x[j] = rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12));
            }
            pieces.add(new ExactSpark.Piece(i, 2 * rnd.nextInt(3), x, 1));
        }
        double[] first = ExactSpark.sum(pieces).data();
        for (int round = 0; round < 5; round++) {
            Collections.shuffle(pieces, rnd);
            assertArrayEquals(first, ExactSpark.sum(pieces).data());
        }
        assertEquals(10, first.length);
    }

    @Test
    void partialOutputsMergeInTaskOrder() {
        Random rnd = new Random(2);
        List<ExactSpark.Partial> parts = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            double[] o = new double[4 * 3];
            double[] lse = new double[4];
            for (int r = 0; r < 4; r++) {
                // A row that sees nothing in this key block: weight zero, its undefined output ignored.
                lse[r] = rnd.nextInt(5) == 0 ? Double.NEGATIVE_INFINITY : rnd.nextGaussian() * 20;
                for (int c = 0; c < 3; c++) {
                    o[r * 3 + c] = lse[r] == Double.NEGATIVE_INFINITY ? Double.NaN : rnd.nextGaussian();
                }
            }
            parts.add(new ExactSpark.Partial(i, Rows.of(o), lse, 1));
        }
        ExactSpark.Partial first = ExactSpark.merge(parts);
        for (int round = 0; round < 5; round++) {
            Collections.shuffle(parts, rnd);
            ExactSpark.Partial again = ExactSpark.merge(parts);
            assertArrayEquals(first.lse(), again.lse());
            assertArrayEquals(first.out().d, again.out().d);
        }
        for (double x : first.out().d) {
            assertEquals(true, Double.isFinite(x));
        }
    }
}
