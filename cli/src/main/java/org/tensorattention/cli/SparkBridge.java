package org.tensorattention.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import org.tensorattention.core.AttentionOptions;

/**
 * {@code --spark MASTER} on forward and backward: the call runs through the spark module's SparkCli, found
 * at run time so that the command-line jar does not carry Spark's jars (the launcher adds them to the class
 * path when --spark is given).
 */
final class SparkBridge {
    static final Args.Option SPARK = Args.Option.value("spark", "MASTER",
            "run on Apache Spark: local[N] or spark://host:port; --input/--output may be Parquet folders");

    private SparkBridge() {
    }

    static int run(String command, Args args, AttentionOptions options, PrintStream err) throws Exception {
        Method run;
        try {
            run = Class.forName("org.tensorattention.spark.SparkCli").getMethod("run", String.class, String.class,
                    AttentionOptions.class, Path.class, Path.class, Path.class, PrintStream.class);
        } catch (ClassNotFoundException e) {
            throw new UsageException("--spark needs the spark module on the class path: run ./tensor-attention, "
                    + "which adds it, or build it with mvn -pl spark -am package");
        }
        try {
            return (Integer) run.invoke(null, command, args.required("spark"), options, args.path("input"),
                    args.path("output"), args.has("report") ? args.path("report") : null, err);
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }
}
