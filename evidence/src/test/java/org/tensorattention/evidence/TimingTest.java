package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class TimingTest {
    @Test
    void medianAndBestOfRecordedRunsWarmupsExcluded() {
        double[] seq = {9, 9, 3, 1, 2, 5, 4};
        AtomicInteger i = new AtomicInteger();
        Timing t = Timing.measure(() -> seq[i.getAndIncrement()], 2, 5, 100);
        assertEquals(5, t.runs());
        assertEquals(1, t.best());
        assertEquals(3, t.median());
        assertEquals(7, i.get());
    }

    @Test
    void stopsAtTheBudgetButRecordsAtLeastOneRunAfterTheWarmUp() {
        double[] seq = {10, 3, 2, 1};
        AtomicInteger i = new AtomicInteger();
        Timing t = Timing.measure(() -> seq[i.getAndIncrement()], 2, 5, 1);
        // The slow warm-up passed the budget: no second warm-up, one recorded run, which passes it too.
        assertEquals(2, i.get());
        assertEquals(1, t.runs());
        assertEquals(3, t.median());
    }

    @Test
    void evenCountMedianIsTheMiddlePair() {
        assertEquals(2.5, Timing.of(new double[] {4, 1, 2, 3}).median());
    }
}
