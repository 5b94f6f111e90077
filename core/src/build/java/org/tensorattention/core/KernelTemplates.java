package org.tensorattention.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes the per-dtype kernel sources from the templates in core/src/template. The float32 and float64 kernels
 * are one piece of code up to their element type; only a few lines (float32's float64 accumulators) differ,
 * and the template marks them. Maven runs it in generate-sources, with the build's JDK in source-launch mode
 * (no compiled plugin), into core/target/generated-sources/kernels; by hand, from the repository root or from
 * core:
 *
 * <pre>java core/src/build/java/org/tensorattention/core/KernelTemplates.java [core-dir [out-dir]]</pre>
 *
 * A file whose content is unchanged is not rewritten, so an unchanged template costs no recompilation.
 *
 * Template syntax: {@code $type$} (float, double), {@code $Type$} (Float, Double), {@code $dtype$} (float32,
 * float64), {@code $bytes$} (4, 8), {@code $Kernel$} (the class name), and whole lines {@code //#if float32},
 * {@code //#if float64}, {@code //#else}, {@code //#end} (not nested). KernelTemplatesTest fails when a
 * generated file differs from what its template gives.
 */
public final class KernelTemplates {
    /** One generated source: its template, the class it becomes and its dtype. */
    public record Output(String template, String pkg, String kernel, String dtype) {
        /** Where the source lands below a source root (the generated-sources folder). */
        public Path source(Path root) {
            return root.resolve("org/tensorattention/core").resolve(pkg).resolve(kernel + ".java");
        }
    }

    public static final List<Output> OUTPUTS = List.of(
            new Output("BlockKernel.java.template", "exact", "FloatBlockKernel", "float32"),
            new Output("BlockKernel.java.template", "exact", "DoubleBlockKernel", "float64"),
            new Output("TileMath.java.template", "grad", "FloatTileMath", "float32"),
            new Output("TileMath.java.template", "grad", "TileMath", "float64"));

    private KernelTemplates() {
    }

    /** The folder Maven compiles the generated sources from, relative to core. */
    public static final String OUT = "target/generated-sources/kernels";

    /** The core module's directory, from the repository root or from core itself. */
    public static Path core() {
        return Files.isDirectory(Path.of("src/template")) ? Path.of(".") : Path.of("core");
    }

    public static String generate(Path core, Output o) throws IOException {
        String text = Files.readString(core.resolve("src/template").resolve(o.template()));
        return "// Generated at build time from core/src/template/" + o.template() + " by KernelTemplates "
                + "(core/src/build): edit the template.\n" + expand(text, o);
    }

    static String expand(String template, Output o) {
        boolean f32 = o.dtype().equals("float32");
        List<String> out = new ArrayList<>();
        String branch = null;
        boolean keep = true;
        for (String line : template.split("\n", -1)) {
            String t = line.strip();
            if (t.startsWith("//#if ")) {
                check(branch == null, "nested //#if", o);
                branch = t.substring(6).strip();
                check(branch.equals("float32") || branch.equals("float64"), "unknown dtype " + branch, o);
                keep = branch.equals(o.dtype());
            } else if (t.equals("//#else")) {
                check(branch != null, "//#else without //#if", o);
                keep = !keep;
            } else if (t.equals("//#end")) {
                check(branch != null, "//#end without //#if", o);
                branch = null;
                keep = true;
            } else if (keep) {
                out.add(line.replace("$Kernel$", o.kernel())
                        .replace("$type$", f32 ? "float" : "double")
                        .replace("$Type$", f32 ? "Float" : "Double")
                        .replace("$dtype$", o.dtype())
                        .replace("$bytes$", f32 ? "4" : "8"));
            }
        }
        check(branch == null, "//#if without //#end", o);
        String text = String.join("\n", out);
        check(!text.contains("$"), "unknown $token$", o);
        return text;
    }

    private static void check(boolean ok, String what, Output o) {
        if (!ok) {
            throw new IllegalArgumentException(o.template() + ": " + what);
        }
    }

    public static void main(String[] args) throws IOException {
        Path core = args.length > 0 ? Path.of(args[0]) : core();
        Path out = args.length > 1 ? Path.of(args[1]) : core.resolve(OUT);
        for (Output o : OUTPUTS) {
            String text = generate(core, o);
            Path file = o.source(out);
            if (Files.isRegularFile(file) && Files.readString(file).equals(text)) {
                continue;
            }
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
            System.out.println("KernelTemplates: wrote " + file.normalize());
        }
    }
}
