package org.tensorattention.io;

import java.io.IOException;
import java.io.InputStream;
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
    /** A valid header for a float or integer array is short; refuse to buffer absurd ones. */
    private static final int MAX_HEADER_LENGTH = 1 << 20;
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

    /** dtype and shape as numpy would print them, e.g. {@code '<f8' (3, 4)}. */
    String describe() {
        return "'" + dtype.descr() + "' " + Tensor.shapeString(shape);
    }

    /** Reads and checks a header; {@code where} names the file (and array) in messages. */
    static NpyHeader read(InputStream in, String where) throws IOException {
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
            throw new NpzException(where + ": truncated header");
        }
        int major = prefix[6] & 0xff;
        int minor = prefix[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpzException(where + ": unsupported .npy format version " + major + "." + minor);
        }
        int lengthBytes = major == 1 ? 2 : 4;
        byte[] lb = in.readNBytes(lengthBytes);
        if (lb.length < lengthBytes) {
            throw new NpzException(where + ": truncated header");
        }
        long length = (lb[0] & 0xff) | (lb[1] & 0xff) << 8;
        if (lengthBytes == 4) {
            length |= (long) (lb[2] & 0xff) << 16 | (long) (lb[3] & 0xff) << 24;
        }
        if (length > MAX_HEADER_LENGTH) {
            throw new NpzException(where + ": header of " + length + " bytes is too large");
        }
        byte[] raw = in.readNBytes((int) length);
        if (raw.length < length) {
            throw new NpzException(where + ": truncated header (" + raw.length + " of " + length + " bytes)");
        }
        String text = new String(raw, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int headerBytes = MAGIC.length + 2 + lengthBytes + (int) length;
        try {
            return fromDict(major, PyLiteral.parse(text), headerBytes);
        } catch (NpyDtype.Unsupported e) {
            throw new NpzException(where + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new NpzException(where + ": bad header: " + e.getMessage());
        }
    }

    private static NpyHeader fromDict(int major, Object parsed, int headerBytes) {
        if (!(parsed instanceof Map<?, ?> dict)) {
            throw new IllegalArgumentException("not a dict");
        }
        if (!dict.keySet().equals(Set.of("descr", "fortran_order", "shape"))) {
            throw new IllegalArgumentException("keys " + dict.keySet() + ", expected descr, fortran_order, shape");
        }
        Object descr = dict.get("descr");
        if (descr instanceof List<?> || descr instanceof PyLiteral.Tuple) {
            throw new NpyDtype.Unsupported("structured dtype " + abbreviate(PyLiteral.repr(descr))
                    + " is unsupported; only float, integer and bool arrays can be read");
        }
        if (!(descr instanceof String d)) {
            throw new IllegalArgumentException("descr is not a string");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new IllegalArgumentException("fortran_order is not True or False");
        }
        return new NpyHeader(major, NpyDtype.parse(d), fortran, shape(dict.get("shape")), headerBytes);
    }

    private static int[] shape(Object value) {
        if (!(value instanceof PyLiteral.Tuple tuple)) {
            throw new IllegalArgumentException("shape is not a tuple");
        }
        int[] shape = new int[tuple.items().size()];
        long count = 1;
        for (int a = 0; a < shape.length; a++) {
            if (!(tuple.items().get(a) instanceof Long dim)) {
                throw new IllegalArgumentException("shape holds a non-integer");
            }
            if (dim < 0) {
                throw new IllegalArgumentException("negative dimension " + dim + " in shape");
            }
            if (dim > MAX_ELEMENTS) {
                throw new IllegalArgumentException("dimension " + dim + " is too large");
            }
            shape[a] = (int) (long) dim;
            count = Math.min(count * dim, MAX_ELEMENTS + 1); // both factors <= 2^31: no overflow
        }
        if (count > MAX_ELEMENTS) {
            throw new IllegalArgumentException("shape " + Tensor.shapeString(shape) + " holds more than "
                    + MAX_ELEMENTS + " values");
        }
        return shape;
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
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
