package org.tensorattention.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.nn.task.Task;

class ExperimentTest {

    @Test
    void armsScaleWidthHeadWidthMlpAndDefaultScale() {
        ModelConfig base = ModelConfig.of(24, 16, 16, 2, 3).withSink(true);
        ModelConfig arm = Experiment.armConfig(base, new Experiment.Arm("x", 2, 4));
        assertEquals(2, arm.order());
        assertEquals(64, arm.width());
        assertEquals(32, arm.headWidth());
        assertEquals(256, arm.mlpWidth());
        assertEquals(1 / Math.sqrt(32), arm.scale(), 1e-15);
        assertTrue(arm.sink());
        ModelConfig fixed = Experiment.armConfig(base.withScale(0.7), new Experiment.Arm("y", 2, 2));
        assertEquals(0.7, fixed.scale());
    }

    @Test
    void aTinyComparisonWritesTheFigureAndTables(@TempDir Path dir) throws Exception {
        ModelConfig base = ModelConfig.of(7, 5, 4, 1, 3).withSink(true);
        TrainConfig tc = new TrainConfig(Task.MATCH3, 5, 7, 3, 4, 4, 1e-2, 0.0, 1, 1, 8, 2);
        List<TrainingRun.Result> r = Experiment.compare(base, tc,
                List.of(new Experiment.Arm("order 3", 3, 1), new Experiment.Arm("order 2", 2, 2)), 1, dir, null);
        assertEquals(2, r.size());
        assertTrue(Files.size(dir.resolve("compare.png")) > 1000);
        assertTrue(Files.readString(dir.resolve("compare.md")).contains("| order 2 | 2 | 8 |"));
        assertTrue(Files.exists(dir.resolve("order2-width2x/checkpoint.npz")));
        assertTrue(Files.readString(dir.resolve("compare.json")).contains("\"final_test_accuracy\""));
    }
}
