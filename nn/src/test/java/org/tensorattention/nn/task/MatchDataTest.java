package org.tensorattention.nn.task;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchDataTest {

    /** The definition itself: try every position (or pair of positions) as partners. */
    static int[] bruteForceLabels(Task task, int[] x, int m) {
        int n = x.length;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            for (int j1 = 0; j1 < n && y[i] == 0; j1++) {
                if (task == Task.MATCH2) {
                    if ((x[i] + x[j1]) % m == 0) {
                        y[i] = 1;
                    }
                    continue;
                }
                for (int j2 = 0; j2 < n; j2++) {
                    if ((x[i] + x[j1] + x[j2]) % m == 0) {
                        y[i] = 1;
                        break;
                    }
                }
            }
        }
        return y;
    }

    @ParameterizedTest
    @CsvSource({"MATCH3, 16, 64, 12, 1", "MATCH3, 9, 7, 7, 2", "MATCH3, 20, 101, 101, 3", "MATCH2, 16, 64, 30, 4",
            "MATCH2, 5, 2, 2, 5", "MATCH3, 1, 3, 3, 6"})
    void labelsAgreeWithTheDefinition(Task task, int n, int m, int s, long seed) {
        Batch b = new MatchData(task, n, m, s).sample(new SplittableRandom(seed), 200);
        for (int r = 0; r < b.size(); r++) {
            assertArrayEquals(bruteForceLabels(task, b.tokens()[r], m), b.labels()[r]);
            for (int v : b.tokens()[r]) {
                assertTrue(v >= 0 && v < m);
            }
        }
    }

    @Test
    void handMadeExamples() {
        // 1 + 2 + 4 = 7 = 0 mod 7; 3 needs a pair summing to 4: 2 + 2.
        assertArrayEquals(new int[] {1, 1, 1, 1}, MatchData.labels(Task.MATCH3, new int[] {1, 2, 4, 3}, 7));
        // Pair sums of {1, 2} are 2, 3, 4 mod 7; neither -1 = 6 nor -2 = 5 is among them.
        assertArrayEquals(new int[] {0, 0}, MatchData.labels(Task.MATCH3, new int[] {1, 2}, 7));
        assertArrayEquals(new int[] {1, 1, 0}, MatchData.labels(Task.MATCH2, new int[] {3, 4, 1}, 7));
        assertArrayEquals(new int[] {1}, MatchData.labels(Task.MATCH2, new int[] {0}, 5));
    }

    @ParameterizedTest
    @CsvSource({"MATCH3, 16, 64", "MATCH3, 32, 64", "MATCH2, 16, 24", "MATCH3, 16, 200"})
    void theBalancedSchemeMakesAboutHalfTheLabelsOne(Task task, int n, int m) {
        MatchData data = MatchData.balanced(task, n, m);
        double rate = data.sample(new SplittableRandom(99), 2000).positiveRate();
        assertTrue(Math.abs(rate - 0.5) < 0.08, "positive rate " + rate + " with subset " + data.subset());
    }

    @Test
    void samplingIsSeeded() {
        MatchData data = new MatchData(Task.MATCH3, 16, 64, 12);
        Batch a = data.sample(new SplittableRandom(7), 10);
        Batch b = data.sample(new SplittableRandom(7), 10);
        for (int r = 0; r < 10; r++) {
            assertArrayEquals(a.tokens()[r], b.tokens()[r]);
        }
        Batch c = data.sample(new SplittableRandom(8), 10);
        boolean differ = false;
        for (int r = 0; r < 10; r++) {
            differ |= !java.util.Arrays.equals(a.tokens()[r], c.tokens()[r]);
        }
        assertTrue(differ);
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new MatchData(Task.MATCH3, 0, 64, 8));
        assertThrows(IllegalArgumentException.class, () -> new MatchData(Task.MATCH3, 16, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new MatchData(Task.MATCH3, 16, 64, 65));
        assertThrows(IllegalArgumentException.class, () -> MatchData.labels(Task.MATCH2, new int[] {9}, 5));
        assertEquals(Task.MATCH2, Task.parse("match2"));
        assertThrows(IllegalArgumentException.class, () -> Task.parse("match4"));
    }
}
