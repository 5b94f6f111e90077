package org.tensorattention.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code help [COMMAND [SUBCOMMAND]]}: the same text as {@code COMMAND [SUBCOMMAND] --help}, for any depth
 * (picocli's own help command stops at one word).
 */
@Command(name = "help", header = "show a command's help: help COMMAND is COMMAND --help",
        description = "Shows the help of the command named, e.g. help forward or help experiment error.")
final class HelpCommand extends Base {
    @Parameters(paramLabel = "COMMAND", arity = "0..*", description = "the command (and subcommand) to describe")
    String[] words = new String[0];

    @Override
    int run() {
        CommandLine c = spec.parent().commandLine();
        for (String w : words) {
            CommandLine next = c.getSubcommands().get(w);
            if (next == null) {
                throw new UsageException("unknown command '" + w + "' (see tensor-attention"
                        + (Main.commandName(c.getCommandSpec()).isEmpty() ? "" : " " + Main.commandName(c.getCommandSpec()))
                        + " --help)");
            }
            c = next;
        }
        c.usage(out);
        return 0;
    }
}
