package org.tensorattention.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Collectors;
import org.tensorattention.io.Progress;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code tensor-attention COMMAND [OPTIONS]}. Every failure ends in one line on stderr and a non-zero exit:
 * 2 for bad input or usage, 1 for anything unexpected (set TENSOR_ATTENTION_DEBUG=1 for the stack trace).
 */
@Command(name = "tensor-attention", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        header = "tensor-attention: higher-order softmax attention",
        synopsisSubcommandLabel = "COMMAND",
        footer = "%nSee tensor-attention COMMAND --help (or tensor-attention help COMMAND) for a command's options.",
        subcommands = {HelpCommand.class, DemoCommand.class, ForwardCommand.class, DecodeCommand.class,
            BackwardCommand.class, LossGradientCommand.class, TrainCommand.class, EvaluateCommand.class,
            BenchCommand.class, ExperimentCommand.class})
public final class Main extends Base {
    /** The pom's version, filtered into a resource at build time. */
    static final class Version implements CommandLine.IVersionProvider {
        static final String VERSION = load();

        private static String load() {
            Properties p = new Properties();
            try (InputStream s = Main.class.getResourceAsStream("/tensor-attention.properties")) {
                if (s != null) {
                    p.load(s);
                }
            } catch (IOException ignored) {
                // "unknown" below
            }
            return p.getProperty("version", "unknown");
        }

        @Override
        public String[] getVersion() {
            return new String[] {"tensor-attention " + VERSION};
        }
    }

    /** No command: the overview, and exit 2 (nothing was done). */
    @Override
    int run() {
        spec.commandLine().usage(err);
        return 2;
    }

    public static void main(String[] argv) {
        useLauncherStderr();
        int status = run(argv, System.in, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /**
     * The launcher starts the JVM with stderr in a file (to drop the JVM's incubator notice) and passes the
     * caller's stderr as another descriptor: write there, through the same open file (so that appends, offsets
     * and terminals behave as for fd 2).
     */
    private static void useLauncherStderr() {
        String fd = System.getProperty("tensorattention.stderr.fd");
        if (fd == null) {
            return;
        }
        try {
            java.io.FileDescriptor d = new java.io.FileDescriptor();
            java.lang.reflect.Field f = java.io.FileDescriptor.class.getDeclaredField("fd");
            f.setAccessible(true); // opened to us by the jar's manifest (Add-Opens java.base/java.io)
            f.setInt(d, Integer.parseInt(fd));
            System.setErr(new PrintStream(new java.io.FileOutputStream(d), true, StandardCharsets.UTF_8));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Messages then reach the caller when the JVM ends, through the launcher.
        }
    }

    /** Runs one command line; returns the exit status instead of exiting (tests call this). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        return run(argv, new java.io.ByteArrayInputStream(new byte[0]), out, err);
    }

    public static int run(String[] argv, InputStream in, PrintStream out, PrintStream err) {
        Progress.setDefaultMode(Progress.Mode.fromSystem());
        CommandLine cl = commandLine(in, out, err);
        try {
            return cl.execute(argv);
        } catch (OutOfMemoryError e) {
            err.println("tensor-attention: out of memory (raise -Xmx through JAVA_OPTS, or use a smaller problem)");
            return 1;
        }
    }

    static CommandLine commandLine(InputStream in, PrintStream out, PrintStream err) {
        CommandLine.IFactory defaults = CommandLine.defaultFactory();
        CommandLine cl = new CommandLine(Main.class, new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> cls) throws Exception {
                K k = defaults.create(cls);
                if (k instanceof Base b) {
                    b.in = in;
                    b.out = out;
                    b.err = err;
                }
                return k;
            }
        });
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setUsageHelpWidth(100);
        cl.setUsageHelpLongOptionsMaxWidth(28);
        cl.setParameterExceptionHandler((ex, args) -> {
            err.println("tensor-attention" + prefix(ex.getCommandLine().getCommandSpec()) + ": " + oneLine(message(ex)));
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> fail(ex, commandLine.getCommandSpec(), err));
        return cl;
    }

    /** The words after tensor-attention, e.g. {@code experiment error}; empty for the top level. */
    static String commandName(CommandSpec spec) {
        String q = spec.qualifiedName(" ");
        return q.startsWith("tensor-attention") ? q.substring("tensor-attention".length()).strip() : q;
    }

    private static String prefix(CommandSpec spec) {
        String name = commandName(spec);
        return name.isEmpty() ? "" : " " + name;
    }

    private static int fail(Exception e, CommandSpec spec, PrintStream err) {
        String where = "tensor-attention" + prefix(spec) + ": ";
        if (e instanceof UsageException || e instanceof IllegalArgumentException || e instanceof UnsupportedOperationException
                || e instanceof IOException) {
            err.println(where + oneLine(e.getMessage()));
            return 2;
        }
        if (System.getenv("TENSOR_ATTENTION_DEBUG") != null) {
            e.printStackTrace(err);
        }
        err.println(where + "internal error: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage())));
        return 1;
    }

    /** picocli's refusals, in this tool's words: what is wrong, once, and where to look. */
    private static String message(CommandLine.ParameterException ex) {
        CommandSpec spec = ex.getCommandLine().getCommandSpec();
        String help = " (see tensor-attention" + prefix(spec) + " --help)";
        List<String> unmatched = ex instanceof CommandLine.UnmatchedArgumentException u ? u.getUnmatched()
                : ex.getCommandLine().getUnmatchedArguments();
        // An unknown option explains a missing one ("--ouput x"): name it first.
        if (!unmatched.isEmpty()) {
            String first = unmatched.get(0);
            if (first.startsWith("-")) {
                return "unknown option " + first + help;
            }
            if (!spec.subcommands().isEmpty()) {
                String what = spec.usageMessage().synopsisSubcommandLabel().toLowerCase(Locale.ROOT);
                return "unknown " + what + " '" + first + "'" + help;
            }
            return "unexpected argument '" + first + "' (options start with --)" + help;
        }
        if (ex instanceof CommandLine.MissingParameterException m) {
            List<String> names = m.getMissing().stream().map(Main::optionName).collect(Collectors.toList());
            String list = names.size() == 1 ? names.get(0)
                    : String.join(", ", names.subList(0, names.size() - 1)) + " and " + names.get(names.size() - 1);
            boolean value = m.getMessage() != null && m.getMessage().startsWith("Missing required parameter for option");
            return value ? list + " needs a value" : list + (names.size() == 1 ? " is" : " are") + " required";
        }
        if (ex instanceof CommandLine.OverwrittenOptionException o) {
            return optionName(o.getOverwritten()) + " given twice";
        }
        String m = ex.getMessage();
        // "Invalid value for option '--n': 'x' is not an int" -> "--n: 'x' is not a whole number"
        m = m.replaceAll("^Invalid value for option '([^']+)': ", "$1: ").replace(" is not an int", " is not a whole number from -2147483648 to 2147483647")
                .replace(" is not a long", " is not a whole number").replace(" is not a double", " is not a number");
        return m.isEmpty() ? m : m.substring(0, 1).toLowerCase(Locale.ROOT) + m.substring(1);
    }

    private static String optionName(ArgSpec a) {
        return a instanceof OptionSpec o ? o.longestName() : a.paramLabel();
    }

    static String oneLine(String message) {
        return message == null ? "failed" : message.replace('\n', ' ').replace('\r', ' ').trim();
    }
}
