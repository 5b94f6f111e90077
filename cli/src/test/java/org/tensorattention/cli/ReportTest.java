package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --report writes what was done: method, kernel seconds, flops and sizes; poly adds its certificate. */
class ReportTest {
    @TempDir
    Path tmp;

    private String report(String... extra) throws Exception {
        Golden c = Golden.all().stream().filter(g -> g.name().equals("poly-o3")).findFirst().orElseThrow();
        Path report = tmp.resolve("report.json");
        String[] base = {"forward", "--input", c.input().toString(), "--output", tmp.resolve("o.npz").toString(),
                "--report", report.toString()};
        String[] argv = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, argv, base.length, extra.length);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(0, Main.run(argv, new PrintStream(new ByteArrayOutputStream()), new PrintStream(err)), err.toString());
        return Files.readString(report);
    }

    @Test
    void exactReport() throws Exception {
        String json = report("--method", "exact");
        for (String key : new String[] {"\"method\": \"exact\"", "\"seconds\": ", "\"flops\": ", "\"n\": ", "\"d\": ",
                "\"dv\": ", "\"order\": 3"}) {
            assertTrue(json.contains(key), key + " in " + json);
        }
        assertTrue(!json.contains("\"rank\""), json);
    }

    @Test
    void polyReportCarriesTheCertificate() throws Exception {
        String json = report("--method", "poly", "--epsilon", "1e-3");
        for (String key : new String[] {"\"method\": \"poly\"", "\"degree\": ", "\"rank\": ", "\"R\": ", "\"delta\": ",
                "\"error_bound\": "}) {
            assertTrue(json.contains(key), key + " in " + json);
        }
    }

    @Test
    void aWindowIsWrittenAsAnArrayOfWidths() throws Exception {
        String json = report("--method", "exact", "--window", "2,3");
        assertTrue(json.contains("\"mask\": \"window\""), json);
        assertTrue(json.contains("\"window\": [2, 3]"), json);
    }
}
