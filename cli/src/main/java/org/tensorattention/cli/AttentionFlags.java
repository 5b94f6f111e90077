package org.tensorattention.cli;

import org.tensorattention.core.AttentionOptions;
import org.tensorattention.core.Method;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The options of an attention call, shared by forward and backward: method and epsilon ({@link MethodFlags}),
 * scale, mask, threads and --spark. An option that every attention call takes is added here once.
 */
final class AttentionFlags {
    /** --method and --epsilon, which loss-gradient takes too. */
    static final class MethodFlags {
        @Option(names = "--method", paramLabel = "exact|poly|auto", defaultValue = "exact",
                description = "exact softmax, the polynomial method, or the cheaper of the two (default: ${DEFAULT-VALUE})")
        String method;

        @Option(names = "--epsilon", paramLabel = "E", defaultValue = "1e-4", converter = Flags.Finite.class,
                description = "poly and auto: guaranteed max |O~ - O| <= E * Vinf (default: ${DEFAULT-VALUE})")
        double epsilon;

        @Mixin
        Flags.Threads threads;

        AttentionOptions options() {
            Method m;
            try {
                m = Method.parse(method);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--method " + method + ": " + e.getMessage());
            }
            if (!(epsilon > 0 && epsilon < 1)) {
                throw new UsageException("--epsilon must lie in (0, 1), got " + epsilon);
            }
            return AttentionOptions.defaults().withMethod(m).withEpsilon(epsilon).withThreads(threads.count());
        }
    }

    @Mixin
    MethodFlags method;

    @Mixin
    Flags.Scale scale;

    @Option(names = "--layout", paramLabel = "bhsd|bshd", defaultValue = "bhsd",
            description = "array layout: (..., heads, seq, dim) or (batch, seq, heads, dim) (default: ${DEFAULT-VALUE})")
    String layout;

    @Mixin
    Flags.Masks masks;

    @Option(names = "--spark", paramLabel = "MASTER",
            description = "run on Apache Spark: local[N] or spark://host:port; --input may be a Parquet folder of "
                    + "token rows, and an --output not ending in .npz is written as one (a new folder)")
    String spark;

    AttentionOptions options() {
        return scale.apply(method.options().withMask(masks.mask()).withLayout(layout()));
    }

    AttentionOptions.Layout layout() {
        return switch (layout) {
            case "bhsd" -> AttentionOptions.Layout.BHSD;
            case "bshd" -> AttentionOptions.Layout.BSHD;
            default -> throw new UsageException("--layout expects bhsd or bshd, got '" + layout + "'");
        };
    }
}
