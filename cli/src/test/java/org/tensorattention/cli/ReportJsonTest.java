package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** The --report file read back by an independent, strict JSON parser. */
class ReportJsonTest {
    @TempDir
    Path tmp;

    /** Strict JSON: no "1.", no NaN, no trailing tokens; numbers kept exactly. */
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** Zero queries bound every score by R = 0, a whole number; d = 3 makes the default scale 1/3. */
    private JsonNode polyReport() throws Exception {
        Map<String, Tensor> a = new LinkedHashMap<>();
        for (String name : new String[] {"q", "k1", "k2", "v1", "v2"}) {
            double[] x = new double[6 * 3];
            for (int i = 0; i < x.length && !name.equals("q"); i++) {
                x[i] = Math.sin(i + name.hashCode());
            }
            a.put(name, Tensor.of(x, 6, 3));
        }
        Path in = tmp.resolve("in.npz");
        Npz.write(in, a);
        Path report = tmp.resolve("report.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(new String[] {"forward", "--input", in.toString(), "--output", tmp.resolve("o.npz").toString(),
                "--report", report.toString(), "--method", "poly", "--epsilon", "1e-3", "--window", "2,3"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err));
        assertEquals(0, status, err.toString());
        return STRICT.readTree(Files.readString(report));
    }

    @Test
    void numbersAreValidAndExact() throws Exception {
        JsonNode r = polyReport();
        JsonNode radius = r.get("R");
        assertTrue(radius.isNumber(), r.toString());
        assertEquals(0, radius.decimalValue().signum(), r.toString());
        assertEquals(1.0 / 3, r.get("scale").decimalValue().doubleValue(), 0.0, r.toString());
        assertEquals(1e-3, r.get("epsilon").decimalValue().doubleValue(), 0.0, r.toString());
        for (String key : new String[] {"degree", "rank", "order", "n", "d", "dv", "threads"}) {
            assertTrue(r.get(key).isIntegralNumber(), key + " in " + r);
        }
        for (String key : new String[] {"seconds", "flops", "delta", "error_bound"}) {
            assertTrue(r.get(key).isNumber(), key + " in " + r);
        }
    }

    @Test
    void anIntArrayIsAnArrayOfNumbers() throws Exception {
        JsonNode window = polyReport().get("window");
        assertTrue(window.isArray(), String.valueOf(window));
        assertEquals(2, window.size());
        assertEquals(2, window.get(0).intValue());
        assertEquals(3, window.get(1).intValue());
        assertTrue(window.get(0).isIntegralNumber() && window.get(1).isIntegralNumber(), window.toString());
    }

    @Test
    void enumsAreTheirNames() throws Exception {
        JsonNode r = polyReport();
        assertEquals("poly", r.get("method").textValue(), r.toString());
        assertEquals("window", r.get("mask").textValue(), r.toString());
        assertEquals("float64", r.get("dtype").textValue(), r.toString());
    }
}
