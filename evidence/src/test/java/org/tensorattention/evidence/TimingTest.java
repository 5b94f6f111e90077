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
    void stopsAtTheBudgetButRecordsAtLeastOne() {
        AtomicInteger calls = new AtomicInteger();
        Timing t = Timing.measure(() -> {
            calls.incrementAndGet();
            return 10.0;
        }, 1, 5, 1);
        // The warm-up alone passed the budget: it is recorded and nothing more runs.
        assertEquals(1, calls.get());
        assertEquals(1, t.runs());
        assertEquals(10, t.median());
    }

    @Test
    void evenCountMedianIsTheMiddlePair() {
        assertEquals(2.5, Timing.of(new double[] {4, 1, 2, 3}).median());
    }
}
