package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.DType;

/** JSON reports: numbers that read back exactly and are always valid JSON; arrays and enums as JSON. */
class JsonTest {
    /** A JSON number, as RFC 8259 gives its grammar. */
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    @TempDir
    Path dir;

    private static String render(Object v) {
        return Json.render(v).strip();
    }

    @Test
    void doublesRoundTripAsValidJsonNumbers() {
        Random rnd = new Random(11);
        Stream<Double> special = Stream.of(0.1, 1.0 / 3, 2.5e-9, 1e15, 1e16, 123456.789e300, Double.MIN_VALUE,
                Double.MAX_VALUE, -Double.MIN_NORMAL, 1e-5, 0.30000000000000004, -0.0, 1.0);
        Stream<Double> random = rnd.doubles(20_000).map(u -> Double.longBitsToDouble(rnd.nextLong())).boxed();
        Stream.concat(special, random).filter(Double::isFinite).forEach(x -> {
            String s = render(x);
            assertTrue(JSON_NUMBER.matcher(s).matches(), s);
            assertEquals(Double.doubleToLongBits(x), Double.doubleToLongBits(Double.parseDouble(s)), s);
        });
    }

    /** What %.6g wrote before: six digits lost most of a double, and "1." is not JSON. */
    @Test
    void keepsEveryDigit() {
        assertEquals("1.2345678901234567", render(1.2345678901234567));
        assertEquals("0.001", render(0.001));
        assertEquals("1.0E-7", render(1e-7));
        assertEquals("2.0E15", render(2e15));
        assertEquals("3", render(3.0));
        assertEquals("-0.0", render(-0.0));
        assertEquals("0.1", render(0.1f));
        assertEquals("1.0E-10", render(1e-10f));
    }

    @Test
    void floatsRoundTripAsFloats() {
        Random rnd = new Random(12);
        for (int i = 0; i < 20_000; i++) {
            float x = Float.intBitsToFloat(rnd.nextInt());
            if (Float.isFinite(x)) {
                String s = render(x);
                assertTrue(JSON_NUMBER.matcher(s).matches(), s);
                assertEquals(Float.floatToIntBits(x), Float.floatToIntBits(Float.parseFloat(s)), s);
            }
        }
    }

    /** JSON has no NaN or infinity: they are written as null. */
    @Test
    void nonFiniteNumbersAreNull() {
        assertEquals("[null, null, null, 1.5, null]", render(new double[] {Double.NaN, Double.POSITIVE_INFINITY,
            Double.NEGATIVE_INFINITY, 1.5, Float.NaN}));
        assertEquals("null", render(Float.NEGATIVE_INFINITY));
    }

    @Test
    void arraysAndEnums() {
        Map<Object, Object> m = new LinkedHashMap<>();
        m.put("ints", new int[] {1, -2, 3});
        m.put("longs", new long[] {1L << 53, -1});
        m.put("doubles", new double[] {0.5, 1e300});
        m.put("floats", new float[] {0.25f});
        m.put("flags", new boolean[] {true, false});
        m.put("strings", new String[] {"a", "b\"c"});
        m.put("set", Set.of(7));
        m.put(DType.FLOAT32, DType.FLOAT64);
        m.put("list", List.of(DType.FLOAT32, 2));
        assertEquals("""
                {
                  "ints": [1, -2, 3],
                  "longs": [9007199254740992, -1],
                  "doubles": [0.5, 1.0E300],
                  "floats": [0.25],
                  "flags": [true, false],
                  "strings": ["a", "b\\"c"],
                  "set": [7],
                  "FLOAT32": "FLOAT64",
                  "list": ["FLOAT32", 2]
                }
                """, Json.render(m));
    }

    @Test
    void stringsEscapeControlCharacters() {
        assertEquals("\"a\\nb\\r\\t\\u001b[0m\\u2028\\ud800\"", render("a\nb\r\t\u001b[0m\u2028\ud800"));
        assertEquals("\"\ud83d\ude00\"", render("\ud83d\ude00"));
    }

    /** Every number in a rendered report is a JSON number. */
    @Test
    void reportHasOnlyJsonNumbers() throws IOException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("R", 1.0000000000000002);
        report.put("delta", 2.5e-9);
        report.put("degree", 12);
        report.put("errors", new double[] {1e-17, 3.0, Double.NaN});
        Path file = dir.resolve("report.json");
        Json.write(file, report);
        String text = Files.readString(file);
        Matcher tokens = Pattern.compile("(?<=: |\\[|, )[-0-9][^,\\]\\n]*").matcher(text);
        int numbers = 0;
        while (tokens.find()) {
            assertTrue(JSON_NUMBER.matcher(tokens.group()).matches(), tokens.group());
            numbers++;
        }
        assertEquals(5, numbers, text);
        assertTrue(text.contains("\"R\": 1.0000000000000002"), text);
    }
}
