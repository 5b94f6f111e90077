package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** Every golden case of the independent numpy/PyTorch reference, run through the command line. */
class GoldenCasesTest {
    @TempDir
    Path tmp;

    static Stream<Golden> cases() throws Exception {
        return Golden.all().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void passesThroughTheCommandLine(Golden c) throws Exception {
        Path out = tmp.resolve(c.name() + ".out.npz");
        List<String> argv = new ArrayList<>(List.of(c.kind(), "--input", c.input().toString(), "--output", out.toString()));
        argv.addAll(c.opts());
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv.toArray(String[]::new), new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(0, status, "exit status; stderr: " + err);
        Map<String, Tensor> got = Npz.read(out);
        Map<String, Tensor> expected = Npz.read(c.expected());
        Map<String, Tensor> in = Npz.read(c.input());
        String dtype = (in.containsKey("q") ? in.get("q") : in.get("a1")).dtype().numpyName();
        for (Map.Entry<String, Tensor> e : expected.entrySet()) {
            Tensor want = e.getValue();
            Tensor have = got.get(e.getKey());
            assertNotNull(have, "missing array " + e.getKey());
            assertArrayEquals(want.shape(), have.shape(), e.getKey() + " shape");
            assertEquals(dtype, have.dtype().numpyName(), e.getKey() + " keeps the input's dtype");
            double tol = c.relative() ? c.tol() * Math.max(1, want.maxAbs()) : c.tol();
            double worst = 0;
            for (int i = 0; i < want.size(); i++) {
                assertTrue(Double.isFinite(have.get(i)), e.getKey() + " has a non-finite value");
                worst = Math.max(worst, Math.abs(have.get(i) - want.get(i)));
            }
            assertTrue(worst <= tol, e.getKey() + ": max error " + worst + " > tol " + tol);
        }
    }
}
