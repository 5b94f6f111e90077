package org.tensorattention.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

    /** Parses a descriptor; unsupported ones fail with a message naming them. */
    static NpyDtype parse(String descr) {
        if (descr.length() < 3) {
            throw unsupported(descr);
        }
        char orderChar = descr.charAt(0);
        char kind = descr.charAt(1);
        int size;
        try {
            size = Integer.parseInt(descr.substring(2));
        } catch (NumberFormatException e) {
            throw unsupported(descr);
        }
        if (!supported(kind, size)) {
            throw unsupported(descr);
        }
        ByteOrder order = switch (orderChar) {
            case '<' -> ByteOrder.LITTLE_ENDIAN;
            case '>' -> ByteOrder.BIG_ENDIAN;
            case '=' -> ByteOrder.nativeOrder();
            case '|' -> {
                if (size != 1) {
                    throw new Unsupported("dtype '" + descr + "' gives no byte order for " + size + "-byte items");
                }
                yield ByteOrder.nativeOrder();
            }
            default -> throw unsupported(descr);
        };
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
        return new Unsupported("unsupported dtype '" + descr + "'" + kindName(descr)
                + "; only float, integer and bool arrays can be read");
    }

    /** numpy's word for the kinds people meet most, to make the message plain. */
    private static String kindName(String descr) {
        if (descr.length() < 2) {
            return "";
        }
        String bits = descr.substring(2).matches("\\d+") ? descr.substring(2) : "";
        String name = switch (descr.charAt(1)) {
            case 'c' -> bits.isEmpty() ? "complex" : "complex" + 8 * Integer.parseInt(bits);
            case 'f' -> "float" + (bits.isEmpty() ? "" : 8 * Integer.parseInt(bits));
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
