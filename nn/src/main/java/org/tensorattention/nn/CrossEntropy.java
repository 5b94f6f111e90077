package org.tensorattention.nn;

/**
 * Softmax cross-entropy over classes for every row (every position of every sequence), averaged over rows:
 * L = -(1/rows) sum_r log softmax(logits_r)[label_r].
 */
public final class CrossEntropy {
    /** The mean loss, dL/d(logits), and how many rows the arg-max got right. */
    public record Result(double loss, Hidden gradient, int correct, int rows) {
        public double accuracy() {
            return rows == 0 ? 0 : (double) correct / rows;
        }
    }

    private CrossEntropy() {
    }

    /** labels[b][i] is the class of position i of sequence b. */
    public static Result of(Hidden logits, int[][] labels) {
        int classes = logits.width();
        int rows = logits.rows();
        double[] z = logits.data();
        double[] grad = new double[z.length];
        double loss = 0;
        int correct = 0;
        for (int r = 0; r < rows; r++) {
            int y = labels[r / logits.length()][r % logits.length()];
            if (y < 0 || y >= classes) {
                throw new IllegalArgumentException("label " + y + " outside 0.." + (classes - 1));
            }
            int o = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            int best = 0;
            for (int c = 0; c < classes; c++) {
                if (z[o + c] > max) {
                    max = z[o + c];
                    best = c;
                }
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[o + c] - max);
            }
            double logSum = max + Math.log(sum);
            loss += logSum - z[o + y];
            for (int c = 0; c < classes; c++) {
                grad[o + c] = Math.exp(z[o + c] - logSum) / rows;
            }
            grad[o + y] -= 1.0 / rows;
            if (best == y) {
                correct++;
            }
        }
        return new Result(loss / rows, new Hidden(grad, logits.batch(), logits.length(), classes), correct, rows);
    }
}
