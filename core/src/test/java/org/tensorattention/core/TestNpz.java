package org.tensorattention.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * A tiny reader of numpy .npz files for the golden tests of this module (the io module depends on core, so
 * core's tests cannot use it): little-endian float32/float64, C or Fortran order.
 */
public final class TestNpz {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([<>|]?[a-z]\\d+)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    private TestNpz() {
    }

    public static Map<String, Tensor> read(Path file) throws IOException {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                String name = e.getName().replaceFirst("\\.npy$", "");
                arrays.put(name, npy(readAll(zip)));
            }
        }
        return arrays;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    private static Tensor npy(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int major = bytes[6];
        int headerLen = major == 1 ? buf.getShort(8) & 0xffff : buf.getInt(8);
        int dataStart = (major == 1 ? 10 : 12) + headerLen;
        String header = new String(bytes, major == 1 ? 10 : 12, headerLen, StandardCharsets.ISO_8859_1);
        boolean fortran = header.contains("'fortran_order': True");
        Matcher dm = DESCR.matcher(header);
        Matcher sm = SHAPE.matcher(header);
        if (!dm.find() || !sm.find()) {
            throw new IllegalArgumentException("bad npy header " + header);
        }
        String[] parts = sm.group(1).split(",");
        int[] shape = java.util.Arrays.stream(parts).map(String::trim).filter(x -> !x.isEmpty())
                .mapToInt(Integer::parseInt).toArray();
        int size = (int) Tensor.sizeOf(shape);
        buf.position(dataStart);
        String descr = dm.group(1);
        if (descr.endsWith("f8")) {
            double[] data = new double[size];
            buf.asDoubleBuffer().get(data);
            return Tensor.of(fortran ? toC(data, shape) : data, shape);
        }
        if (descr.endsWith("f4")) {
            double[] data = new double[size];
            for (int x = 0; x < size; x++) {
                data[x] = buf.getFloat(dataStart + 4 * x);
            }
            return Tensor.of(fortran ? toC(data, shape) : data, shape).to(org.tensorattention.core.DType.FLOAT32);
        }
        throw new IllegalArgumentException("unsupported dtype " + descr);
    }

    /** Column-major (Fortran) data rearranged into row-major order. */
    private static double[] toC(double[] f, int[] shape) {
        double[] c = new double[f.length];
        int[] idx = new int[shape.length];
        for (int flat = 0; flat < c.length; flat++) {
            int fIndex = 0;
            for (int a = shape.length - 1; a >= 0; a--) {
                fIndex = fIndex * shape[a] + idx[a];
            }
            c[flat] = f[fIndex];
            for (int a = shape.length - 1; a >= 0; a--) {
                if (++idx[a] < shape[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
        return c;
    }
}
