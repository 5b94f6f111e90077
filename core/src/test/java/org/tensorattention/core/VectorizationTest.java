package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** A JVM started without jdk.incubator.vector: the exact forward runs scalar, the rest names the flag. */
class VectorizationTest {

    static List<Tensor> problem(long seed) {
        Random rnd = new Random(seed);
        double[][] data = new double[5][6 * 4];
        for (double[] a : data) {
            for (int i = 0; i < a.length; i++) {
                a[i] = rnd.nextDouble() * 2 - 1;
            }
        }
        return List.of(Tensor.of(data[0], 6, 4), Tensor.of(data[1], 6, 4), Tensor.of(data[2], 6, 4),
                Tensor.of(data[3], 6, 4), Tensor.of(data[4], 6, 4));
    }

    static AttentionResult forward(List<Tensor> p, Method method) {
        return TensorAttention.forward(p.get(0), p.subList(1, 3), p.subList(3, 5),
                AttentionOptions.defaults().causal().withMethod(method));
    }

    /** Runs in the child JVM: prints the exact output and reason, then what poly, auto and backward say. */
    public static void main(String[] args) {
        List<Tensor> p = problem(1);
        AttentionResult r = forward(p, Method.EXACT);
        System.out.println(r.reason());
        StringBuilder out = new StringBuilder();
        for (double x : r.output().doubles()) {
            out.append(Double.toHexString(x)).append(' ');
        }
        System.out.println(out.toString().trim());
        System.out.println(forward(p, Method.AUTO).reason());
        try {
            forward(p, Method.POLY);
            System.out.println("poly ran");
        } catch (UnsupportedOperationException e) {
            System.out.println(e.getMessage());
        }
        try {
            TensorAttention.backward(p.get(0), p.subList(1, 3), p.subList(3, 5), r.output(), r,
                    AttentionOptions.defaults());
            System.out.println("backward ran");
        } catch (UnsupportedOperationException e) {
            System.out.println(e.getMessage());
        }
    }

    @Test
    void withoutTheModuleTheExactForwardRunsScalarAndTheRestNamesTheFlag() throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                VectorizationTest.class.getName()).redirectErrorStream(true).start();
        String text = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, child.waitFor(), text);
        String[] lines = text.strip().split("\n");
        assertEquals(5, lines.length, text);
        assertEquals("exact requested (scalar kernel: no --add-modules jdk.incubator.vector)", lines[0]);
        String[] hex = lines[1].split(" ");
        double[] vector = forward(problem(1), Method.EXACT).output().doubles();
        assertEquals(vector.length, hex.length);
        for (int i = 0; i < hex.length; i++) {
            // Two kernels, two summation orders over at most 36 tuples: a few dozen units of rounding apart.
            assertEquals(vector[i], Double.parseDouble(hex[i]), 64 * 36 * 0x1p-53, "entry " + i);
        }
        assertEquals("exact: the polynomial method needs the Vector API (scalar kernel: no --add-modules "
                + "jdk.incubator.vector)", lines[2]);
        assertEquals("the polynomial method needs the Vector API: start the JVM with --add-modules "
                + "jdk.incubator.vector", lines[3]);
        assertEquals("the backward pass needs the Vector API: start the JVM with --add-modules "
                + "jdk.incubator.vector", lines[4]);
        assertTrue(Vectorization.AVAILABLE, "this test's own JVM runs with the module");
        assertEquals("vector", Vectorization.path());
    }
}
