package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import org.junit.jupiter.api.Test;

/** The committed per-dtype kernels are what their templates give: edit a template, regenerate, commit both. */
class KernelTemplatesTest {
    @Test
    void generatedSourcesAreCurrent() throws IOException {
        for (KernelTemplates.Output o : KernelTemplates.OUTPUTS) {
            String expected = KernelTemplates.generate(KernelTemplates.core(), o);
            assertEquals(expected, Files.readString(o.source(KernelTemplates.core())),
                    o.kernel() + " is stale: run java core/src/test/java/org/tensorattention/core/KernelTemplates.java");
        }
    }

    @Test
    void branchesPickTheDtype() {
        String t = "a $type$\n//#if float32\nf\n//#else\nd\n//#end\nz";
        assertEquals("a float\nf\nz", KernelTemplates.expand(t, new KernelTemplates.Output("t", "p", "K", "float32")));
        assertEquals("a double\nd\nz", KernelTemplates.expand(t, new KernelTemplates.Output("t", "p", "K", "float64")));
    }

    @Test
    void malformedTemplatesAreRefused() {
        KernelTemplates.Output o = new KernelTemplates.Output("t", "p", "K", "float32");
        assertThrows(IllegalArgumentException.class, () -> KernelTemplates.expand("//#if float32\nx", o));
        assertThrows(IllegalArgumentException.class, () -> KernelTemplates.expand("$typo$", o));
    }
}
