package org.tensorattention.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every command has: the streams it runs with (tests pass their own) and its name for messages. */
abstract class Base implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    InputStream in = System.in;
    PrintStream out = System.out;
    PrintStream err = System.err;

    /** The words after tensor-attention, e.g. {@code experiment error}. */
    String name() {
        return Main.commandName(spec);
    }

    /** Runs with parsed options; returns the exit status. Throws UsageException for bad input. */
    abstract int run() throws Exception;

    @Override
    public final Integer call() throws Exception {
        return run();
    }
}
