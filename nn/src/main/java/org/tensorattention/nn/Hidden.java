package org.tensorattention.nn;

/**
 * Activations of a mini-batch: {@code batch} sequences of {@code length} positions, {@code width} values
 * each, row-major, so row {@code b * length + i} is position i of sequence b.
 */
public record Hidden(double[] data, int batch, int length, int width) {
    public Hidden {
        if ((long) batch * length * width != data.length) {
            throw new IllegalArgumentException("activations of " + batch + " x " + length + " x " + width
                    + " need " + ((long) batch * length * width) + " values, got " + data.length);
        }
    }

    public static Hidden zeros(int batch, int length, int width) {
        return new Hidden(new double[batch * length * width], batch, length, width);
    }

    /** Number of rows (positions over the whole batch). */
    public int rows() {
        return batch * length;
    }

    /** Same batch and length, another width. */
    public Hidden like(int newWidth) {
        return zeros(batch, length, newWidth);
    }
}
