package org.tensorattention.core.exact;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Mask;

/**
 * Both paths of the exact forward against BruteForce, and the float32 kernel against float64. Every case runs
 * on each path this JVM has (the scalar one alone without the Vector API module, as in the scalar-path
 * surefire run); none is skipped.
 */
class ExactKernelTest {

    static List<ExactForward.Path> paths() {
        return ExactForward.VECTOR_AVAILABLE
                ? List.of(ExactForward.Path.SCALAR, ExactForward.Path.VECTOR)
                : List.of(ExactForward.Path.SCALAR);
    }

    static Mask[] masks(int order) {
        return switch (order) {
            case 2 -> new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(5), Mask.window(70)};
            case 3 -> new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(3, 7), Mask.window(40, 1)};
            default -> new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(2, 4, 3), Mask.window(6, 1, 30)};
        };
    }

    /**
     * Odd sizes that do not divide the blocks (32 query rows, 16..64 keys), key lengths that differ from nq and
     * per factor, batches with grouped-query heads.
     */
    static Stream<Arguments> geometries() {
        List<Arguments> cases = new ArrayList<>();
        long seed = 100;
        for (ExactForward.Path path : paths()) {
            for (int order = 2; order <= 4; order++) {
                int[][] shapes = switch (order) {
                    case 2 -> new int[][] {{1, 1}, {37, 37}, {70, 131}, {45, 20}};
                    case 3 -> new int[][] {{1, 1, 1}, {37, 37, 37}, {33, 9, 70}, {41, 50, 3}};
                    default -> new int[][] {{1, 1, 1, 1}, {13, 13, 13, 13}, {35, 5, 6, 67}};
                };
                for (Mask mask : masks(order)) {
                    for (int[] shape : shapes) {
                        int[] nk = java.util.Arrays.copyOfRange(shape, 1, shape.length);
                        cases.add(Arguments.of(path, mask, Geometry.simple(1, shape[0], nk, 5, 3), seed++));
                    }
                    // Two batches of three query heads over one key/value head each, widths past a vector.
                    int[] nk = new int[order - 1];
                    java.util.Arrays.fill(nk, order == 4 ? 9 : 23);
                    nk[order - 2] = 29;
                    cases.add(Arguments.of(path, mask, new Geometry(6, 29, nk, 17, 19, new int[] {0, 0, 0, 1, 1, 1}), seed++));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("geometries")
    void float64MatchesBruteForce(ExactForward.Path path, Mask mask, Geometry g, long seed) {
        Problem pr = new Problem(g, seed, 2, 2, 1);
        double scale = 0.7;
        Problem.Result r = pr.run64(path, scale, mask, 2);
        double err = pr.errorAgainstBruteForce(r.out(), scale, mask);
        assertTrue(err < 1e-12, "float64 max |O - O_ref| = " + err);
        double lseErr = pr.lseErrorAgainstBruteForce(r.lse(), scale, mask);
        assertTrue(lseErr < 1e-12, "max |lse - lse_ref| = " + lseErr);
    }

    /** The geometries, less the scalar path's orders 2 and 4: it widens float32 to float64, so order 3 is enough. */
    static Stream<Arguments> float32Geometries() {
        return geometries().filter(a -> a.get()[0] == ExactForward.Path.VECTOR || ((Geometry) a.get()[2]).order() == 3);
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("float32Geometries")
    void float32MatchesBruteForce(ExactForward.Path path, Mask mask, Geometry g, long seed) {
        Problem pr = new Problem(g, seed, 2, 2, 1);
        double scale = 0.7;
        Problem rounded = pr.roundedToFloat();
        Problem.Result r = rounded.run32(path, scale, mask, 2);
        double err = rounded.errorAgainstBruteForce(r.out(), scale, mask);
        double tol = rounded.float32Tolerance(scale);
        assertTrue(err <= tol * rounded.vinf(), "float32 max |O - O_ref| = " + err + " > " + tol + " Vinf");
        double lseErr = rounded.lseErrorAgainstBruteForce(r.lse(), scale, mask);
        assertTrue(lseErr <= rounded.float32LseTolerance(scale), "float32 max |lse - lse_ref| = " + lseErr);
    }

    /**
     * Wide heads and a long last factor: the block kernels cut it into cache-sized spans (128 and 256 keys here
     * for float64 and float32), so rows are carried across spans; the scalar kernel streams it whole.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("spanMasks")
    void longLastFactorAcrossSpans(ExactForward.Path path, Mask mask) {
        Problem pr = new Problem(new Geometry(2, 290, new int[] {3, 290}, 64, 64, new int[] {0, 0}), 21, 1, 1, 1);
        if (path == ExactForward.Path.VECTOR) {
            assertTrue(DoubleBlockKernel.spanLength(64, 64) < 290 && FloatBlockKernel.spanLength(64, 64) < 290);
        }
        double scale = 0.5;
        double err64 = pr.errorAgainstBruteForce(pr.run64(path, scale, mask, 2).out(), scale, mask);
        assertTrue(err64 < 1e-12, "float64 max |O - O_ref| = " + err64);
        Problem rounded = pr.roundedToFloat();
        double err32 = rounded.errorAgainstBruteForce(rounded.run32(path, scale, mask, 2).out(), scale, mask);
        assertTrue(err32 <= rounded.float32Tolerance(scale) * rounded.vinf(), "float32 max |O - O_ref| = " + err32);
    }

    static Stream<Arguments> spanMasks() {
        return paths().stream().flatMap(path -> Stream.of(Mask.FULL, Mask.CAUSAL, Mask.window(2, 200))
                .map(mask -> Arguments.of(path, mask)));
    }

    static Stream<Arguments> agreement() {
        List<Arguments> cases = new ArrayList<>();
        for (ExactForward.Path path : paths()) {
            for (Mask mask : new Mask[] {Mask.FULL, Mask.CAUSAL, Mask.window(200, 90)}) {
                cases.add(Arguments.of(path, 3, 300, 16, 16, mask));
                cases.add(Arguments.of(path, 3, 211, 64, 40, mask));
            }
            cases.add(Arguments.of(path, 2, 500, 64, 64, Mask.CAUSAL));
            cases.add(Arguments.of(path, 4, 45, 16, 16, Mask.FULL));
        }
        return cases.stream();
    }

    /** The float32 kernel against the float64 kernel on the same (float-rounded) inputs, within Float32Bound. */
    @ParameterizedTest(name = "{0} order {1} n={2} d={3} dv={4} {5}")
    @MethodSource("agreement")
    void float32AgreesWithFloat64(ExactForward.Path path, int order, int n, int d, int dv, Mask mask) {
        int[] nk = new int[order - 1];
        java.util.Arrays.fill(nk, n);
        Problem pr = new Problem(Geometry.simple(1, n, nk, d, dv), 7 + n, 1.5, 1.5, 1).roundedToFloat();
        double scale = 1.0 / d;
        Problem.Result wide = pr.run64(path, scale, mask, 2);
        Problem.Result narrow = pr.run32(path, scale, mask, 2);
        double err = Problem.Result.maxDiff(wide.out(), narrow.out());
        assertTrue(err <= pr.float32Tolerance(scale) * pr.vinf(), "float32 vs float64 max |dO| = " + err
                + ", Vinf " + pr.vinf());
        double lseErr = Problem.Result.maxDiff(wide.lse(), narrow.lse());
        assertTrue(lseErr <= pr.float32LseTolerance(scale), "float32 vs float64 lse differ by " + lseErr);
    }

    static Stream<Arguments> pathsAndOrders() {
        List<Arguments> cases = new ArrayList<>();
        for (ExactForward.Path path : paths()) {
            for (int order = 2; order <= 3; order++) {
                for (Mask mask : masks(order)) {
                    cases.add(Arguments.of(path, order, mask));
                }
            }
        }
        return cases.stream();
    }

    /** Scores in the thousands (entries up to 30, scale 1): the running maximum keeps exp finite. */
    @ParameterizedTest(name = "{0} order {1} {2}")
    @MethodSource("pathsAndOrders")
    void largeScoresDoNotOverflow(ExactForward.Path path, int order, Mask mask) {
        int[] nk = new int[order - 1];
        java.util.Arrays.fill(nk, 77);
        Problem pr = new Problem(Geometry.simple(2, 77, nk, 4, 5), 5 + order, 30, 30, 1);
        Problem.Result r64 = pr.run64(path, 1.0, mask, 2);
        double err = pr.errorAgainstBruteForce(r64.out(), 1.0, mask);
        assertTrue(err < 1e-9, "float64 max |O - O_ref| = " + err);
        Problem rounded = pr.roundedToFloat();
        Problem.Result r32 = rounded.run32(path, 1.0, mask, 2);
        for (double x : r32.out()) {
            assertTrue(Double.isFinite(x), "float32 output not finite");
        }
        for (double x : r32.lse()) {
            assertTrue(Double.isFinite(x), "float32 lse not finite");
        }
    }

    /**
     * Thread counts and task order do not change the result, bit for bit: each row is summed by one task in a
     * fixed order, with an exp that is the same in every JIT state.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("paths")
    void threadsGiveIdenticalResults(ExactForward.Path path) {
        Problem pr = Problem.simple(3, 150, 8, 8, 3);
        Problem.Result one = pr.run32(path, 0.3, Mask.CAUSAL, 1);
        Problem.Result three = pr.run32(path, 0.3, Mask.CAUSAL, 3);
        assertArrayEquals(one.out(), three.out());
        assertArrayEquals(one.lse(), three.lse());
    }
}
