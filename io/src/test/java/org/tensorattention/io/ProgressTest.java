package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressTest {
    private static final class FakeClock implements Progress.Clock {
        long now;

        @Override
        public long nanos() {
            return now;
        }
    }

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void countsElapsedAndEstimatesTheRest() {
        FakeClock clock = new FakeClock();
        Progress bar = new Progress("bench", 4, null, Progress.Mode.PLAIN, clock);
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
    void onATerminalRedrawsInPlaceWithinTheWidth() {
        FakeClock clock = new FakeClock();
        Progress bar = new Progress("run", 2, out, Progress.Mode.terminal(40), clock);
        clock.now = 1_000_000_000L;
        bar.step("a long note that would not fit in forty columns");
        clock.now = 2_000_000_000L;
        bar.step("b");
        bar.finish("done");
        String s = text();
        assertTrue(s.startsWith("\r"), s);
        assertTrue(s.contains("2/2"), s);
        assertTrue(s.endsWith(System.lineSeparator()), s);
        for (String draw : s.strip().split("\r")) {
            assertTrue(draw.strip().length() <= 39, "within the width: '" + draw + "'");
        }
        assertEquals(2, bar.steps());
    }

    @Test
    void elsewhereAPlainLineEveryFewSecondsWithoutCarriageReturns() {
        FakeClock clock = new FakeClock();
        Progress bar = new Progress("train", 100, out, Progress.Mode.PLAIN, clock);
        for (int i = 0; i < 100; i++) {
            clock.now += 100_000_000L; // 0.1 s a step: 10 s in all
            bar.step("step " + i);
        }
        bar.finish("done");
        String s = text();
        assertFalse(s.contains("\r"), s);
        // Lines at 5 s and 10 s, and the final one.
        assertEquals(3, s.lines().count(), s);
        assertTrue(s.strip().endsWith("done"), s);
    }

    @Test
    void quietDrawsNothing() {
        FakeClock clock = new FakeClock();
        Progress bar = new Progress("train", 3, out, Progress.Mode.QUIET, clock);
        for (int i = 0; i < 3; i++) {
            clock.now += 10_000_000_000L;
            bar.step("x");
        }
        bar.finish("done");
        assertEquals("", text());
    }

    @Test
    void weightedWorkShowsAPercentage() {
        Progress bar = new Progress("w", 10.5, null, Progress.Mode.PLAIN, new FakeClock());
        bar.advance(2.1, null);
        assertTrue(bar.line(null).contains("20%"), bar.line(null));
    }

    @Test
    void clockFormat() {
        assertEquals("0:05", Progress.clock(5));
        assertEquals("2:03", Progress.clock(123));
        assertEquals("1:00:01", Progress.clock(3601));
    }

    @Test
    void rejectsANonPositiveTotal() {
        assertThrows(IllegalArgumentException.class, () -> new Progress("x", 0, null));
    }
}
