package org.tensorattention.io;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses the subset of Python literals that .npy headers are written in, as Python's ast.literal_eval reads
 * them: dicts, tuples, lists, strings, integers, True, False and None.
 *
 * <p>Values map to Java as: dict to {@code Map<String, Object>} (insertion order; a repeated key keeps its
 * last value, as in Python), tuple to {@link Tuple}, list to {@code List<Object>}, str to String, int to
 * Long, bool to Boolean, None to null. Integers are written as Python writes them (decimal, 0x, 0o, 0b,
 * underscores between digits, one sign), ASCII digits only. Anything else (floats, names, calls) is
 * rejected: a header holds no code.
 *
 * <p>The parser keeps its nesting on an explicit stack, so that a hostile header cannot overflow the call
 * stack; it refuses more than {@link #MAX_DEPTH} open brackets, the limit of Python's own parser.
 */
final class PyLiteral {
    /** A Python tuple, kept apart from a list because numpy requires the shape to be a tuple. */
    record Tuple(List<Object> items) {}

    /** Python refuses "too many nested parentheses" beyond this depth. */
    static final int MAX_DEPTH = 200;

    private final String text;
    /** Whether integers may carry the {@code L} suffix that Python 2 writers left (numpy strips it before format 3.0). */
    private final boolean longSuffix;
    private int pos;

    private PyLiteral(String text, boolean longSuffix) {
        this.text = text;
        this.longSuffix = longSuffix;
    }

    /** The one literal that {@code text} holds, surrounded by optional whitespace and comments. */
    static Object parse(String text) {
        return parse(text, true);
    }

    /** As {@link #parse(String)}; {@code longSuffix} says whether {@code 3L} reads as 3. */
    static Object parse(String text, boolean longSuffix) {
        PyLiteral p = new PyLiteral(text, longSuffix);
        Object value = p.run();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the literal");
        }
        return value;
    }

    /** An open bracket with what it has collected so far. */
    private static final class Frame {
        final char close;
        final List<Object> items = new ArrayList<>();
        final Map<String, Object> dict;
        String key;
        boolean comma;

        Frame(char open) {
            close = open == '{' ? '}' : open == '(' ? ')' : ']';
            dict = open == '{' ? new LinkedHashMap<>() : null;
        }

        Object finish() {
            if (dict != null) {
                return dict;
            }
            if (close == ']') {
                return items;
            }
            // "(3)" is the int 3, not a tuple: only a comma makes a one-element tuple.
            return items.size() == 1 && !comma ? items.get(0) : new Tuple(Collections.unmodifiableList(items));
        }
    }

    private Object run() {
        Deque<Frame> stack = new ArrayDeque<>();
        while (true) {
            skipSpace();
            Frame top = stack.peek();
            char c = peek();
            Object value;
            // A bracket closes when no dict value is pending: after '{', after a comma or after a value (the
            // code below lets a value be followed only by a comma or the closing bracket).
            if (top != null && c == top.close && top.key == null) {
                pos++;
                value = stack.pop().finish();
            } else if (c == '{' || c == '(' || c == '[') {
                if (stack.size() == MAX_DEPTH) {
                    throw error("nested deeper than " + MAX_DEPTH + " levels");
                }
                stack.push(new Frame(c));
                pos++;
                continue;
            } else {
                value = atom();
            }
            top = stack.peek();
            if (top == null) {
                return value;
            }
            skipSpace();
            if (top.dict != null && top.key == null) {
                if (!(value instanceof String k)) {
                    throw error("dict key is not a string");
                }
                expect(':');
                top.key = k;
                continue;
            }
            if (top.dict != null) {
                top.dict.put(top.key, value); // a repeated key keeps its place and takes the last value, as in Python
                top.key = null;
            } else {
                top.items.add(value);
            }
            top.comma = peek() == ',';
            if (top.comma) {
                pos++;
            } else if (peek() != top.close) {
                throw error("expected ',' or '" + top.close + "'");
            }
        }
    }

    private Object atom() {
        if (pos >= text.length()) {
            throw error("unexpected end");
        }
        char c = text.charAt(pos);
        if (c == '-' || c == '+' || isDigit(c)) {
            return integer();
        }
        if (isNameStart(c)) {
            int start = pos;
            while (pos < text.length() && isNamePart(text.charAt(pos))) {
                pos++;
            }
            String word = text.substring(start, pos);
            if (pos < text.length() && (text.charAt(pos) == '\'' || text.charAt(pos) == '"')
                    && (word.equalsIgnoreCase("r") || word.equalsIgnoreCase("u"))) {
                return strings(word.equalsIgnoreCase("r"));
            }
            return switch (word) {
                case "True" -> Boolean.TRUE;
                case "False" -> Boolean.FALSE;
                case "None" -> null;
                default -> throw error("unexpected name '" + abbreviate(word) + "'");
            };
        }
        if (c == '\'' || c == '"') {
            return strings(false);
        }
        throw error("unexpected character " + Messages.quoteChar(c));
    }

    /** Adjacent string literals join into one, as in Python: {@code 'a' 'b'} is {@code 'ab'}. */
    private String strings(boolean raw) {
        StringBuilder sb = new StringBuilder();
        string(sb, raw);
        while (true) {
            int save = pos;
            skipSpace();
            boolean nextRaw = false;
            if (pos + 1 < text.length() && (text.charAt(pos) == 'r' || text.charAt(pos) == 'R' || text.charAt(pos) == 'u'
                    || text.charAt(pos) == 'U') && (text.charAt(pos + 1) == '\'' || text.charAt(pos + 1) == '"')) {
                nextRaw = text.charAt(pos) == 'r' || text.charAt(pos) == 'R';
                pos++;
            }
            if (pos < text.length() && (text.charAt(pos) == '\'' || text.charAt(pos) == '"')) {
                string(sb, nextRaw);
            } else {
                pos = save;
                return sb.toString();
            }
        }
    }

    private void string(StringBuilder sb, boolean raw) {
        char quote = text.charAt(pos++);
        if (text.startsWith(String.valueOf(quote).repeat(2), pos)) {
            throw error("triple-quoted string");
        }
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == quote) {
                return;
            }
            if (c == '\n' || c == '\r') {
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
            if (raw) {
                sb.append('\\').append(e);
                continue;
            }
            switch (e) {
                case '\\', '\'', '"' -> sb.append(e);
                case '\n' -> { } // line continuation
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'a' -> sb.append('\u0007');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'v' -> sb.append('\u000b');
                case 'x' -> sb.append((char) hex(2));
                case 'u' -> sb.append((char) hex(4));
                case 'U' -> sb.appendCodePoint(codePoint(hex(8)));
                default -> {
                    if (e == 'N') {
                        throw error("unsupported escape '\\N'");
                    }
                    if (e >= '0' && e <= '7') {
                        int v = e - '0';
                        for (int i = 0; i < 2 && pos < text.length() && text.charAt(pos) >= '0' && text.charAt(pos) <= '7'; i++) {
                            v = 8 * v + text.charAt(pos++) - '0';
                        }
                        sb.append((char) v);
                    } else {
                        sb.append('\\').append(e); // Python keeps unknown escapes as they are
                    }
                }
            }
        }
    }

    private int codePoint(int v) {
        if (v < 0 || v > Character.MAX_CODE_POINT) {
            throw error("bad escape");
        }
        return v;
    }

    private int hex(int digits) {
        if (pos + digits > text.length()) {
            throw error("short escape");
        }
        long v = 0;
        for (int i = 0; i < digits; i++) {
            int d = digitValue(text.charAt(pos + i), 16);
            if (d < 0) {
                throw error("bad escape");
            }
            v = 16 * v + d;
        }
        pos += digits;
        return (int) Math.min(v, Integer.MAX_VALUE);
    }

    /** An int literal as Python reads it, with one optional sign; the digits must be ASCII. */
    private Long integer() {
        int start = pos;
        boolean negative = false;
        if (peek() == '-' || peek() == '+') {
            negative = peek() == '-';
            pos++;
            skipSpace();
        }
        int radix = 10;
        if (peek() == '0' && pos + 1 < text.length() && "xXoObB".indexOf(text.charAt(pos + 1)) >= 0) {
            char r = Character.toLowerCase(text.charAt(pos + 1));
            radix = r == 'x' ? 16 : r == 'o' ? 8 : 2;
            pos += 2;
            if (peek() == '_') {
                pos++; // 0x_1f is allowed
            }
        }
        StringBuilder digits = new StringBuilder();
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == '_' && digits.length() > 0 && pos + 1 < text.length() && digitValue(text.charAt(pos + 1), radix) >= 0) {
                pos++;
                continue;
            }
            if (digitValue(c, radix) < 0) {
                break;
            }
            digits.append(c);
            pos++;
        }
        if (digits.isEmpty()) {
            throw error("expected a digit");
        }
        if (radix == 10 && digits.length() > 1 && digits.charAt(0) == '0' && !digits.chars().allMatch(ch -> ch == '0')) {
            throw error("leading zeros in a decimal integer");
        }
        if (longSuffix && peek() == 'L') {
            pos++; // Python 2 long suffix
        }
        if (pos < text.length() && (isNamePart(text.charAt(pos)) || text.charAt(pos) == '.')) {
            throw error("unsupported number");
        }
        try {
            long v = Long.parseLong(digits.toString(), radix);
            return negative ? -v : v;
        } catch (NumberFormatException e) {
            throw error("integer " + abbreviate(text.substring(start, pos)) + " out of range");
        }
    }

    private static int digitValue(char c, int radix) {
        return c < 0x80 ? Character.digit(c, radix) : -1;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean isNameStart(char c) {
        return c == '_' || Character.isLetter(c);
    }

    private static boolean isNamePart(char c) {
        return c == '_' || Character.isLetterOrDigit(c);
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

    /** Python's whitespace between tokens, comments, and backslash line continuations. */
    private void skipSpace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c == ' ' || c == '\t' || c == '\f' || c == '\n' || c == '\r') {
                pos++;
            } else if (c == '#') {
                while (pos < text.length() && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') {
                    pos++;
                }
            } else if (c == '\\' && pos + 1 < text.length() && text.charAt(pos + 1) == '\n') {
                pos += 2;
            } else {
                return;
            }
        }
    }

    private static String abbreviate(String s) {
        return Messages.abbreviate(s, 40);
    }

    private IllegalArgumentException error(String what) {
        return new IllegalArgumentException(what + " at character " + pos);
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
}
