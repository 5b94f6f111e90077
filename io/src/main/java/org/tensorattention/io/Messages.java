package org.tensorattention.io;

/**
 * Makes error messages safe to print: one line, at most {@link #MAX_LENGTH} characters, and no control
 * characters. Messages quote file contents (header text, entry names), which a hostile file could fill with
 * terminal escape codes or megabytes of text.
 */
final class Messages {
    /** Longest message, in characters. */
    static final int MAX_LENGTH = 200;
    private static final String ELLIPSIS = "...";

    private Messages() {}

    /** One line, control characters escaped, long text cut in the middle so that both ends stay readable. */
    static String clean(String message) {
        String line = escape(message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip());
        if (line.length() <= MAX_LENGTH) {
            return line;
        }
        // The start names the file and the end names the problem: keep both.
        int head = (MAX_LENGTH - ELLIPSIS.length()) / 2;
        int tail = MAX_LENGTH - ELLIPSIS.length() - head;
        return line.substring(0, head) + ELLIPSIS + line.substring(line.length() - tail);
    }

    /** Text from a file, escaped and cut to at most {@code max} characters. */
    static String abbreviate(String text, int max) {
        String s = escape(text);
        return s.length() <= max ? s : s.substring(0, max - ELLIPSIS.length()) + ELLIPSIS;
    }

    /** A character from a file, quoted for a message. */
    static String quoteChar(char c) {
        return "'" + escape(String.valueOf(c)) + "'";
    }

    /**
     * Escapes C0 and C1 controls, DEL, line and paragraph separators, bidirectional overrides and lone
     * surrogates, which would move the cursor, recolour the terminal or reorder what a reader sees.
     */
    static String escape(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1));
            if (pair) {
                if (sb != null) {
                    sb.append(c).append(s.charAt(i + 1));
                }
                i++;
                continue;
            }
            if (!unsafe(c)) {
                if (sb != null) {
                    sb.append(c);
                }
                continue;
            }
            if (sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            sb.append(c < 0x100 ? String.format("\\x%02x", (int) c) : String.format("\\u%04x", (int) c));
        }
        return sb == null ? s : sb.toString();
    }

    private static boolean unsafe(char c) {
        return Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || (c >= '\u202a' && c <= '\u202e')
                || (c >= '\u2066' && c <= '\u2069') || c == '\u200e' || c == '\u200f' || Character.isSurrogate(c);
    }
}
