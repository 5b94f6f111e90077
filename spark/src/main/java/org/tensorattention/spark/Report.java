package org.tensorattention.spark;

/**
 * What a distributed call did, beyond the single-machine result.
 *
 * @param tasks          Spark tasks that ended (retries included)
 * @param failedTasks    those that failed and were retried
 * @param executors      executors that took part
 * @param seconds        wall time of the whole distributed call on the driver
 * @param kernelSeconds  kernel time summed over tasks
 * @param outsideKernels wall time not spent in kernels: seconds - kernelSeconds / cores
 */
public record Report(long tasks, long failedTasks, int executors, double seconds, double kernelSeconds,
                     double outsideKernels) {
}
