package org.tensorattention.evidence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    @TempDir
    Path tmp;

    @Test
    void writesHeaderAndRowsThatReadBack() throws Exception {
        Csv csv = new Csv("method", "n", "seconds", "note");
        csv.row("exact", 1024, 0.125, "a, b");
        csv.row("poly", 4096, 1.0 / 3, "say \"hi\"");
        csv.row("poly", 8192, Double.NaN, null);
        Path file = tmp.resolve("sub/dir/t.csv");
        csv.write(file);
        List<String> lines = Files.readAllLines(file);
        assertEquals("method,n,seconds,note", lines.get(0));
        assertEquals("exact,1024,0.125,\"a, b\"", lines.get(1));
        assertEquals("poly,4096,0.3333333333333333,\"say \"\"hi\"\"\"", lines.get(2));
        assertEquals("poly,8192,nan,", lines.get(3));
        assertEquals(1.0 / 3, Double.parseDouble(lines.get(2).split(",")[2]));
        assertEquals(3, csv.size());
    }

    @Test
    void wholeDoublesHaveNoDecimalPoint() {
        assertEquals("3", Csv.number(3.0));
        assertEquals("1.0E20", Csv.number(1e20));
        assertEquals("inf", Csv.number(Double.POSITIVE_INFINITY));
    }

    @Test
    void rowLengthMustMatch() {
        assertThrows(IllegalArgumentException.class, () -> new Csv("a", "b").row(1));
    }
}
