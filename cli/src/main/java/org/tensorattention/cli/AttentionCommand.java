package org.tensorattention.cli;

import org.tensorattention.core.AttentionOptions;
import picocli.CommandLine.Mixin;

/**
 * forward and backward: the same files, attention options and --quiet, and the same hand-off to Spark when
 * {@code --spark} is given. Subclasses compute on this machine.
 */
abstract class AttentionCommand extends Base {
    @Mixin
    Inputs.FileFlags files;

    @Mixin
    AttentionFlags attention;

    @Mixin
    Flags.Quiet quiet;

    @Override
    final int run() throws Exception {
        AttentionOptions options = attention.options();
        if (attention.spark != null) {
            return SparkBridge.run(name(), attention.spark, options, files, in, out, err);
        }
        return runHere(options);
    }

    /** The command on this machine's kernels. */
    abstract int runHere(AttentionOptions options) throws Exception;
}
