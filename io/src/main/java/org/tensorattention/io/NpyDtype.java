package org.tensorattention.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import org.tensorattention.core.DType;

/**
 * A simple numpy dtype descriptor such as {@code '<f8'}: byte order, kind and item size.
 *
 * <p>Floats read as themselves (float16 widens to float32); signed, unsigned and bool arrays read as
 * float64, so that integer tokens and labels can travel in the same files. Integers beyond 2^53 round to
 * the nearest double.
 */
record NpyDtype(String descr, ByteOrder order, char kind, int size) {

    /** A well-formed header that names a dtype this reader does not take. */
    static final class Unsupported extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message);
        }
    }

    /** numpy's one-letter type codes for the types this reader takes, as kind and item size (Linux sizes). */
    private static final Map<Character, String> CODES = Map.ofEntries(Map.entry('?', "b1"), Map.entry('b', "i1"),
            Map.entry('B', "u1"), Map.entry('h', "i2"), Map.entry('H', "u2"), Map.entry('i', "i4"),
            Map.entry('I', "u4"), Map.entry('l', "i8"), Map.entry('L', "u8"), Map.entry('q', "i8"),
            Map.entry('Q', "u8"), Map.entry('p', "i8"), Map.entry('P', "u8"), Map.entry('e', "f2"),
            Map.entry('f', "f4"), Map.entry('d', "f8"));
    /** numpy's type names, which it accepts without a byte-order mark. */
    private static final Map<String, String> NAMES = Map.ofEntries(Map.entry("bool", "b1"), Map.entry("int8", "i1"),
            Map.entry("int16", "i2"), Map.entry("int32", "i4"), Map.entry("int64", "i8"), Map.entry("uint8", "u1"),
            Map.entry("uint16", "u2"), Map.entry("uint32", "u4"), Map.entry("uint64", "u8"),
            Map.entry("float16", "f2"), Map.entry("float32", "f4"), Map.entry("float64", "f8"),
            Map.entry("half", "f2"), Map.entry("single", "f4"), Map.entry("double", "f8"));
    /** Longest item-size digit string worth reading: numpy has no type of 1000 bytes or more. */
    private static final int MAX_SIZE_DIGITS = 3;

    /**
     * Parses a descriptor as numpy.dtype reads the simple ones: an optional byte-order mark ({@code < > = |},
     * {@code |} and {@code =} meaning native), then a kind letter and its item size in ASCII digits
     * ({@code f8}), a one-letter code ({@code d}) or, without a mark, a name ({@code float64}). Unsupported
     * or malformed ones fail with a message naming them.
     */
    static NpyDtype parse(String descr) {
        String body = descr;
        ByteOrder order = ByteOrder.nativeOrder();
        if (!body.isEmpty() && "<>=|".indexOf(body.charAt(0)) >= 0) {
            order = body.charAt(0) == '<' ? ByteOrder.LITTLE_ENDIAN
                    : body.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.nativeOrder();
            body = body.substring(1);
        } else if (NAMES.containsKey(body)) {
            body = NAMES.get(body);
        }
        if (body.length() == 1 && CODES.containsKey(body.charAt(0))) {
            body = CODES.get(body.charAt(0));
        }
        if (body.length() < 2 || body.length() > 1 + MAX_SIZE_DIGITS || !body.substring(1).chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw unsupported(descr);
        }
        char kind = body.charAt(0);
        int size = Integer.parseInt(body.substring(1));
        if (!supported(kind, size)) {
            throw unsupported(descr);
        }
        return new NpyDtype(descr, order, kind, size);
    }

    private static boolean supported(char kind, int size) {
        return switch (kind) {
            case 'f' -> size == 2 || size == 4 || size == 8;
            case 'i', 'u' -> size == 1 || size == 2 || size == 4 || size == 8;
            case 'b' -> size == 1;
            default -> false;
        };
    }

    private static Unsupported unsupported(String descr) {
        return new Unsupported("unsupported dtype '" + Messages.abbreviate(descr, 40) + "'" + kindName(descr)
                + "; only float, integer and bool arrays can be read");
    }

    /** numpy's word for the kinds people meet most, to make the message plain. */
    private static String kindName(String descr) {
        String body = descr.length() > 1 && "<>=|".indexOf(descr.charAt(0)) >= 0 ? descr.substring(1) : descr;
        if (body.isEmpty()) {
            return "";
        }
        String digits = body.substring(1);
        // Only item sizes numpy has get a bit count: a long digit string must not overflow into nonsense.
        int bytes = digits.matches("[0-9]{1,2}") ? Integer.parseInt(digits) : 0;
        String bits = bytes > 0 ? Integer.toString(8 * bytes) : "";
        String name = switch (body.charAt(0)) {
            case 'c' -> "complex" + (bytes == 8 || bytes == 16 || bytes == 32 ? bits : "");
            case 'f' -> "float" + (bytes == 2 || bytes == 4 || bytes == 8 || bytes == 16 ? bits : "");
            case 'O' -> "object";
            case 'U' -> "unicode string";
            case 'S', 'a' -> "byte string";
            case 'V' -> "void";
            case 'M' -> "datetime64";
            case 'm' -> "timedelta64";
            default -> "";
        };
        return name.isEmpty() ? "" : " (" + name + ")";
    }

    /** The tensor type this dtype reads into. */
    DType target() {
        return kind == 'f' && size <= 4 ? DType.FLOAT32 : DType.FLOAT64;
    }

    /**
     * Decodes {@code count} items from {@code buf} (little or big endian as this dtype says) into
     * {@code floats} or {@code doubles} (the one {@link #target()} names) from index {@code at}.
     */
    void decode(ByteBuffer buf, int count, float[] floats, double[] doubles, int at) {
        buf.order(order);
        switch (kind) {
            case 'f' -> {
                switch (size) {
                    case 2 -> {
                        for (int i = 0; i < count; i++) {
                            floats[at + i] = Float.float16ToFloat(buf.getShort(2 * i));
                        }
                    }
                    case 4 -> buf.asFloatBuffer().get(floats, at, count);
                    default -> buf.asDoubleBuffer().get(doubles, at, count);
                }
            }
            case 'b' -> {
                for (int i = 0; i < count; i++) {
                    doubles[at + i] = buf.get(i) != 0 ? 1 : 0;
                }
            }
            case 'i' -> decodeSigned(buf, count, doubles, at);
            default -> decodeUnsigned(buf, count, doubles, at);
        }
    }

    private void decodeSigned(ByteBuffer buf, int count, double[] out, int at) {
        for (int i = 0; i < count; i++) {
            out[at + i] = switch (size) {
                case 1 -> buf.get(i);
                case 2 -> buf.getShort(2 * i);
                case 4 -> buf.getInt(4 * i);
                default -> buf.getLong(8 * i);
            };
        }
    }

    private void decodeUnsigned(ByteBuffer buf, int count, double[] out, int at) {
        for (int i = 0; i < count; i++) {
            out[at + i] = switch (size) {
                case 1 -> buf.get(i) & 0xff;
                case 2 -> buf.getShort(2 * i) & 0xffff;
                case 4 -> buf.getInt(4 * i) & 0xffffffffL;
                default -> unsignedToDouble(buf.getLong(8 * i));
            };
        }
    }

    /** A uint64 bit pattern to the nearest double. */
    static double unsignedToDouble(long bits) {
        if (bits >= 0) {
            return bits;
        }
        // Halve (keeping the low bit so rounding stays correct), convert, double.
        return ((double) ((bits >>> 1) | (bits & 1))) * 2.0;
    }
}
