package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;

/** Each experiment on a tiny configuration: it runs, its claims hold, and its files are written. */
class ExperimentsEndToEndTest {
    @TempDir
    Path tmp;

    private final ByteArrayOutputStream text = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(text, true, StandardCharsets.UTF_8);

    private static int lines(Path file) throws Exception {
        return Files.readAllLines(file).size();
    }

    @Test
    void errorExperimentFindsNoViolation() throws Exception {
        ErrorExperiment.Config cfg = new ErrorExperiment.Config(90, 3, 10, 3, 2, new int[] {2, 3, 4},
                new double[] {1e-1, 1e-3, 1e-5}, new double[] {0.5, 1.5}, new String[] {"full", "causal", "window"},
                2, 7, tmp.resolve("error"));
        ErrorExperiment.Report r = ErrorExperiment.run(cfg, out, null);
        assertEquals(0, r.violations(), text.toString());
        assertEquals(90, r.runs().size());
        assertTrue(r.runs().stream().filter(ErrorExperiment.Run::ran).count() > 80, "the planner refuses few");
        assertTrue(r.worstRatio() <= 1);
        assertEquals(91, lines(tmp.resolve("error/error.csv")));
        assertTrue(Files.size(tmp.resolve("error/error.png")) > 1000);
        // Every mask and order was exercised.
        for (String m : List.of("full", "causal", "window")) {
            assertTrue(r.runs().stream().anyMatch(x -> x.mask().startsWith(m)), m);
        }
    }

    @Test
    void hardnessExperimentDecidesEveryInstance() throws Exception {
        HardnessExperiment.Config cfg = new HardnessExperiment.Config(new int[] {8, 16, 32}, 4, 2, 0.5, 0.25, 1, 3,
                tmp.resolve("hardness"));
        HardnessExperiment.Report r = HardnessExperiment.run(cfg, out, null);
        assertEquals(0, r.wrong(), text.toString());
        assertEquals(12, r.results().size());
        for (HardnessExperiment.Result x : r.results()) {
            assertEquals(x.planted(), x.truth(), "a plant is the only triple reaching t");
            assertTrue(x.entryBound() <= Math.cbrt(x.lambda()) + 1e-12);
            // The rank the method would need dwarfs n^2: the point of the experiment.
            assertTrue(x.needAtMaxScore().rank() > (double) x.n() * x.n(), "rank " + x.needAtMaxScore().rank() + " at n = " + x.n());
            assertTrue(x.maxScore() <= x.radius(), "the radius bounds every score");
        }
        assertEquals(13, lines(tmp.resolve("hardness/hardness.csv")));
        assertTrue(Files.size(tmp.resolve("hardness/hardness.png")) > 1000);
    }

    @Test
    void thresholdExperimentLocatesACrossoverThatGrowsWithN() throws Exception {
        ThresholdExperiment.Config cfg = new ThresholdExperiment.Config(new int[] {1 << 10, 1 << 13, 1 << 16},
                new double[] {0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 8}, new int[] {16, 24}, new int[] {32}, 3, 4, 4, 1e-3, 0.05, 1,
                5, tmp.resolve("threshold"));
        ThresholdExperiment.Report r = ThresholdExperiment.run(cfg, out, null);
        assertFalse(r.measured().isEmpty());
        // Where the crossovers fall depends on the measured constants; that they grow with n does not.
        assertTrue(Double.isFinite(r.crossovers().get(0).bound()), text.toString());
        double prev = 0;
        for (ThresholdExperiment.Crossover c : r.crossovers()) {
            if (Double.isFinite(c.bound())) {
                assertTrue(c.bound() > prev, "B* grows with n: " + text);
                prev = c.bound();
            }
        }
        // The need grows with B.
        for (int i = 1; i < r.needs().size(); i++) {
            assertTrue(r.needs().get(i).need().rank() >= r.needs().get(i - 1).need().rank());
        }
        assertTrue(Files.size(tmp.resolve("threshold/threshold.png")) > 1000);
        assertEquals(1 + 3 * 11, lines(tmp.resolve("threshold/threshold.csv")) - countExtraMeasured(r, cfg));
        assertEquals(4, lines(tmp.resolve("threshold/threshold-crossover.csv")));
    }

    private static int countExtraMeasured(ThresholdExperiment.Report r, ThresholdExperiment.Config cfg) {
        return (int) r.measured().stream().filter(m -> java.util.Arrays.stream(cfg.sizes()).noneMatch(n -> n == m.n())).count();
    }

    @Test
    void benchRunsAndFitsSlopes() throws Exception {
        BenchConfig cfg = new BenchConfig(new int[] {8, 12, 16}, new int[] {64, 128}, 3, 4, 4, DType.FLOAT64,
                Mask.FULL, 1, 1e-3, true, 0, 1, 5, 0.005, false, 1, 1, tmp.resolve("bench"));
        Bench.Report r = new Bench(cfg, out, null).run();
        assertNotNull(r.peak());
        assertTrue(r.peak().floatGflops() > 0 && r.peak().doubleGflops() > 0);
        assertTrue(r.fits().stream().anyMatch(f -> f.method().equals("exact") && f.pass().equals("forward")));
        assertTrue(r.fits().stream().anyMatch(f -> f.method().equals("poly") && f.pass().equals("forward")));
        // One row per (method, pass, n), measured or with a note saying why not.
        assertEquals(2 * 3 + 2 * 2, r.rows().size());
        for (Bench.Row row : r.rows()) {
            assertTrue(row.timing() != null || !row.note().isEmpty(), row.toString());
        }
        assertEquals(11, lines(tmp.resolve("bench/bench.csv")));
        assertEquals(2, lines(tmp.resolve("bench/peak.csv")));
        assertTrue(Files.size(tmp.resolve("bench/bench.png")) > 1000);
        assertTrue(text.toString().contains("FMA peak"));
    }
}
