package org.tensorattention.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A command's parsed options. Each command declares its options up front ({@link Option}); anything else on
 * the line is an error naming it. Accepts {@code --name value}, {@code --name=value} and bare flags.
 */
final class Args {
    /** One declared option: a flag takes no value. */
    record Option(String name, String valueName, String help, boolean flag) {
        static Option value(String name, String valueName, String help) {
            return new Option(name, valueName, help, false);
        }

        static Option flag(String name, String help) {
            return new Option(name, null, help, true);
        }
    }

    /** --threads, the same for every command. */
    static final Option THREADS = Option.value("threads", "N", "worker threads (default: all processors)");

    private final String command;
    private final Map<String, String> values = new HashMap<>();

    private Args(String command) {
        this.command = command;
    }

    static Args parse(String command, List<Option> options, String[] argv) {
        Map<String, Option> known = new LinkedHashMap<>();
        for (Option o : options) {
            known.put(o.name(), o);
        }
        Args args = new Args(command);
        for (int a = 0; a < argv.length; a++) {
            String token = argv[a];
            if (!token.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + token + "' (options start with --)");
            }
            String name = token.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            Option o = known.get(name);
            if (o == null) {
                throw new UsageException(command + ": unknown option --" + name + " (see " + command + " --help)");
            }
            if (o.flag()) {
                if (value != null) {
                    throw new UsageException(command + ": --" + name + " takes no value");
                }
                value = "true";
            } else if (value == null) {
                if (a + 1 >= argv.length) {
                    throw new UsageException(command + ": --" + name + " needs a value " + o.valueName());
                }
                value = argv[++a];
            }
            if (args.values.put(name, value) != null) {
                throw new UsageException(command + ": --" + name + " given twice");
            }
        }
        return args;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String string(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required");
        }
        return v;
    }

    Path path(String name) {
        return Path.of(required(name));
    }

    double number(String name, double fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            double x = Double.parseDouble(v);
            if (!Double.isFinite(x)) {
                throw new NumberFormatException();
            }
            return x;
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a finite number, got '" + v + "'");
        }
    }

    int integer(String name, int fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException(command + ": --" + name + " expects a whole number, got '" + v + "'");
        }
    }

    /** Comma-separated whole numbers, e.g. {@code 256,512,1024}. */
    int[] integers(String name, int[] fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        String[] parts = v.split(",");
        int[] r = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                r[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException(command + ": --" + name + " expects numbers like 1,2,3, got '" + v + "'");
            }
        }
        return r;
    }

    /** Renders a usage text block for the declared options. */
    static String describe(List<Option> options) {
        StringBuilder sb = new StringBuilder();
        for (Option o : options) {
            String head = "  --" + o.name() + (o.flag() ? "" : " " + o.valueName());
            sb.append(String.format("%-28s %s%n", head, o.help()));
        }
        return sb.toString();
    }
}
