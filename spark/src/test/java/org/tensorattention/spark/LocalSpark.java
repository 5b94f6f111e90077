package org.tensorattention.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/** One embedded local[2] Spark for the tests of a JVM: small, loopback only, no UI. */
final class LocalSpark {
    private static SparkSession session;

    private LocalSpark() {
    }

    static synchronized JavaSparkContext context() {
        if (session == null || session.sparkContext().isStopped()) {
            session = SparkSession.builder().master("local[2]").appName("tensor-attention-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    .getOrCreate();
        }
        return JavaSparkContext.fromSparkContext(session.sparkContext());
    }

    /** Stops the embedded Spark: a JVM holds one SparkContext, and the cluster test needs its own. */
    static synchronized void stop() {
        if (session != null) {
            session.stop();
            session = null;
        }
    }

    static synchronized SparkSession session() {
        context();
        return session;
    }
}
