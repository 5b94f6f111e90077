package org.tensorattention.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.tensorattention.core.Geometry;
import org.tensorattention.core.Tensor;
import org.tensorattention.core.TensorAttention;
import org.tensorattention.io.AttentionFiles;
import org.tensorattention.io.Npz;

/** Reading the named arrays of a command's input file and writing its results. */
final class Inputs {
    private Inputs() {
    }

    /** A command's checked output path and the arrays of its input file. */
    record Job(Path input, Path output, Map<String, Tensor> arrays) {
        Tensor require(String name) {
            return Inputs.require(arrays, name, input);
        }
    }

    /** The arrays of an attention call: q, keys, values, and their resolved shape. */
    record Attention(Tensor q, List<Tensor> keys, List<Tensor> values, Geometry geometry) {
    }

    /** Checks --output's folder first (before any work), then reads --input. */
    static Job open(Args args) throws java.io.IOException {
        Path input = args.path("input");
        Path output = args.path("output");
        checkOutput(output);
        return new Job(input, output, read(input));
    }

    /** q, k1.., v1.. of the job, validated against each other. */
    static Attention attention(Job job) {
        Tensor q = job.require("q");
        List<List<Tensor>> kv = factors(job.arrays(), job.input());
        return new Attention(q, kv.get(0), kv.get(1), TensorAttention.geometry(q, kv.get(0), kv.get(1)));
    }

    /** Fails early, before any work, when the output's folder is missing. */
    static void checkOutput(Path output) {
        Path dir = output.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new UsageException("output folder " + dir + " does not exist");
        }
        if (Files.isDirectory(output)) {
            throw new UsageException("output " + output + " is a folder, not a file");
        }
    }

    static Map<String, Tensor> read(Path input) throws java.io.IOException {
        if (!Files.exists(input)) {
            throw new UsageException("input file " + input + " does not exist");
        }
        return Npz.read(input);
    }

    static Tensor require(Map<String, Tensor> arrays, String name, Path file) {
        Tensor t = arrays.get(name);
        if (t == null) {
            throw new UsageException(file + " has no array '" + name + "'");
        }
        return t;
    }

    /** The key and value factors k1..km, v1..vm; each k needs its v and no index may be skipped. */
    static List<List<Tensor>> factors(Map<String, Tensor> arrays, Path file) {
        try {
            return AttentionFiles.factors(arrays, file);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }
}
