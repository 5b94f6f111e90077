package org.tensorattention.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.launcher.JavaModuleOptions;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.AttentionResult;
import org.tensorattention.core.DType;
import org.tensorattention.core.TensorAttention;

/**
 * A real standalone cluster on the loopback interface: a Master and two Workers as separate JVMs, started
 * from the jars Maven resolved (linked into a SPARK_HOME/jars folder, which is where a Worker builds its
 * executors' class path from). One executor is killed while a job runs; the job still finishes with the
 * same result, its lost tasks retried.
 */
class StandaloneClusterTest {
    @TempDir
    static Path tmp;

    private static final List<Process> started = new ArrayList<>();
    private static JavaSparkContext sc;
    private static Process workerA;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** SPARK_HOME/jars holding links to every jar of this JVM's class path (Spark and its dependencies). */
    private static Path sparkHome() throws IOException {
        Path jars = Files.createDirectories(tmp.resolve("spark-home").resolve("jars"));
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(entry);
            if (entry.endsWith(".jar") && Files.isRegularFile(p)) {
                Path link = jars.resolve(p.getFileName());
                if (!Files.exists(link)) {
                    Files.createSymbolicLink(link, p.toAbsolutePath());
                }
            }
        }
        return jars.getParent();
    }

    /** This module's and its siblings' compiled classes, which executors load from the local disk. */
    private static String classFolders() {
        List<String> dirs = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (Files.isDirectory(Path.of(entry))) {
                dirs.add(Path.of(entry).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, dirs);
    }

    /**
     * A Master or Worker JVM, its output in NAME.log. They only pass messages: the client compiler and the
     * serial collector start them sooner on a loaded machine, with fewer threads competing for its cores.
     */
    private static Process start(Path home, String name, String mainClass, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(JavaModuleOptions.defaultModuleOptionArray()));
        cmd.addAll(List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", home.resolve("jars") + File.separator + "*", mainClass));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(tmp.resolve(name + ".log").toFile());
        pb.environment().put("SPARK_HOME", home.toString());
        pb.environment().put("SPARK_SCALA_VERSION", "2.13");
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        Process p = pb.start();
        started.add(p);
        return p;
    }

    @BeforeAll
    static void cluster() throws Exception {
        LocalSpark.stop();
        Path home = sparkHome();
        int port = freePort();
        String master = "spark://127.0.0.1:" + port;
        start(home, "master", "org.apache.spark.deploy.master.Master",
                List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", "0"));
        // A Worker that finds no Master retries only after 5-15 s: start the Workers once it leads.
        awaitLog(tmp.resolve("master.log"), "I have been elected leader");
        for (String w : List.of("a", "b")) {
            Process p = start(home, "worker-" + w, "org.apache.spark.deploy.worker.Worker",
                    List.of("--host", "127.0.0.1", "--cores", "1", "--memory", "700m", "--webui-port", "0",
                            "--work-dir", Files.createDirectories(tmp.resolve("work-" + w)).toString(), master));
            if (w.equals("a")) {
                workerA = p;
            }
        }
        // The driver starts while the Workers register: the Master hands it their executors as they come.
        SparkConf conf = new SparkConf().setMaster(master).setAppName("tensor-attention-cluster-test")
                .set("spark.ui.enabled", "false")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.executor.memory", "512m")
                .set("spark.executor.cores", "1")
                .set("spark.cores.max", "2")
                .set("spark.executor.extraClassPath", classFolders())
                .set("spark.executor.extraJavaOptions", SparkCli.executorJavaOptions() + " -XX:+UseSerialGC")
                .set("spark.task.maxFailures", "4");
        sc = new JavaSparkContext(conf);
        // Both executors registered before any job: the kill must hit a running one. A loaded machine may take
        // minutes to start four JVMs, so this waits (three minutes at most) instead of failing on a slow start.
        long until = System.currentTimeMillis() + 180_000;
        while (sc.sc().statusTracker().getExecutorInfos().length < 3 && System.currentTimeMillis() < until) {
            Thread.sleep(100);
        }
        assertEquals(3, sc.sc().statusTracker().getExecutorInfos().length, "driver and two executors");
    }

    /** Waits (three minutes at most) until a process's log says what it should; fails naming the log if not. */
    private static void awaitLog(Path log, String text) throws Exception {
        long until = System.currentTimeMillis() + 180_000;
        while (System.currentTimeMillis() < until) {
            if (Files.exists(log) && Files.readString(log).contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(log + " never said '" + text + "'");
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (sc != null) {
                sc.stop();
            }
        } finally {
            // Every process this test started, executors (the Workers' children) included, by process id.
            for (Process p : started) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroy();
            }
            for (Process p : started) {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    @Test
    void aKilledExecutorsTasksAreRetriedAndTheResultIsTheSame() throws Exception {
        // Large enough that tasks still run when the executor dies (about 0.4 GFLOP of backward per problem).
        Problems.Case c = Problems.random(21, DType.FLOAT64, 3, 256, 8, 4, new int[] {2}, new int[] {2});
        AttentionOptions o = AttentionOptions.defaults().causal().withThreads(1);
        // Many small tasks: while some run on the doomed executor, others wait their turn.
        Settings s = Settings.defaults().withQueryBlocks(24);
        AttentionResult one = TensorAttention.forward(c.q(), c.k(), c.v(), o);
        // Without a kill a few tasks suffice: both executors take part, nothing fails, the result is one machine's.
        SparkAttention.Result quiet = SparkAttention.forward(sc, c.q(), c.k(), c.v(), o,
                Settings.defaults().withQueryBlocks(4));
        Problems.close("o before the kill", one.output(), quiet.result().output(), 1e-12);
        assertEquals(0, quiet.report().failedTasks());
        assertEquals(2, quiet.report().executors());

        AtomicInteger running = new AtomicInteger();
        SparkListener starts = new SparkListener() {
            @Override
            public void onTaskStart(SparkListenerTaskStart e) {
                running.incrementAndGet();
            }
        };
        sc.sc().addSparkListener(starts);
        CompletableFuture<SparkAttention.Gradients> job = CompletableFuture.supplyAsync(
                () -> SparkAttention.backward(sc, c.q(), c.k(), c.v(), c.dout(), quiet.result(), o, s));
        long until = System.currentTimeMillis() + 60_000;
        while (running.get() < 3 && System.currentTimeMillis() < until) {
            Thread.sleep(20);
        }
        Optional<ProcessHandle> executor = workerA.descendants()
                .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).findFirst();
        assertTrue(executor.isPresent(), "worker a runs an executor");
        assertTrue(executor.get().destroyForcibly(), "killed executor pid " + executor.get().pid());
        SparkAttention.Gradients g = job.get(150, TimeUnit.SECONDS);
        sc.sc().removeSparkListener(starts);
        assertTrue(!job.isCompletedExceptionally());
        assertTrue(g.report().failedTasks() >= 1, "tasks of the killed executor failed and were retried: " + g.report());

        // The same gradients as without the kill: those of one machine. Not bit for bit: the retried tasks ran
        // on another JVM, whose JIT may order a vector reduction differently (sums over tasks run in task order).
        var oneG = TensorAttention.backward(c.q(), c.k(), c.v(), c.dout(), one, o);
        Problems.close("dq", oneG.dq(), g.result().dq(), 1e-12);
        for (int t = 0; t < 2; t++) {
            Problems.close("dk" + t, oneG.dk().get(t), g.result().dk().get(t), 1e-12);
            Problems.close("dv" + t, oneG.dv().get(t), g.result().dv().get(t), 1e-12);
        }
    }
}
