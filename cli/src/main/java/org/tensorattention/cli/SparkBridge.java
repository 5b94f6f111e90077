package org.tensorattention.cli;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.tensorattention.core.AttentionOptions;

/**
 * {@code --spark MASTER} on forward and backward: the call runs through the spark module's SparkCli, found
 * at run time so that the command-line jar does not carry Spark's jars (the launcher adds them to the class
 * path when --spark is given). SparkCli checks the files as {@link Inputs} does, before any work.
 */
final class SparkBridge {
    private SparkBridge() {
    }

    static int run(String command, String master, AttentionOptions options, Inputs.FileFlags f, InputStream in,
                   OutputStream out, PrintStream err) throws Exception {
        Method run;
        try {
            run = Class.forName("org.tensorattention.spark.SparkCli").getMethod("run", String.class, String.class,
                    AttentionOptions.class, String.class, String.class, String.class, boolean.class,
                    InputStream.class, OutputStream.class, PrintStream.class);
        } catch (ClassNotFoundException e) {
            throw new UsageException("--spark needs the spark module on the class path: run ./tensor-attention, "
                    + "which adds it, or build it with mvn -pl spark -am package");
        }
        try {
            return (Integer) run.invoke(null, command, master, options, f.input, f.output, f.report, f.allowExtra,
                    in, out, err);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
