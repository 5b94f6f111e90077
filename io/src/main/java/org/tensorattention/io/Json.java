package org.tensorattention.io;

import java.nio.file.Path;
import java.lang.reflect.Array;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * Renders maps, lists and other collections, arrays, numbers, strings, booleans and enums as JSON, and writes
 * it atomically like every other output of the project.
 *
 * <p>Numbers round-trip: a double is written as the shortest decimal that reads back to the same double
 * (Double.toString, with an integral value below 1e15 written without a fraction), a float as the shortest
 * that reads back to the same float. JSON has no NaN or infinity: non-finite numbers are written as
 * {@code null}. Enums are written as their names; anything else as the string of its toString().
 */
public final class Json {
    private Json() {
    }

    /** Writes value as JSON: the file appears complete or not at all. */
    public static void write(Path file, Object value) throws NpzException {
        OutputTarget.of(file).writeText(render(value));
    }

    /** Writes text the same way (CSV, reports). */
    public static void writeText(Path file, String text) throws NpzException {
        OutputTarget.of(file).writeText(text);
    }

    public static String render(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value, 0);
        return sb.append('\n').toString();
    }

    private static void write(StringBuilder sb, Object v, int indent) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Map<?, ?> map) {
            sb.append("{");
            int i = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(i++ == 0 ? "\n" : ",\n").append("  ".repeat(indent + 1));
                Object key = e.getKey();
                sb.append(quote(key instanceof Enum<?> en ? en.name() : String.valueOf(key))).append(": ");
                write(sb, e.getValue(), indent + 1);
            }
            sb.append(map.isEmpty() ? "}" : "\n" + "  ".repeat(indent) + "}");
        } else if (v instanceof Collection<?> items) {
            Object[] a = items.toArray();
            array(sb, a.length, i -> a[i], indent);
        } else if (v.getClass().isArray()) {
            // Any array, of objects or primitives; Array.get boxes, so a float stays a float.
            array(sb, Array.getLength(v), i -> Array.get(v, i), indent);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
                || v instanceof BigInteger || v instanceof AtomicInteger || v instanceof AtomicLong) {
            sb.append(v);
        } else if (v instanceof BigDecimal d) {
            sb.append(d.toString());
        } else if (v instanceof Float f) {
            number(sb, f);
        } else if (v instanceof Number n) {
            number(sb, n.doubleValue());
        } else if (v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Enum<?> e) {
            sb.append(quote(e.name()));
        } else {
            sb.append(quote(v.toString()));
        }
    }

    private static void array(StringBuilder sb, int length, IntFunction<Object> at, int indent) {
        sb.append('[');
        for (int i = 0; i < length; i++) {
            sb.append(i == 0 ? "" : ", ");
            write(sb, at.apply(i), indent + 1);
        }
        sb.append(']');
    }

    /** The shortest decimal that reads back to x, always a valid JSON number; null for NaN and infinities. */
    static void number(StringBuilder sb, double x) {
        if (!Double.isFinite(x)) {
            sb.append("null");
        } else if (x == Math.rint(x) && Math.abs(x) < 1e15 && !isNegativeZero(x)) {
            sb.append((long) x);
        } else {
            sb.append(Double.toString(x)); // "1.0E-5", "0.1", "-0.0": all JSON numbers
        }
    }

    private static void number(StringBuilder sb, float x) {
        if (!Float.isFinite(x)) {
            sb.append("null");
        } else if (x == Math.rint(x) && Math.abs(x) < 1e7f && !isNegativeZero(x)) {
            sb.append((long) x);
        } else {
            sb.append(Float.toString(x));
        }
    }

    private static boolean isNegativeZero(double x) {
        return x == 0 && Double.doubleToRawLongBits(x) != 0;
    }

    public static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                default -> {
                    // Lone surrogates are not UTF-8; the line separators end JavaScript strings.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029' || (Character.isSurrogate(c) && !pairedAt(s, i))) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }
}
