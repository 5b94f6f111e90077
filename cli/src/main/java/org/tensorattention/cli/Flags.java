package org.tensorattention.cli;

import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.DType;
import org.tensorattention.core.Mask;
import org.tensorattention.io.Progress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The option groups that several commands share, as picocli mixins: each option is declared once, with its
 * default in the annotation, which is also what --help shows.
 */
final class Flags {
    private Flags() {
    }

    /** A number that must be finite (NaN and infinities are refused). */
    static final class Finite implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            double x;
            try {
                x = Double.parseDouble(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("expected a finite number, got '" + value + "'");
            }
            if (!Double.isFinite(x)) {
                throw new TypeConversionException("expected a finite number, got '" + value + "'");
            }
            return x;
        }
    }

    /** float32 or float64. */
    static final class Dtype implements ITypeConverter<DType> {
        @Override
        public DType convert(String value) {
            return switch (value) {
                case "float32" -> DType.FLOAT32;
                case "float64" -> DType.FLOAT64;
                default -> throw new TypeConversionException("expected float32 or float64, got '" + value + "'");
            };
        }
    }

    /** --threads. */
    static final class Threads {
        @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
                description = "worker threads, 0 for one per processor (default: ${DEFAULT-VALUE})")
        int threads;

        int count() {
            if (threads < 0) {
                throw new UsageException("--threads must be >= 0, got " + threads);
            }
            return threads;
        }

        /** The number to use: all processors for 0. */
        int resolved() {
            return count() == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        }
    }

    /** --scale: a number, or sqrt for 1/sqrt(d). */
    static final class Scale {
        @Option(names = "--scale", paramLabel = "C|sqrt",
                description = "score scale c, or sqrt for 1/sqrt(d) (default: 1/d)")
        String scale;

        AttentionOptions apply(AttentionOptions o) {
            if (scale == null) {
                return o;
            }
            if (scale.equals("sqrt")) {
                return o.withSqrtScale();
            }
            try {
                return o.withScale(new Finite().convert(scale));
            } catch (TypeConversionException e) {
                throw new UsageException("--scale expects a finite number or sqrt, got '" + scale + "'");
            }
        }
    }

    /** --quiet: no progress display. */
    static final class Quiet {
        @Option(names = "--quiet", description = "no progress display on stderr")
        void quiet(boolean quiet) {
            Progress.setDefaultMode(quiet ? Progress.Mode.QUIET : Progress.Mode.fromSystem());
        }
    }

    /** --causal, --window and --band. */
    static final class Masks {
        @Option(names = "--causal", description = "each query sees only keys j_t <= p_i, p_i = nk_t - nq + i (aligned bottom-right)")
        boolean causal;

        @Option(names = "--window", paramLabel = "W1,W2,..",
                description = "sliding window per key factor: p_i - W_t < j_t <= p_i (implies --causal)")
        String window;

        @Option(names = "--band", paramLabel = "B",
                description = "pair band: only tuples with max_t j_t - min_t j_t < B (with any mask)")
        Integer band;

        Mask mask() {
            Mask m = window != null ? parseWindow(window) : causal ? Mask.CAUSAL : Mask.FULL;
            if (band != null) {
                if (band < 1) {
                    throw new UsageException("--band must be at least 1, got " + band);
                }
                m = m.withBand(band);
            }
            return m;
        }

        private static Mask parseWindow(String s) {
            String[] parts = s.split(",", -1);
            int[] w = new int[parts.length];
            for (int t = 0; t < parts.length; t++) {
                try {
                    w[t] = Integer.parseInt(parts[t].trim());
                } catch (NumberFormatException e) {
                    throw new UsageException("--window expects widths like 3,2, got '" + s + "'");
                }
                if (w[t] < 1) {
                    throw new UsageException("--window " + s + ": widths must be at least 1, got " + w[t]);
                }
            }
            return Mask.window(w);
        }
    }
}
