package org.tensorattention.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.spi.ToolProvider;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layering of core's compiled classes, as jdeps sees it (docs/ARCHITECTURE.md): the API types of
 * org.tensorattention.core never depend on the kernels, the kernels never depend on the facade or the backend,
 * and no package of core, the root included, lies on a cycle.
 */
class ArchitectureTest {
    private static final String ROOT = "org.tensorattention.core";
    /** class -> classes of core it uses (inner classes folded into their outer class). */
    private static final Map<String, Set<String>> USES = new HashMap<>();
    /** package -> packages of core it uses, as jdeps -verbose:package reports them. */
    private static final Map<String, Set<String>> PACKAGES = new TreeMap<>();

    @BeforeAll
    static void readDependencies() {
        Path classes = Path.of("target", "classes");
        assertTrue(Files.isDirectory(classes.resolve("org/tensorattention/core")), "no " + classes.toAbsolutePath());
        ToolProvider jdeps = ToolProvider.findFirst("jdeps").orElseThrow(
                () -> new AssertionError("jdeps is missing: the tests need a full JDK"));
        StringWriter out = new StringWriter();
        int rc = jdeps.run(new PrintWriter(out), new PrintWriter(out), "--multi-release", "base",
                "--add-modules", "jdk.incubator.vector", "-verbose:class", "-filter:none", classes.toString());
        assertEquals(0, rc, out.toString());
        Pattern edge = Pattern.compile("^\\s+(" + Pattern.quote(ROOT) + "[\\w.$]*)\\s+->\\s+("
                + Pattern.quote(ROOT) + "[\\w.$]*)\\s");
        for (String line : out.toString().split("\n")) {
            Matcher m = edge.matcher(line);
            if (m.find()) {
                String from = outer(m.group(1));
                String to = outer(m.group(2));
                if (!from.equals(to)) {
                    USES.computeIfAbsent(from, x -> new HashSet<>()).add(to);
                }
            }
        }
        assertTrue(USES.size() > 20, "jdeps reported too few classes:\n" + out);

        StringWriter packages = new StringWriter();
        rc = jdeps.run(new PrintWriter(packages), new PrintWriter(packages), "--multi-release", "base",
                "--add-modules", "jdk.incubator.vector", "-verbose:package", "-filter:none", classes.toString());
        assertEquals(0, rc, packages.toString());
        for (String line : packages.toString().split("\n")) {
            Matcher m = edge.matcher(line);
            if (m.find() && !m.group(1).equals(m.group(2))) {
                PACKAGES.computeIfAbsent(m.group(1), x -> new TreeSet<>()).add(m.group(2));
            }
        }
        assertTrue(PACKAGES.size() >= 5, "jdeps reported too few packages:\n" + packages);
    }

    /** A package cycle, as the list of packages from one back to itself; empty when there is none. */
    static List<String> cycle(Map<String, Set<String>> graph) {
        for (String start : graph.keySet()) {
            Map<String, String> parent = new HashMap<>();
            List<String> todo = new ArrayList<>(List.of(start));
            while (!todo.isEmpty()) {
                String p = todo.remove(todo.size() - 1);
                for (String next : graph.getOrDefault(p, Set.of())) {
                    if (next.equals(start)) {
                        List<String> path = new ArrayList<>(List.of(start));
                        for (String at = p; !at.equals(start); at = parent.get(at)) {
                            path.add(1, at);
                        }
                        path.add(start);
                        return path;
                    }
                    if (!parent.containsKey(next)) {
                        parent.put(next, p);
                        todo.add(next);
                    }
                }
            }
        }
        return List.of();
    }

    private static String outer(String cls) {
        int dollar = cls.indexOf('$');
        return dollar < 0 ? cls : cls.substring(0, dollar);
    }

    private static String packageOf(String cls) {
        return cls.substring(0, cls.lastIndexOf('.'));
    }

    private static boolean inSubpackage(String cls) {
        return !packageOf(cls).equals(ROOT);
    }

    /** Root-package classes that reach into a subpackage, directly or through another root class. */
    private static Set<String> facadeSide() {
        Set<String> side = new TreeSet<>();
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Map.Entry<String, Set<String>> e : USES.entrySet()) {
                String from = e.getKey();
                if (inSubpackage(from) || side.contains(from)) {
                    continue;
                }
                for (String to : e.getValue()) {
                    if (inSubpackage(to) || side.contains(to)) {
                        side.add(from);
                        grew = true;
                        break;
                    }
                }
            }
        }
        return side;
    }

    @Test
    void noApiTypeReachesIntoTheSubpackages() {
        // Not even the facade: it finds the backend as a service.
        assertEquals(Set.of(), facadeSide());
    }

    @Test
    void noSubpackageDependsOnTheFacade() {
        List<String> bad = new ArrayList<>();
        for (Map.Entry<String, Set<String>> e : USES.entrySet()) {
            if (inSubpackage(e.getKey()) && e.getValue().contains(ROOT + ".TensorAttention")) {
                bad.add(e.getKey());
            }
        }
        assertEquals(List.of(), bad, "these classes call the facade");
    }

    @Test
    void subpackagesFormNoCycle() {
        Map<String, Set<String>> pkg = new HashMap<>();
        for (Map.Entry<String, Set<String>> e : USES.entrySet()) {
            for (String to : e.getValue()) {
                String a = packageOf(e.getKey());
                String b = packageOf(to);
                if (inSubpackage(e.getKey()) && inSubpackage(to) && !a.equals(b)) {
                    pkg.computeIfAbsent(a, x -> new TreeSet<>()).add(b);
                }
            }
        }
        for (String start : pkg.keySet()) {
            Set<String> seen = new HashSet<>();
            List<String> todo = new ArrayList<>(pkg.get(start));
            while (!todo.isEmpty()) {
                String p = todo.remove(todo.size() - 1);
                assertTrue(!p.equals(start), start + " depends on itself through " + p + ": " + pkg);
                if (seen.add(p)) {
                    todo.addAll(pkg.getOrDefault(p, Set.of()));
                }
            }
        }
        assertTrue(pkg.containsKey(ROOT + ".cpu"), "the cpu backend uses no kernel package: " + pkg);
    }

    @Test
    void corePackagesFormNoCycle() {
        assertEquals(List.of(), cycle(PACKAGES), "jdeps -verbose:package: " + PACKAGES);
        // The facade reaches its backend as a service, not through an import.
        assertTrue(!PACKAGES.getOrDefault(ROOT, Set.of()).contains(ROOT + ".cpu"), PACKAGES.toString());
    }

    @Test
    void theCycleCheckFindsACycle() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a", "d"));
        List<String> c = cycle(g);
        assertEquals(4, c.size(), c.toString());
        assertEquals(c.get(0), c.get(3));
        assertEquals(List.of(), cycle(Map.of("a", Set.of("b"), "b", Set.of("c"))));
    }

    @Test
    void theFacadeFindsTheCpuBackend() {
        assertEquals(ROOT + ".cpu.CpuBackend", TensorAttention.backend().getClass().getName());
    }

    @Test
    void theModuleExportsOnlyTheApi() {
        ModuleDescriptor m = ModuleFinder.of(Path.of("target", "classes")).find(ROOT).orElseThrow().descriptor();
        Set<String> exported = new TreeSet<>();
        for (ModuleDescriptor.Exports e : m.exports()) {
            assertTrue(!e.isQualified(), e.toString());
            exported.add(e.source());
        }
        assertEquals(Set.of(ROOT, ROOT + ".loss"), exported);
        // Optional: without the module the exact forward runs its scalar kernel.
        assertTrue(m.requires().stream().anyMatch(r -> r.name().equals("jdk.incubator.vector")
                && r.modifiers().contains(ModuleDescriptor.Requires.Modifier.STATIC)), m.requires().toString());
    }
}
