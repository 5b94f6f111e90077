package org.tensorattention.core;

/**
 * Whether the Vector API (the incubator module jdk.incubator.vector) is in this JVM, looked up once.
 *
 * <p>The module is only resolved when the JVM starts with {@code --add-modules jdk.incubator.vector}; a class
 * that touches it otherwise fails with NoClassDefFoundError. The exact forward has a scalar kernel for that
 * case; the polynomial method and the backward pass have only SIMD kernels, so they refuse with one line that
 * names the flag. The check is the one JVector's VectorizationProvider makes: ask the boot layer.
 */
public final class Vectorization {
    /** The JVM option a program that uses this library should pass. */
    public static final String FLAG = "--add-modules jdk.incubator.vector";

    /** True when the Vector API kernels can run. */
    public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();

    private Vectorization() {
    }

    /** Which kernels run: {@code "vector"} or {@code "scalar"}. */
    public static String path() {
        return AVAILABLE ? "vector" : "scalar";
    }

    /**
     * Refuses, in one line that names the missing flag, work that has no scalar kernel.
     *
     * @throws UnsupportedOperationException when the Vector API is absent
     */
    public static void require(String what) {
        if (!AVAILABLE) {
            throw new UnsupportedOperationException(what + " needs the Vector API: start the JVM with " + FLAG);
        }
    }

    /** A reason string with the scalar path said, when it ran. */
    public static String say(String reason) {
        return AVAILABLE ? reason : reason + " (scalar kernel: no " + FLAG + ")";
    }
}
