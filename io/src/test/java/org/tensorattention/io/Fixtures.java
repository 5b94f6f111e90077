package org.tensorattention.io;

import java.nio.file.Path;

/** Where the test data lies, relative to the module directory that the tests run in. */
final class Fixtures {
    /** Arrays written by numpy (see src/test/resources/make_fixtures.py). */
    static final Path NPY = Path.of("src", "test", "resources", "npy");
    /** The repository's golden data. */
    static final Path GOLDEN = Path.of("..", "testdata", "golden");
    static final Path GOLDEN_DIGEST = Path.of("src", "test", "resources", "golden_digest.tsv");

    private Fixtures() {}

    static Path npy(String name) {
        return NPY.resolve(name);
    }

    /** C-order index i / 7 in float64, as the fixture script computes it. */
    static double[] sevenths(int count) {
        double[] out = new double[count];
        for (int i = 0; i < count; i++) {
            out[i] = i / 7.0;
        }
        return out;
    }

    /** C-order index i / 7 in float32 (float division rounds as numpy's float32 division does). */
    static float[] seventhsF(int count) {
        float[] out = new float[count];
        for (int i = 0; i < count; i++) {
            out[i] = i / 7f;
        }
        return out;
    }
}
