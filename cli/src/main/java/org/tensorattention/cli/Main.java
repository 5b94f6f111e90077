package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tensor-attention COMMAND [OPTIONS]}. Every failure ends in one line on stderr and a non-zero exit:
 * 2 for bad input or usage, 1 for anything unexpected (set TENSOR_ATTENTION_DEBUG=1 for the stack trace).
 */
public final class Main {
    private static final String VERSION = "0.1.0";

    private Main() {
    }

    static Map<String, Command> commands() {
        Map<String, Command> all = new LinkedHashMap<>();
        for (Command c : List.<Command>of(new DemoCommand(), new ForwardCommand(), new BackwardCommand(),
                new LossGradientCommand(), new TrainCommand(), new EvaluateCommand(), new BenchCommand(),
                new ExperimentCommand.Error(), new ExperimentCommand.Threshold(), new ExperimentCommand.Hardness())) {
            all.put(c.name(), c);
        }
        return all;
    }

    public static void main(String[] argv) {
        int status = run(argv, System.out, System.err);
        System.out.flush();
        System.exit(status);
    }

    /** Runs one command line; returns the exit status instead of exiting (tests call this). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        Map<String, Command> commands = commands();
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.print(overview(commands));
            return argv.length == 0 ? 2 : 0;
        }
        if (argv[0].equals("--version")) {
            out.println("tensor-attention " + VERSION);
            return 0;
        }
        int words = 1;
        Command command = commands.get(argv[0]);
        if (command == null && argv.length > 1 && !argv[1].startsWith("-")) {
            // Two-word commands: experiment error, experiment threshold, ...
            command = commands.get(argv[0] + " " + argv[1]);
            words = 2;
        }
        if (command == null && argv[0].equals("experiment")) {
            err.println("tensor-attention experiment: " + (argv.length > 1 && !argv[1].startsWith("-")
                    ? "unknown experiment '" + argv[1] + "'" : "name an experiment")
                    + " (error, threshold or hardness; try tensor-attention --help)");
            return 2;
        }
        if (command == null) {
            err.println("tensor-attention: unknown command '" + argv[0] + "' (try tensor-attention --help)");
            return 2;
        }
        String[] rest = java.util.Arrays.copyOfRange(argv, words, argv.length);
        if (rest.length > 0 && (rest[0].equals("--help") || rest[0].equals("-h"))) {
            out.print(help(command));
            return 0;
        }
        try {
            Args args = Args.parse(command.name(), command.options(), rest);
            return command.run(args, out, err);
        } catch (UsageException | IllegalArgumentException | UnsupportedOperationException e) {
            err.println("tensor-attention " + command.name() + ": " + oneLine(e.getMessage()));
            return 2;
        } catch (java.io.IOException e) {
            err.println("tensor-attention " + command.name() + ": " + oneLine(e.getMessage()));
            return 2;
        } catch (OutOfMemoryError e) {
            err.println("tensor-attention " + command.name() + ": out of memory (raise -Xmx through JAVA_OPTS, or use a smaller problem)");
            return 1;
        } catch (Throwable e) {
            if (System.getenv("TENSOR_ATTENTION_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.println("tensor-attention " + command.name() + ": internal error: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage())));
            return 1;
        }
    }

    static String oneLine(String message) {
        return message == null ? "failed" : message.replace('\n', ' ').replace('\r', ' ').trim();
    }

    static String overview(Map<String, Command> commands) {
        StringBuilder sb = new StringBuilder();
        sb.append("tensor-attention ").append(VERSION).append(": higher-order softmax attention\n\n");
        sb.append("usage: tensor-attention COMMAND [OPTIONS]   (tensor-attention COMMAND --help for its options)\n\n");
        sb.append("commands:\n");
        for (Command c : commands.values()) {
            sb.append(String.format("  %-22s %s%n", c.name(), c.summary()));
        }
        return sb.toString();
    }

    static String help(Command c) {
        return "usage: tensor-attention " + c.name() + " [OPTIONS]\n\n" + c.usage().strip() + "\n\noptions:\n"
                + Args.describe(c.options()) + String.format("%-28s %s%n", "  --help", "show this help");
    }
}
