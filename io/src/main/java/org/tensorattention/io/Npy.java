package org.tensorattention.io;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** Reads the array of a .npy file. */
    public static Tensor read(Path file) throws NpzException {
        String where = file.toString();
        long fileSize = InputFiles.size(file);
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), CHUNK)) {
            return read(in, fileSize, where);
        } catch (NpzException e) {
            throw e;
        } catch (IOException e) {
            throw new NpzException(where + ": cannot read: " + NpzException.reason(e), e);
        }
    }

    /**
     * Reads one array from a stream that holds exactly one .npy file; {@code name} stands for the source
     * in messages.
     */
    public static Tensor read(InputStream in, String name) throws NpzException {
        try {
            return read(in, -1, name);
        } catch (NpzException e) {
            throw e;
        } catch (IOException e) {
            throw new NpzException(name + ": cannot read: " + NpzException.reason(e), e);
        }
    }

    /**
     * Reads one array; {@code length}, when not negative, is the number of bytes the source holds, checked
     * against the header before any data is read.
     */
    static Tensor read(InputStream in, long length, String where) throws IOException {
        NpyHeader header = NpyHeader.read(in, where);
        long need = header.dataBytes();
        if (length >= 0 && length - header.headerBytes() != need) {
            throw disagreement(where, header, length - header.headerBytes());
        }
        Tensor tensor = readData(in, header, where);
        if (in.read() != -1) {
            throw new NpzException(where + ": data length disagrees with the header: " + header.describe()
                    + " needs " + need + " bytes, more follow");
        }
        return tensor;
    }

    private static NpzException disagreement(String where, NpyHeader header, long present) {
        String what = present < header.dataBytes() ? "truncated data" : "data length disagrees with the header";
        return new NpzException(where + ": " + what + ": " + header.describe() + " needs " + header.dataBytes()
                + " bytes, " + present + " present");
    }

    private static Tensor readData(InputStream in, NpyHeader header, String where) throws IOException {
        NpyDtype dtype = header.dtype();
        int count = (int) header.count();
        boolean single = dtype.target() == DType.FLOAT32;
        float[] floats = single ? new float[count] : null;
        double[] doubles = single ? null : new double[count];
        byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(1, header.dataBytes()))];
        int perChunk = buf.length / dtype.size();
        for (int done = 0; done < count; ) {
            int m = Math.min(perChunk, count - done);
            int len = m * dtype.size();
            int got = in.readNBytes(buf, 0, len);
            if (got < len) {
                throw disagreement(where, header, (long) done * dtype.size() + got);
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
        AtomicFiles.write(file, out -> write(out, tensor));
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
