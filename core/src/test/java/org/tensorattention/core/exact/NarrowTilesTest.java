package org.tensorattention.core.exact;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * The tiles follow the vector width, so a machine tests only its own width. This runs the vector kernels
 * against BruteForce in a fresh JVM with -XX:UseAVX=2, where the preferred species is 256 bits and the
 * kernels take their 4 x 2-vector tiles (on an AVX2 machine the other tests already do).
 */
class NarrowTilesTest {
    @Test
    void the256BitTilesMatchBruteForce() throws Exception {
        assumeTrue(ExactForward.VECTOR_AVAILABLE);
        assumeTrue(System.getProperty("os.arch").matches("amd64|x86_64"));
        String java = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:UseAVX=2",
                "-cp", System.getProperty("java.class.path"), NarrowTilesTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.MINUTES));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("vector bits 256"), out);
    }

    /** In the child JVM: every case within the bounds ExactKernelTest holds, else exit 1 naming the case. */
    public static void main(String[] args) {
        System.out.println("vector bits " + jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize());
        int failures = 0;
        long seed = 500;
        // Widths of one, two, three and eight vectors (float 256-bit: 8 lanes), odd sizes, a long last factor.
        Geometry[] shapes = {
            Geometry.simple(1, 37, new int[] {37, 37}, 5, 3),
            Geometry.simple(1, 70, new int[] {9, 131}, 16, 16),
            Geometry.simple(1, 45, new int[] {20, 45}, 64, 40),
            Geometry.simple(1, 33, new int[] {11, 300}, 24, 64),
            new Geometry(6, 29, new int[] {23, 29}, 17, 19, new int[] {0, 0, 0, 1, 1, 1}),
        };
        for (Geometry g : shapes) {
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(3, 7)}) {
                Problem pr = new Problem(g, seed++, 2, 2, 1);
                double scale = 0.7;
                double err64 = pr.errorAgainstBruteForce(pr.run64(ExactForward.Path.VECTOR, scale, mask, 2).out(), scale, mask);
                Problem rounded = pr.roundedToFloat();
                double err32 = rounded.errorAgainstBruteForce(rounded.run32(ExactForward.Path.VECTOR, scale, mask, 2).out(),
                        scale, mask);
                double tol32 = rounded.float32Tolerance(scale) * rounded.vinf();
                if (!(err64 < 1e-12) || !(err32 <= tol32)) {
                    System.out.println("FAILED nq=" + g.nq() + " nk=" + java.util.Arrays.toString(g.nk()) + " d=" + g.d()
                            + " dv=" + g.dv() + " " + mask + ": float64 " + err64 + ", float32 " + err32 + " > " + tol32);
                    failures++;
                }
            }
        }
        System.exit(failures == 0 ? 0 : 1);
    }
}
