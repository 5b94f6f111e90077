package org.tensorattention.cli;

import java.io.PrintStream;
import java.util.List;

/** One subcommand of {@code tensor-attention}. */
interface Command {
    /** The word that selects it, e.g. {@code forward}. */
    String name();

    /** One line for the command list. */
    String summary();

    /** Text shown above the option list by {@code --help}. */
    String usage();

    List<Args.Option> options();

    /** Runs with parsed options; returns the exit status. Throws UsageException for bad input. */
    int run(Args args, PrintStream out, PrintStream err) throws Exception;
}
