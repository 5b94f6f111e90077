package org.tensorattention.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.Npy;
import org.tensorattention.io.Npz;

/** --band, --layout, --scale sqrt, cu_seqlens and the lse output, through the command line. */
class FeatureFlagsTest {
    @TempDir
    Path tmp;

    private record Run(int status, String err) {
    }

    private static Run run(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(argv, new ByteArrayInputStream(new byte[0]), new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, err.toString(StandardCharsets.UTF_8));
    }

    /** OutputsTest's order-3 arrays (5 rows) plus int32 offsets written as numpy writes them. */
    private Path withOffsets(String name, int... cu) throws Exception {
        return withOffsets(OutputsTest.order3(), name, cu);
    }

    private Path withOffsets(Map<String, Tensor> arrays, String name, int... cu) throws Exception {
        Path file = tmp.resolve("packed.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                Npy.write(zip, e.getValue());
                zip.closeEntry();
            }
            zip.putNextEntry(new ZipEntry(name + ".npy"));
            String header = "{'descr': '<i4', 'fortran_order': False, 'shape': (" + cu.length + ",), }";
            int pad = 64 - (10 + header.length() + 1) % 64;
            header = header + " ".repeat(pad == 64 ? 0 : pad) + "\n";
            ByteBuffer b = ByteBuffer.allocate(10 + header.length() + 4 * cu.length).order(ByteOrder.LITTLE_ENDIAN);
            b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
            b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII));
            for (int x : cu) {
                b.putInt(x);
            }
            zip.write(b.array());
            zip.closeEntry();
        }
        return file;
    }

    private void refused(Path in, String expected, String... flags) {
        refused("forward", in, expected, flags);
    }

    private void refused(String command, Path in, String expected, String... flags) {
        Path out = tmp.resolve("o.npz");
        List<String> argv = new java.util.ArrayList<>(List.of(command, "--input", in.toString(), "--output",
                out.toString()));
        argv.addAll(List.of(flags));
        Run r = run(argv.toArray(String[]::new));
        assertEquals(2, r.status(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertEquals("tensor-attention " + command + ": " + expected, r.err().strip());
        assertFalse(Files.exists(out));
    }

    /** A packed backward checks dout against the output's shape before any sequence runs. */
    @Test
    void packedBackwardRefusesADoutOfAnotherShape() throws Exception {
        Map<String, Tensor> a = new LinkedHashMap<>(OutputsTest.order3());
        a.put("dout", Tensor.of(new double[4 * 4], 4, 4));
        refused("backward", withOffsets(a, "cu_seqlens", 0, 2, 5),
                "dout has shape (4, 4) but the output has shape (5, 4)");
        a.put("dout", Tensor.of(new double[5 * 3], 5, 3));
        refused("backward", withOffsets(a, "cu_seqlens", 0, 2, 5), "dout has shape (5, 3) but the output has shape (5, 4)",
                "--causal");
    }

    @Test
    void badOffsetsAreOneLineExitTwoAndNoOutput() throws Exception {
        refused(withOffsets("cu_seqlens", 0, 3, 2, 5), "cu_seqlens decreases at index 2 (3 then 2): offsets must not decrease");
        refused(withOffsets("cu_seqlens", 1, 5), "cu_seqlens starts at 1, not 0");
        refused(withOffsets("cu_seqlens", 0, 2, 4), "cu_seqlens ends at 4 but q has 5 rows");
        refused(withOffsets("cu_seqlens_q", 0, 5), withOffsetsName() + " has cu_seqlens_q without cu_seqlens_k");
        refused(withOffsets("cu_seqlens", 0, -5), "cu_seqlens decreases at index 1 (0 then -5): offsets must not decrease");
        refused(withOffsets("cu_seqlens", 0), "cu_seqlens ends at 0 but q has 5 rows");
    }

    private String withOffsetsName() {
        return tmp.resolve("packed.npz").toString();
    }

    @Test
    void aPackedBatchOfEmptySequencesGivesEmptyResults() throws Exception {
        Map<String, Tensor> a = new LinkedHashMap<>();
        for (String name : new String[] {"q", "k1", "k2", "v1", "v2", "dout"}) {
            a.put(name, Tensor.of(new double[0], 0, name.startsWith("v") || name.equals("dout") ? 3 : 4));
        }
        Path in = withOffsets(a, "cu_seqlens", 0, 0, 0);
        for (String command : new String[] {"forward", "backward"}) {
            Path out = tmp.resolve(command + ".npz");
            Run r = run(command, "--input", in.toString(), "--output", out.toString(), "--causal", "--allow-extra");
            assertEquals(0, r.status(), r.err());
            Map<String, Tensor> got = Npz.read(out);
            assertArrayEquals(new int[] {0, 3}, got.get("o").shape());
            if (command.equals("forward")) {
                assertArrayEquals(new int[] {0}, got.get("lse").shape());
            } else {
                assertArrayEquals(new int[] {0, 4}, got.get("dq").shape());
                assertArrayEquals(new int[] {0, 3}, got.get("dv2").shape());
            }
        }
    }

    @Test
    void badFlagsAreOneLineExitTwoAndNoOutput() throws Exception {
        Path in = tmp.resolve("in.npz");
        Npz.write(in, OutputsTest.order3());
        refused(in, "--band must be at least 1, got 0", "--band", "0");
        refused(in, "--layout expects bhsd or bshd, got 'bsdh'", "--layout", "bsdh");
        refused(in, "--scale expects a finite number or sqrt, got 'root'", "--scale", "root");
        refused(in, "--scale expects a finite number or sqrt, got 'NaN'", "--scale", "NaN");
        refused(in, "--band: '2147483648' is not a whole number from -2147483648 to 2147483647", "--band",
                "2147483648");
    }

    @Test
    void packedForwardWritesOAndLseAsTheSequencesAlone() throws Exception {
        Path in = withOffsets("cu_seqlens", 0, 2, 2, 5);
        Path out = tmp.resolve("o.npz");
        Run r = run("forward", "--input", in.toString(), "--output", out.toString(), "--causal", "--band", "2",
                "--scale", "sqrt");
        assertEquals(0, r.status(), r.err());
        Map<String, Tensor> got = Npz.read(out);
        assertEquals("float64", got.get("lse").dtype().numpyName());
        Map<String, Tensor> a = OutputsTest.order3();
        AttentionOptions o = AttentionOptions.defaults().causal().withBand(2).withSqrtScale();
        int[][] seqs = {{0, 2}, {2, 5}};
        for (int[] s : seqs) {
            Map<String, Tensor> part = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : a.entrySet()) {
                double[] x = java.util.Arrays.copyOfRange(e.getValue().doubles(), s[0] * 4, s[1] * 4);
                part.put(e.getKey(), Tensor.of(x, s[1] - s[0], 4));
            }
            var ref = TensorAttention.forward(part.get("q"), List.of(part.get("k1"), part.get("k2")),
                    List.of(part.get("v1"), part.get("v2")), o);
            for (int x = 0; x < ref.output().size(); x++) {
                assertEquals(ref.output().get(x), got.get("o").get(s[0] * 4 + x), 1e-14);
            }
            for (int i = 0; i < s[1] - s[0]; i++) {
                assertEquals(ref.logSumExp().get(i), got.get("lse").get(s[0] + i), 1e-14);
            }
        }
        assertTrue(r.err().isEmpty(), r.err());
    }
}
