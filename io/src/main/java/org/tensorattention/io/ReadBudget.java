package org.tensorattention.io;

/**
 * The memory that reading may set aside for arrays, checked against each header before anything is
 * allocated; the arrays of one archive share it. By default half the heap the JVM may grow to, so that a
 * file that claims more fails with a message naming the size instead of running out of memory.
 */
final class ReadBudget {
    private final long limit;
    private long left;

    ReadBudget(long limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("memory budget " + limit + " is negative");
        }
        this.limit = limit;
        this.left = limit;
    }

    /** Half of Runtime.maxMemory(). */
    static long defaultBytes() {
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /** Sets aside the memory that the array of {@code header} takes, or fails naming the sizes. */
    void take(String where, NpyHeader header) throws NpzException {
        long need = header.memoryBytes();
        if (need > left) {
            throw new NpzException(where + ": array " + header.describe() + " needs " + need + " bytes of memory, more than "
                    + (left == limit ? "the reading budget of " + limit : left + " left of the reading budget of " + limit)
                    + " bytes");
        }
        left -= need;
    }
}
