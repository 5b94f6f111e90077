package org.tensorattention.io;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import org.junit.jupiter.api.function.Executable;

/** .npy and .npz bytes built by hand, so that tests can say exactly what a hostile file holds. */
final class TestFiles {
    private TestFiles() {}

    /**
     * Asserts that {@code call} fails with an NpzException whose message is one printable line of at most 200
     * characters holding every one of {@code parts}; returns the message.
     */
    static String fails(Executable call, String... parts) {
        NpzException e = assertThrows(NpzException.class, call);
        String m = e.getMessage();
        assertTrue(m.length() <= 200, m.length() + " characters: " + m);
        assertTrue(m.chars().noneMatch(Character::isISOControl), "control character in: " + m);
        for (String part : parts) {
            assertTrue(m.contains(part), "'" + part + "' missing in: " + m);
        }
        return m;
    }

    /** The header dict numpy.save writes, without padding. */
    static String dict(String descr, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    }

    /** A format 1.0 .npy file with this dict, padded with spaces and a newline as numpy pads it. */
    static byte[] npy(String dict, int dataBytes) {
        int pad = 64 - (10 + dict.length() + 1) % 64;
        return npy(1, dict + " ".repeat(pad) + "\n", new byte[dataBytes]);
    }

    /** A .npy file with exactly this header text (nothing added) in format {@code major}.0. */
    static byte[] npy(int major, String header, byte[] data) {
        byte[] text = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        out.writeBytes(le(text.length, major == 1 ? 2 : 4));
        out.writeBytes(text);
        out.writeBytes(data);
        return out.toByteArray();
    }

    static byte[] le(long value, int bytes) {
        byte[] b = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            b[i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    static byte[] deflate(byte[] content) {
        Deflater deflater = new Deflater(Deflater.DEFAULT_COMPRESSION, true);
        deflater.setInput(content);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[1 << 16];
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return out.toByteArray();
    }

    static long crc(byte[] content) {
        CRC32 crc = new CRC32();
        crc.update(content);
        return crc.getValue();
    }

    /** Bytes allocated so far by this thread (HotSpot's count), to show that a read set little aside. */
    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    /**
     * A zip archive written field by field. Each entry's declared sizes may differ from its bytes, and may
     * go in zip64 extra fields, as a hostile archive's do.
     */
    static final class Zip {
        private record Entry(String name, int method, long crc, long size, long packed, byte[] data, boolean zip64) {}

        private final List<Entry> entries = new ArrayList<>();

        Zip stored(String name, byte[] content) {
            return raw(name, 0, crc(content), content.length, content.length, content, false);
        }

        Zip deflated(String name, byte[] content) {
            byte[] packed = deflate(content);
            return raw(name, 8, crc(content), content.length, packed.length, packed, false);
        }

        /** An entry with the given method (0 stored, 8 deflated), CRC, declared sizes and compressed bytes. */
        Zip raw(String name, int method, long crc, long size, long packed, byte[] data, boolean zip64) {
            entries.add(new Entry(name, method, crc, size, packed, data, zip64));
            return this;
        }

        byte[] bytes() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            long[] offsets = new long[entries.size()];
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                offsets[i] = out.size();
                byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                byte[] extra = e.zip64() ? concat(le(1, 2), le(16, 2), le(e.size(), 8), le(e.packed(), 8)) : new byte[0];
                out.writeBytes(concat(le(0x04034b50L, 4), le(e.zip64() ? 45 : 20, 2), le(0, 2), le(e.method(), 2),
                        le(0, 2), le(0x21, 2), le(e.crc(), 4), le(e.zip64() ? 0xffffffffL : e.packed(), 4),
                        le(e.zip64() ? 0xffffffffL : e.size(), 4), le(name.length, 2), le(extra.length, 2), name, extra));
                out.writeBytes(e.data());
            }
            long cdStart = out.size();
            for (int i = 0; i < entries.size(); i++) {
                Entry e = entries.get(i);
                byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                byte[] extra = e.zip64() ? concat(le(1, 2), le(16, 2), le(e.size(), 8), le(e.packed(), 8)) : new byte[0];
                out.writeBytes(concat(le(0x02014b50L, 4), le(e.zip64() ? 45 : 20, 2), le(e.zip64() ? 45 : 20, 2), le(0, 2),
                        le(e.method(), 2), le(0, 2), le(0x21, 2), le(e.crc(), 4),
                        le(e.zip64() ? 0xffffffffL : e.packed(), 4), le(e.zip64() ? 0xffffffffL : e.size(), 4),
                        le(name.length, 2), le(extra.length, 2), le(0, 2), le(0, 2), le(0, 2), le(0, 4),
                        le(offsets[i], 4), name, extra));
            }
            long cdSize = out.size() - cdStart;
            out.writeBytes(concat(le(0x06054b50L, 4), le(0, 2), le(0, 2), le(entries.size(), 2), le(entries.size(), 2),
                    le(cdSize, 4), le(cdStart, 4), le(0, 2)));
            return out.toByteArray();
        }
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** Little-endian bytes of doubles, as '<f8' data. */
    static byte[] doubles(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }
}
