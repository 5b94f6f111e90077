package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The per-dtype kernels are generated in generate-sources from core/src/template: what was compiled is what the
 * generator writes now, both dtypes of each template are produced, and no hand-kept copy sits in src/main.
 */
class KernelTemplatesTest {
    private static final Path CORE = KernelTemplates.core();

    @Test
    void compiledSourcesAreWhatTheTemplatesGive() throws IOException {
        for (KernelTemplates.Output o : KernelTemplates.OUTPUTS) {
            Path generated = o.source(CORE.resolve(KernelTemplates.OUT));
            assertTrue(Files.isRegularFile(generated), generated + " was not generated");
            assertEquals(KernelTemplates.generate(CORE, o), Files.readString(generated),
                    o.kernel() + " was compiled from another template version: rebuild (mvn -pl core generate-sources)");
            // The generated class is the one on the class path, not a stale copy compiled from elsewhere.
            String name = "org.tensorattention.core." + o.pkg() + "." + o.kernel();
            assertTrue(Files.getLastModifiedTime(classFile(name)).compareTo(Files.getLastModifiedTime(generated)) >= 0,
                    name + " is older than its generated source");
        }
    }

    @Test
    void noGeneratedKernelIsCommittedBesideItsTemplate() {
        for (KernelTemplates.Output o : KernelTemplates.OUTPUTS) {
            assertFalse(Files.exists(o.source(CORE.resolve("src/main/java"))),
                    o.kernel() + " is generated at build time: delete the copy in src/main");
        }
    }

    @Test
    void everyTemplateGivesBothDtypesAndTheExpansionIsDeterministic() throws IOException {
        Set<String> seen = new HashSet<>();
        for (KernelTemplates.Output o : KernelTemplates.OUTPUTS) {
            seen.add(o.template() + " " + o.dtype());
            String text = KernelTemplates.generate(CORE, o);
            assertEquals(text, KernelTemplates.generate(CORE, o));
            assertTrue(text.contains("final class " + o.kernel()) || text.contains("class " + o.kernel()),
                    o.kernel() + " does not declare its class");
            assertFalse(text.contains("$"), o.kernel() + " keeps a template token");
        }
        for (KernelTemplates.Output o : KernelTemplates.OUTPUTS) {
            assertTrue(seen.contains(o.template() + " float32") && seen.contains(o.template() + " float64"),
                    o.template() + " lacks a dtype");
        }
        // The two dtypes really differ in their element type, not only in the class name.
        KernelTemplates.Output f = KernelTemplates.OUTPUTS.get(0);
        KernelTemplates.Output d = KernelTemplates.OUTPUTS.get(1);
        assertNotEquals(KernelTemplates.generate(CORE, f).replace(f.kernel(), "K"),
                KernelTemplates.generate(CORE, d).replace(d.kernel(), "K"));
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

    /** The class file, found as a resource so that the scalar-path run (no Vector API) can look at it too. */
    private static Path classFile(String name) {
        java.net.URL url = KernelTemplatesTest.class.getClassLoader().getResource(name.replace('.', '/') + ".class");
        assertTrue(url != null && url.getProtocol().equals("file"), name + " is not compiled into a class folder");
        try {
            return Path.of(url.toURI());
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(url.toString(), e);
        }
    }
}
