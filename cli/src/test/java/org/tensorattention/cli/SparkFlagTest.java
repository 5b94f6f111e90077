package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** --spark without the spark module on the class path (as here): one line saying how to get it. */
class SparkFlagTest {
    @TempDir
    Path tmp;

    @Test
    void saysHowToGetTheSparkModule() throws Exception {
        Path in = tmp.resolve("in.npz");
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Npz.write(in, Map.of("q", x, "k1", x, "v1", x));
        Path out = tmp.resolve("out.npz");
        for (String command : new String[] {"forward", "backward"}) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int status = Main.run(new String[] {command, "--input", in.toString(), "--output", out.toString(),
                    "--spark", "local[2]"}, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
            String text = err.toString().strip();
            assertEquals(2, status, text);
            assertFalse(text.contains("\n"), text);
            assertTrue(text.startsWith("tensor-attention " + command + ": --spark needs the spark module"), text);
            assertFalse(Files.exists(out));
        }
    }
}
