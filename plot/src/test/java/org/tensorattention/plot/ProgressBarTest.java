package org.tensorattention.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    /** A clock that moves only when told. */
    private static final class FakeClock implements ProgressBar.Clock {
        long now;

        @Override
        public long nanos() {
            return now;
        }
    }

    @Test
    void countsElapsedAndEstimatesTheRest() {
        FakeClock clock = new FakeClock();
        ProgressBar bar = new ProgressBar("bench", 4, null, clock);
        clock.now = 10_000_000_000L;
        bar.step("first");
        // One step of four took 10 s: three more should take 30 s.
        String line = bar.line("n=512");
        assertTrue(line.startsWith("bench [######"), line);
        assertTrue(line.contains("1/4"), line);
        assertTrue(line.contains("elapsed 0:10"), line);
        assertTrue(line.contains("eta 0:30"), line);
        assertTrue(line.endsWith("n=512"), line);
    }

    @Test
    void redrawsInPlaceAndEndsTheLine() {
        FakeClock clock = new FakeClock();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar bar = new ProgressBar("run", 2, new PrintStream(bytes, true, StandardCharsets.UTF_8), clock);
        clock.now = 1_000_000_000L;
        bar.step("a");
        clock.now = 2_000_000_000L;
        bar.step("b");
        bar.finish("done");
        String s = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\r"), s);
        assertTrue(s.contains("2/2"), s);
        assertTrue(s.endsWith(System.lineSeparator()), s);
        assertEquals(2, bar.steps());
    }

    @Test
    void weightedWorkShowsAPercentage() {
        FakeClock clock = new FakeClock();
        ProgressBar bar = new ProgressBar("w", 10.5, null, clock);
        bar.advance(2.1, null);
        assertTrue(bar.line(null).contains("20%"), bar.line(null));
    }

    @Test
    void clockFormat() {
        assertEquals("0:05", ProgressBar.clock(5));
        assertEquals("2:03", ProgressBar.clock(123));
        assertEquals("1:00:01", ProgressBar.clock(3601));
    }

    @Test
    void rejectsEmptyTotal() {
        assertThrows(IllegalArgumentException.class, () -> new ProgressBar("x", 0, null));
    }
}
