package org.tensorattention.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;

/**
 * One numpy array in a .npy file.
 *
 * <p>Reads format versions 1.0, 2.0 and 3.0; float16/32/64 in either byte order (float16 widens to
 * float32); signed, unsigned and bool arrays converted to float64; C or Fortran order (Fortran data is
 * transposed into the C order of {@link Tensor}); any rank, 0-d included. Writes float32 and float64 as
 * little-endian C-order files byte for byte as numpy.save does.
 */
public final class Npy {
    /** Bytes decoded or encoded per step: a multiple of every item size. */
    private static final int CHUNK = 1 << 16;

    private Npy() {}

    /**
     * Reads the array of a .npy file, within the default memory budget (half of the heap the JVM may
     * grow to): a header that asks for more fails with a message naming the size.
     */
    public static Tensor read(Path file) throws NpzException {
        return read(file, ReadBudget.defaultBytes());
    }

    /** Reads the array of a .npy file; a header that asks for more than {@code maxBytes} of memory fails. */
    public static Tensor read(Path file, long maxBytes) throws NpzException {
        String where = file.toString();
        ReadBudget budget = new ReadBudget(maxBytes);
        long fileSize = InputFiles.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK)) {
            return read(in, new Source(where, "file", fileSize, true, budget));
        } catch (NpzException e) {
            throw e;
        } catch (IOException e) {
            throw new NpzException(where + ": cannot read: " + NpzException.reason(e), e);
        }
    }

    /**
     * Reads one array from a stream that holds exactly one .npy file; {@code name} stands for the source
     * in messages. Memory grows with the data that arrives, never to more than the default budget.
     */
    public static Tensor read(InputStream in, String name) throws NpzException {
        return read(in, name, ReadBudget.defaultBytes());
    }

    /** As {@link #read(InputStream, String)}, within {@code maxBytes} of memory. */
    public static Tensor read(InputStream in, String name, long maxBytes) throws NpzException {
        try {
            return read(in, new Source(name, "stream", -1, false, new ReadBudget(maxBytes)));
        } catch (NpzException e) {
            throw e;
        } catch (IOException e) {
            throw new NpzException(name + ": cannot read: " + NpzException.reason(e), e);
        }
    }

    /**
     * Reads one array. The header is checked against the length the source declares and against the
     * memory budget before any memory is set aside for the data.
     */
    static Tensor read(InputStream in, Source source) throws IOException {
        NpyHeader header = NpyHeader.read(in, source);
        long total = header.headerBytes() + header.dataBytes();
        if (source.length() >= 0 && source.length() < total) {
            throw truncated(source, header, source.length());
        }
        if (source.length() > total) {
            throw new NpzException(source.where() + ": data length disagrees with the header: " + header.describe()
                    + " needs " + header.dataBytes() + " bytes, the " + source.noun() + " holds "
                    + (source.length() - header.headerBytes()) + " after the header");
        }
        source.budget().take(source.where(), header);
        Tensor tensor = readData(in, header, source);
        if (in.read() != -1) {
            throw new NpzException(source.where() + ": data length disagrees with the header: " + header.describe()
                    + " needs " + header.dataBytes() + " bytes, more follow");
        }
        return tensor;
    }

    private static NpzException truncated(Source source, NpyHeader header, long endsAt) {
        return new NpzException(source.where() + ": truncated: the " + source.noun() + " ends at byte " + endsAt + " of "
                + (header.headerBytes() + header.dataBytes()) + " (" + header.describe() + ")");
    }

    /** Values set aside at first when the data's length is only claimed: the rest grows as it arrives. */
    private static final int FIRST_CAPACITY = CHUNK;

    private static Tensor readData(InputStream in, NpyHeader header, Source source) throws IOException {
        NpyDtype dtype = header.dtype();
        int count = (int) header.count();
        boolean single = dtype.target() == DType.FLOAT32;
        // A claimed length may be a lie (a deflate stream that ends early): grow with what arrives, so that a
        // tiny file cannot make us set aside gigabytes.
        int capacity = source.exact() ? count : Math.min(count, FIRST_CAPACITY);
        float[] floats = single ? new float[capacity] : null;
        double[] doubles = single ? null : new double[capacity];
        byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(1, header.dataBytes()))];
        int perChunk = buf.length / dtype.size();
        for (int done = 0; done < count; ) {
            int m = Math.min(perChunk, count - done);
            int len = m * dtype.size();
            int got = in.readNBytes(buf, 0, len);
            if (got < len) {
                throw truncated(source, header, header.headerBytes() + (long) done * dtype.size() + got);
            }
            if (done + m > capacity) {
                capacity = (int) Math.min(count, Math.max(2L * capacity, done + m));
                floats = single ? Arrays.copyOf(floats, capacity) : null;
                doubles = single ? null : Arrays.copyOf(doubles, capacity);
            }
            dtype.decode(ByteBuffer.wrap(buf, 0, len), m, floats, doubles, done);
            done += m;
        }
        int[] shape = header.shape();
        if (header.fortranOrder() && shape.length > 1) {
            int[] from = fortranOffsets(shape, count);
            return single ? Tensor.of(gather(floats, from), shape) : Tensor.of(gather(doubles, from), shape);
        }
        return single ? Tensor.of(floats, shape) : Tensor.of(doubles, shape);
    }

    /**
     * For each C-order position, the offset of the same element in Fortran (column-major) order, where the
     * first axis varies fastest.
     */
    static int[] fortranOffsets(int[] shape, int count) {
        int rank = shape.length;
        int[] stride = new int[rank];
        for (int a = 0; a < rank; a++) {
            stride[a] = a == 0 ? 1 : stride[a - 1] * shape[a - 1];
        }
        int[] from = new int[count];
        int[] index = new int[rank];
        int offset = 0;
        for (int i = 0; i < count; i++) {
            from[i] = offset;
            // Advance the C-order multi-index: last axis fastest, carrying into earlier axes.
            for (int a = rank - 1; a >= 0; a--) {
                index[a]++;
                offset += stride[a];
                if (index[a] < shape[a]) {
                    break;
                }
                offset -= stride[a] * shape[a];
                index[a] = 0;
            }
        }
        return from;
    }

    private static float[] gather(float[] src, int[] from) {
        float[] out = new float[src.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = src[from[i]];
        }
        return out;
    }

    private static double[] gather(double[] src, int[] from) {
        double[] out = new double[src.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = src[from[i]];
        }
        return out;
    }

    /** Writes a .npy file atomically: it appears complete or not at all. */
    public static void write(Path file, Tensor tensor) throws NpzException {
        requireTensor(tensor, file.toString());
        OutputTarget.of(file).write(out -> write(out, tensor));
    }

    /** Writes the bytes of a .npy file (header and data) to a stream. */
    public static void write(OutputStream out, Tensor tensor) throws IOException {
        requireTensor(tensor, "stream");
        out.write(NpyHeader.encode(tensor.dtype(), tensor.shape()));
        byte[] buf = new byte[CHUNK];
        ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
        int size = tensor.dtype().bytes();
        int count = tensor.size();
        for (int done = 0; done < count; ) {
            int m = Math.min(CHUNK / size, count - done);
            if (tensor.dtype() == DType.FLOAT32) {
                bytes.asFloatBuffer().put(tensor.floats(), done, m);
            } else {
                bytes.asDoubleBuffer().put(tensor.doubles(), done, m);
            }
            out.write(buf, 0, m * size);
            done += m;
        }
    }

    /** Length in bytes of the .npy file that {@link #write(OutputStream, Tensor)} produces. */
    static long fileLength(Tensor tensor) {
        return NpyHeader.encode(tensor.dtype(), tensor.shape()).length + (long) tensor.size() * tensor.dtype().bytes();
    }

    private static void requireTensor(Tensor tensor, String where) {
        if (tensor == null) {
            throw new IllegalArgumentException(where + ": no tensor to write (null)");
        }
    }
}
