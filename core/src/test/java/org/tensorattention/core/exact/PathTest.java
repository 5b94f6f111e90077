package org.tensorattention.core.exact;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.tensorattention.core.Vectorization;

/** The kernels this JVM runs are the ones the build asked for (the scalar-path execution sets the property). */
class PathTest {

    @Test
    void theExpectedPathRuns() {
        String expected = System.getProperty("tensorattention.expectedPath", "vector");
        assertEquals(expected, ExactForward.defaultPath().name().toLowerCase(java.util.Locale.ROOT));
        assertEquals(expected, Vectorization.path());
    }
}
