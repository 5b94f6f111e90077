package org.tensorattention.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * The header of a .npy file: magic, format version, and the dict that gives dtype, memory order and
 * shape. Format versions 1.0 (2-byte length, latin-1), 2.0 (4-byte length, latin-1) and 3.0 (4-byte
 * length, utf-8) are read; writing picks 1.0, or 2.0 when the header outgrows a 2-byte length.
 *
 * @param headerBytes bytes from the start of the file to the first data byte
 */
record NpyHeader(int major, NpyDtype dtype, boolean fortranOrder, int[] shape, int headerBytes) {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the data to this many bytes. */
    private static final int ALIGN = 64;
    /** numpy leaves room to grow the first (C order) axis in place up to this many digits. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** numpy refuses longer headers unless told to trust the file (numpy.lib.format's max_header_size). */
    static final int MAX_HEADER_CHARS = 10_000;
    /** Most dimensions numpy 2 arrays take (NPY_MAXDIMS). */
    static final int MAX_RANK = 64;
    /** Largest Java array. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    /** Number of items the shape holds. */
    long count() {
        return Tensor.sizeOf(shape);
    }

    /** Number of data bytes that follow the header. */
    long dataBytes() {
        return count() * dtype.size();
    }

    /** Bytes of memory that reading the array takes: its values, and for Fortran order the copy and index. */
    long memoryBytes() {
        long values = count() * (dtype.target() == DType.FLOAT32 ? 4 : 8);
        return fortranOrder && shape.length > 1 ? 2 * values + 4 * count() : values;
    }

    /** dtype and shape as numpy would print them, e.g. {@code '<f8' (3, 4)}. */
    String describe() {
        return "'" + Messages.abbreviate(dtype.descr(), 20) + "' " + shapeString(shape);
    }

    /** A shape for a message, cut short when it has many dimensions. */
    static String shapeString(int[] shape) {
        return Messages.abbreviate(Tensor.shapeString(shape), 80);
    }

    /**
     * Reads and checks a header. {@code source} names the file (and array) in messages and says how many
     * bytes it holds, when that is known.
     */
    static NpyHeader read(InputStream in, Source source) throws IOException {
        String where = source.where();
        byte[] prefix = in.readNBytes(MAGIC.length + 2);
        if (prefix.length == 0) {
            throw new NpzException(where + ": empty, not a .npy array");
        }
        if (prefix.length >= 4 && prefix[0] == 'P' && prefix[1] == 'K' && prefix[2] == 3 && prefix[3] == 4) {
            throw new NpzException(where + ": a zip (.npz) archive, not a .npy array");
        }
        if (prefix.length < MAGIC.length || !Arrays.equals(prefix, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
            throw new NpzException(where + ": bad magic, not a .npy array");
        }
        if (prefix.length < MAGIC.length + 2) {
            throw source.truncated("header", prefix.length, MAGIC.length + 2);
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpzException(where + ": unsupported .npy format version " + major + "." + minor);
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lb = in.readNBytes(lengthBytes);
        if (lb.length < lengthBytes) {
            throw source.truncated("header", prefix.length + lb.length, prefix.length + lengthBytes);
        }
        long length = (lb[0] & 0xff) | (lb[1] & 0xff) << 8;
        if (lengthBytes == 4) {
            length |= (long) (lb[2] & 0xff) << 16 | (long) (lb[3] & 0xff) << 24;
        }
        int prefixBytes = MAGIC.length + 2 + lengthBytes;
        // utf-8 (format 3.0) takes up to 4 bytes a character; numpy counts characters.
        long maxBytes = major == 3 ? 4L * MAX_HEADER_CHARS : MAX_HEADER_CHARS;
        if (length > maxBytes) {
            throw new NpzException(where + ": header of " + length + " bytes is longer than numpy reads ("
                    + MAX_HEADER_CHARS + " characters)");
        }
        if (source.length() >= 0 && prefixBytes + length > source.length()) {
            throw source.truncated("header", source.length(), prefixBytes + length);
        }
        byte[] raw = in.readNBytes((int) length);
        if (raw.length < length) {
            throw source.truncated("header", prefixBytes + raw.length, prefixBytes + length);
        }
        String text = decode(raw, major, where);
        if (text.length() > MAX_HEADER_CHARS) {
            throw new NpzException(where + ": header of " + text.length() + " characters is longer than numpy reads ("
                    + MAX_HEADER_CHARS + ")");
        }
        try {
            if (!text.endsWith("\n")) {
                throw new IllegalArgumentException("it does not end with a newline");
            }
            // numpy strips Python 2's 3L suffixes from format 1.0 and 2.0 headers only.
            return fromDict(major, PyLiteral.parse(text, major < 3), prefixBytes + (int) length);
        } catch (NpyDtype.Unsupported e) {
            throw new NpzException(where + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new NpzException(where + ": bad header: " + e.getMessage());
        }
    }

    private static String decode(byte[] raw, int major, String where) throws NpzException {
        if (major < 3) {
            return new String(raw, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw new NpzException(where + ": bad header: not valid utf-8");
        }
    }

    private static NpyHeader fromDict(int major, Object parsed, int headerBytes) {
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw new IllegalArgumentException("not a dict");
        }
        if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
            throw new IllegalArgumentException("keys " + Messages.abbreviate(dict.keySet().toString(), 60)
                    + ", expected descr, fortran_order, shape");
        }
        int[] shape = shape(dict.get("shape"));
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new IllegalArgumentException("fortran_order is not True or False");
        }
        Object descr = dict.get("descr");
        if (descr instanceof List<?> || descr instanceof PyLiteral.Tuple) {
            throw new NpyDtype.Unsupported("structured dtype " + Messages.abbreviate(PyLiteral.repr(descr), 60)
                    + " is unsupported; only float, integer and bool arrays can be read");
        }
        if (!(descr instanceof String d)) {
            throw new IllegalArgumentException("descr is not a string");
        }
        NpyDtype dtype = NpyDtype.parse(d);
        NpyHeader header = new NpyHeader(major, dtype, fortran, shape, headerBytes);
        if (header.count() > MAX_ELEMENTS) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " holds " + header.count()
                    + " values, more than a Java array takes (" + MAX_ELEMENTS + ")");
        }
        return header;
    }

    /** A tuple of non-negative ints, as numpy takes it: any dimension may be huge when another is 0. */
    private static int[] shape(Object value) {
        if (!(value instanceof PyLiteral.Tuple tuple)) {
            throw new IllegalArgumentException("shape is not a tuple");
        }
        List<Object> items = tuple.items();
        if (items.size() > MAX_RANK) {
            throw new IllegalArgumentException("shape has " + items.size() + " dimensions, more than " + MAX_RANK);
        }
        int[] shape = new int[items.size()];
        boolean empty = false;
        long count = 1;
        for (int a = 0; a < shape.length; a++) {
            if (!(items.get(a) instanceof Long dim)) {
                throw new IllegalArgumentException("shape holds a non-integer");
            }
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension " + dim + " in shape");
            }
            if (dim > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("dimension " + dim + " is larger than " + Integer.MAX_VALUE);
            }
            shape[a] = (int) (long) dim;
            empty |= dim == 0;
            if (!empty) {
                try {
                    count = Math.multiplyExact(count, dim);
                } catch (ArithmeticException e) {
                    count = Long.MAX_VALUE;
                }
            }
        }
        if (!empty && count == Long.MAX_VALUE) {
            throw new IllegalArgumentException("shape " + shapeString(shape) + " holds more than " + Long.MAX_VALUE + " values");
        }
        return shape;
    }

    /** The header numpy.save writes for a C-order array of this dtype and shape. */
    static byte[] encode(DType dtype, int[] shape) {
        StringBuilder dict = new StringBuilder()
                .append("{'descr': '").append(dtype == DType.FLOAT32 ? "<f4" : "<f8")
                .append("', 'fortran_order': False, 'shape': ").append(Tensor.shapeString(shape)).append(", }");
        if (shape.length > 0) {
            dict.repeat(' ', GROWTH_AXIS_MAX_DIGITS - Integer.toString(shape[0]).length());
        }
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int textLength = text.length + 1; // with the final newline
        // Version 1.0 unless its 2-byte length cannot hold the padded header, as numpy.save does.
        int lengthBytes = 2;
        int pad = ALIGN - (MAGIC.length + 2 + lengthBytes + textLength) % ALIGN;
        if (textLength + pad > 0xffff) {
            lengthBytes = 4;
            pad = ALIGN - (MAGIC.length + 2 + lengthBytes + textLength) % ALIGN;
        }
        int prefix = MAGIC.length + 2 + lengthBytes;
        int length = textLength + pad;
        byte[] out = new byte[prefix + length];
        System.arraycopy(MAGIC, 0, out, 0, MAGIC.length);
        out[6] = (byte) (lengthBytes == 2 ? 1 : 2);
        out[7] = 0;
        for (int b = 0; b < lengthBytes; b++) {
            out[8 + b] = (byte) (length >>> (8 * b));
        }
        System.arraycopy(text, 0, out, prefix, text.length);
        Arrays.fill(out, prefix + text.length, out.length - 1, (byte) ' ');
        out[out.length - 1] = '\n';
        return out;
    }
}
