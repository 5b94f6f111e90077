package org.tensorattention.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the small subset of Python literals that .npy headers are written in: dicts, tuples, lists,
 * strings, integers, True, False and None. Integers may carry the {@code L} suffix of Python 2 writers.
 *
 * <p>Values map to Java as: dict to {@code Map<String, Object>} (insertion order), tuple to {@link Tuple},
 * list to {@code List<Object>}, str to String, int to Long, bool to Boolean, None to null. Anything else
 * (floats, expressions, calls) is rejected: a header holds no code.
 */
final class PyLiteral {
    /** A Python tuple, kept apart from a list because numpy requires the shape to be a tuple. */
    record Tuple(List<Object> items) {}

    private final String text;
    private int pos;
    /** Whether the sequence just parsed ended with a comma before its closing bracket. */
    private boolean trailingComma;

    private PyLiteral(String text) {
        this.text = text;
    }

    /** The one literal that {@code text} holds, surrounded by optional whitespace. */
    static Object parse(String text) {
        PyLiteral p = new PyLiteral(text);
        Object value = p.value();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the literal");
        }
        return value;
    }

    /** A parsed value written back the way Python's repr would, for messages. */
    static String repr(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof String str) {
            return "'" + str.replace("\\", "\\\\").replace("'", "\\'") + "'";
        }
        if (value instanceof Tuple t) {
            return join(t.items(), "(", t.items().size() == 1 ? ",)" : ")");
        }
        if (value instanceof List<?> list) {
            return join(list, "[", "]");
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : map.entrySet()) {
                sb.append(sb.length() > 1 ? ", " : "").append(repr(e.getKey())).append(": ").append(repr(e.getValue()));
            }
            return sb.append('}').toString();
        }
        return String.valueOf(value);
    }

    private static String join(List<?> items, String open, String close) {
        StringBuilder sb = new StringBuilder(open);
        for (int i = 0; i < items.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(repr(items.get(i)));
        }
        return sb.append(close).toString();
    }

    private Object value() {
        skipSpace();
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        char c = text.charAt(pos);
        if (c == '{') {
            return dict();
        }
        if (c == '(') {
            return tuple();
        }
        if (c == '[') {
            return new ArrayList<>(sequence('[', ']'));
        }
        if (c == '\'' || c == '"') {
            return string();
        }
        if (c == '-' || c == '+' || Character.isDigit(c)) {
            return integer();
        }
        if (Character.isLetter(c)) {
            String word = word();
            return switch (word) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> null;
                default -> throw error("unexpected name '" + word + "'");
            };
        }
        throw error("unexpected character '" + c + "'");
    }

    private Map<String, Object> dict() {
        Map<String, Object> map = new LinkedHashMap<>();
        pos++; // '{'
        while (true) {
            skipSpace();
            if (peek() == '}') {
                pos++;
                return map;
            }
            Object key = value();
            if (!(key instanceof String k)) {
                throw error("dict key is not a string");
            }
            skipSpace();
            expect(':');
            Object v = value();
            if (map.containsKey(k)) {
                throw error("repeated key '" + k + "'");
            }
            map.put(k, v);
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() != '}') {
                throw error("expected ',' or '}'");
            }
        }
    }

    private Object tuple() {
        List<Object> items = sequence('(', ')');
        // "(3)" is the int 3, not a tuple: only a comma makes a one-element tuple.
        if (items.size() == 1 && !trailingComma) {
            return items.get(0);
        }
        return new Tuple(Collections.unmodifiableList(items));
    }

    private List<Object> sequence(char open, char close) {
        List<Object> items = new ArrayList<>();
        pos++; // open
        boolean comma = false;
        while (true) {
            skipSpace();
            if (peek() == close) {
                pos++;
                trailingComma = comma;
                return items;
            }
            items.add(value());
            skipSpace();
            comma = peek() == ',';
            if (comma) {
                pos++;
            } else if (peek() != close) {
                throw error("expected ',' or '" + close + "'");
            }
        }
    }

    private String string() {
        char quote = text.charAt(pos++);
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == quote) {
                return sb.toString();
            }
            if (c == '\n') {
                throw error("line break inside a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '\\', '\'', '"' -> sb.append(e);
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case '0' -> sb.append('\0');
                case 'x' -> sb.append((char) hex(2));
                case 'u' -> sb.append((char) hex(4));
                default -> throw error("unsupported escape '\\" + e + "'");
            }
        }
    }

    private int hex(int digits) {
        if (pos + digits > text.length()) {
            throw error("short escape");
        }
        try {
            int v = Integer.parseInt(text.substring(pos, pos + digits), 16);
            pos += digits;
            return v;
        } catch (NumberFormatException e) {
            throw error("bad escape");
        }
    }

    private Long integer() {
        int start = pos;
        if (peek() == '-' || peek() == '+') {
            pos++;
        }
        int digits = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == digits) {
            throw error("expected a digit");
        }
        String number = text.substring(start, pos);
        if (pos < text.length() && (text.charAt(pos) == 'L' || text.charAt(pos) == 'l')) {
            pos++; // Python 2 long suffix
        }
        if (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '.')) {
            throw error("unsupported number");
        }
        try {
            return Long.parseLong(number.startsWith("+") ? number.substring(1) : number);
        } catch (NumberFormatException e) {
            throw error("integer " + number + " out of range");
        }
    }

    private String word() {
        int start = pos;
        while (pos < text.length() && (Character.isLetterOrDigit(text.charAt(pos)) || text.charAt(pos) == '_')) {
            pos++;
        }
        return text.substring(start, pos);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + pos);
    }
}
