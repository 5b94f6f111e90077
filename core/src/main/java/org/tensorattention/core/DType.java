package org.tensorattention.core;

/** Element type of a {@link Tensor}. Results keep the dtype of the query. */
public enum DType {
    FLOAT32("float32", 4),
    FLOAT64("float64", 8);

    private final String numpyName;
    private final int bytes;

    DType(String numpyName, int bytes) {
        this.numpyName = numpyName;
        this.bytes = bytes;
    }

    /** The name numpy gives this type, e.g. {@code float32}. */
    public String numpyName() {
        return numpyName;
    }

    public int bytes() {
        return bytes;
    }
}
