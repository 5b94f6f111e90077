/**
 * Higher-order softmax attention. Exported: the API (tensors, options, results, the facade, the Backend
 * interface) and the loss gradient. The CPU backend and its kernels stay inside; the Vector API is optional
 * (without it the kernels take their scalar path).
 */
module org.tensorattention.core {
    requires static jdk.incubator.vector;

    exports org.tensorattention.core;
    exports org.tensorattention.core.loss;

    // The facade finds its backend as a service, so that the API package does not import cpu.
    uses org.tensorattention.core.Backend;
    provides org.tensorattention.core.Backend with org.tensorattention.core.cpu.CpuBackend;
}
