package org.tensorattention.cli;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** What the bench and experiment commands share. */
final class EvidenceFlags {
    private EvidenceFlags() {
    }

    /**
     * Option defaults read from a configuration record's defaults, so that --help shows the values the code
     * uses and each is written once: {@code --exact-n} is the component {@code exactN}, unless {@code renames}
     * says otherwise ({@code "--warmup" -> "warmups"}). Options that are not components keep their own.
     */
    abstract static class RecordDefaults implements IDefaultValueProvider {
        private final Record defaults;
        private final Map<String, String> renames;

        RecordDefaults(Record defaults, Map<String, String> renames) {
            this.defaults = defaults;
            this.renames = renames;
        }

        @Override
        public String defaultValue(ArgSpec arg) throws Exception {
            if (!(arg instanceof OptionSpec o)) {
                return null;
            }
            String name = o.longestName();
            String component = renames.getOrDefault(name, camel(name.substring(2)));
            for (RecordComponent c : defaults.getClass().getRecordComponents()) {
                if (c.getName().equals(component)) {
                    return format(c.getAccessor().invoke(defaults));
                }
            }
            return null;
        }

        private static String camel(String kebab) {
            StringBuilder sb = new StringBuilder();
            boolean up = false;
            for (char ch : kebab.toCharArray()) {
                if (ch == '-') {
                    up = true;
                } else {
                    sb.append(up ? Character.toUpperCase(ch) : ch);
                    up = false;
                }
            }
            return sb.toString();
        }

        private static String format(Object v) {
            if (v instanceof int[] a) {
                return Arrays.stream(a).mapToObj(Integer::toString).collect(Collectors.joining(","));
            }
            if (v instanceof double[] a) {
                return Arrays.stream(a).mapToObj(EvidenceFlags::number).collect(Collectors.joining(","));
            }
            if (v instanceof String[] a) {
                return String.join(",", a);
            }
            if (v instanceof Double d) {
                return number(d);
            }
            if (v instanceof Enum<?> e) {
                return e.name().toLowerCase(Locale.ROOT);
            }
            return v == null ? null : v.toString();
        }
    }

    /**
     * The options every evidence command has: the output folder (its default from the command's configuration
     * record), --quick, --seed, --threads and --quiet.
     */
    static final class Common {
        @picocli.CommandLine.Option(names = "--output", paramLabel = "DIR",
                description = "folder for the CSV and PNG files (default: ${DEFAULT-VALUE})")
        java.nio.file.Path output;

        @picocli.CommandLine.Option(names = "--quick", description = "small sizes, few repetitions (a smoke test)")
        boolean quick;

        @picocli.CommandLine.Option(names = "--seed", paramLabel = "S", description = "random seed (default: ${DEFAULT-VALUE})")
        long seed;

        @picocli.CommandLine.Mixin
        Flags.Threads threads;

        @picocli.CommandLine.Mixin
        Flags.Quiet quiet;

        /** --quick, unless the option was given: then the user's value wins. */
        boolean quick(CommandSpec spec, String option) {
            return quick && !given(spec, option);
        }
    }

    /** Shortest form that reads back as the same double. */
    static String number(double x) {
        return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Double.toString(x);
    }

    /** Whether the user gave the option (so that --quick does not override it). */
    static boolean given(CommandSpec spec, String option) {
        return spec.commandLine().getParseResult().hasMatchedOption(option);
    }
}
