package org.tensorattention.evidence;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.tensorattention.io.OutputTarget;
import java.util.ArrayList;
import java.util.List;

/**
 * A small CSV table: a header, then rows of numbers or words. Numbers are written so that they read back
 * exactly (shortest round-trip form); words that hold a comma or a quote are quoted, as RFC 4180 says.
 */
public final class Csv {
    private final List<String> header;
    private final List<List<String>> rows = new ArrayList<>();

    public Csv(String... header) {
        if (header.length == 0) {
            throw new IllegalArgumentException("a CSV table needs at least one column");
        }
        this.header = List.of(header);
    }

    /** Appends one row; its length must match the header. */
    public Csv row(Object... cells) {
        if (cells.length != header.size()) {
            throw new IllegalArgumentException("CSV row has " + cells.length + " cells but the header has " + header.size());
        }
        List<String> r = new ArrayList<>(cells.length);
        for (Object c : cells) {
            r.add(cell(c));
        }
        rows.add(r);
        return this;
    }

    public int size() {
        return rows.size();
    }

    public List<String> header() {
        return header;
    }

    static String cell(Object c) {
        if (c == null) {
            return "";
        }
        if (c instanceof Double x) {
            return number(x);
        }
        if (c instanceof Float x) {
            return number(x.doubleValue());
        }
        String s = c.toString();
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /** Whole numbers without a decimal point, others in Java's shortest round-trip form; NaN as "nan". */
    static String number(double x) {
        if (Double.isNaN(x)) {
            return "nan";
        }
        if (Double.isInfinite(x)) {
            return x > 0 ? "inf" : "-inf";
        }
        if (x == Math.rint(x) && Math.abs(x) < 1e15) {
            return Long.toString((long) x);
        }
        return Double.toString(x);
    }

    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.join(",", header)).append('\n');
        for (List<String> r : rows) {
            sb.append(String.join(",", r)).append('\n');
        }
        return sb.toString();
    }

    /** Writes the table, creating the parent folder when missing. */
    public void write(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            OutputTarget.of(file).writeText(text());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
