package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.DType;
import org.tensorattention.core.Tensor;
import org.tensorattention.io.Npz;

/** What an input may hold: stdin, extra arrays, dtypes. */
class InputRulesTest {
    @TempDir
    Path tmp;

    private record Run(int status, byte[] out, String err) {
    }

    private static Run run(byte[] stdin, String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(stdin), new PrintStream(out, true),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
    }

    private Path write(Map<String, Tensor> arrays) throws Exception {
        Path in = tmp.resolve("in.npz");
        Npz.write(in, arrays);
        return in;
    }

    private Map<String, Tensor> readBytes(byte[] npz) throws Exception {
        Path p = tmp.resolve("read.npz");
        Files.write(p, npz);
        return Npz.read(p);
    }

    @Test
    void stdinToStdout() throws Exception {
        byte[] in = Files.readAllBytes(write(OutputsTest.order3()));
        Run r = run(in, "forward", "--input", "-", "--output", "-");
        assertEquals(0, r.status(), r.err());
        Tensor o = readBytes(r.out()).get("o");
        Run fromFile = run(new byte[0], "forward", "--input", tmp.resolve("in.npz").toString(), "--output", "-");
        assertEquals(readBytes(fromFile.out()).get("o").describe(), o.describe());
        assertEquals(readBytes(fromFile.out()).get("o").get(7), o.get(7));

        Run garbage = run("not an npz".getBytes(StandardCharsets.UTF_8), "forward", "--input", "-", "--output", "-");
        assertEquals(2, garbage.status());
        assertTrue(garbage.err().contains("stdin") && !garbage.err().contains(".tmp"), garbage.err());
        assertEquals(0, garbage.out().length);
    }

    @Test
    void anArrayTheCommandDoesNotUseIsAnErrorUnlessAllowed() throws Exception {
        Map<String, Tensor> a = new java.util.LinkedHashMap<>(OutputsTest.order3());
        a.put("mask", Tensor.of(new double[25], 5, 5));
        a.put("v3x", Tensor.of(new double[3], 3));
        Path in = write(a);
        Path out = tmp.resolve("o.npz");
        Run r = run(new byte[0], "forward", "--input", in.toString(), "--output", out.toString());
        assertEquals(2, r.status());
        assertEquals("tensor-attention forward: " + in + " has arrays 'mask', 'v3x' that forward does not use"
                + " (--allow-extra ignores them)", r.err().strip());
        assertFalse(Files.exists(out));

        r = run(new byte[0], "forward", "--input", in.toString(), "--output", out.toString(), "--allow-extra");
        assertEquals(0, r.status(), r.err());
        assertEquals("tensor-attention forward: ignoring arrays 'mask', 'v3x' of " + in, r.err().strip());
        assertTrue(Files.exists(out));
    }

    /** An .npz with one array written by hand in a dtype the library does not write (e.g. '<f2'). */
    private Path withRawArray(String name, String descr, int itemSize) throws Exception {
        Path in = write(OutputsTest.order3());
        Map<String, Tensor> arrays = Npz.read(in);
        Path file = tmp.resolve("raw.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                if (e.getKey().equals(name)) {
                    String header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (5, 4), }";
                    int pad = 64 - (10 + header.length() + 1) % 64;
                    header = header + " ".repeat(pad == 64 ? 0 : pad) + "\n";
                    ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 20 * itemSize).order(ByteOrder.LITTLE_ENDIAN);
                    b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
                    b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
                    zip.write(b.array());
                } else {
                    org.tensorattention.io.Npy.write(zip, e.getValue());
                }
                zip.closeEntry();
            }
        }
        return file;
    }

    @Test
    void float16IntegerAndBoolInputsAreRefusedSayingWhatIsAccepted() throws Exception {
        String[][] cases = {{"<f2", "2", "float16"}, {"<i8", "8", "int64"}, {"|b1", "1", "bool"}};
        for (String[] c : cases) {
            Path in = withRawArray("k1", c[0], Integer.parseInt(c[1]));
            Run r = run(new byte[0], "forward", "--input", in.toString(), "--output", tmp.resolve("o.npz").toString());
            assertEquals(2, r.status(), r.err());
            assertEquals("tensor-attention forward: " + in + ": array 'k1' is " + c[2] + "; forward takes float32 or float64"
                    + " arrays (convert with numpy: a.astype(np.float32))", r.err().strip());
        }
    }

    @Test
    void mixedDtypesAreConvertedToTheDtypeOfQWithANotice() throws Exception {
        Map<String, Tensor> a = new java.util.LinkedHashMap<>(OutputsTest.order3());
        a.put("q", a.get("q").to(DType.FLOAT32));
        Path in = write(a);
        Run r = run(new byte[0], "forward", "--input", in.toString(), "--output", "-");
        assertEquals(0, r.status(), r.err());
        assertEquals("tensor-attention forward: k1, v1, k2, v2 converted from float64 to float32, the dtype of q",
                r.err().strip());
        assertEquals(DType.FLOAT32, readBytes(r.out()).get("o").dtype());
    }
}
