package org.tensorattention.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * A command's files, checked before any work: each output as {@link OutputTarget#of} checks it, and no output
 * may be an input or another output. Files are compared by what they are, not by how they are named: real
 * paths (links resolved) and, for files that exist, the file system's key (device and inode), which also
 * catches hard links. Closing the plan gives up every output not written yet.
 */
public final class OutputPlan implements AutoCloseable {
    /** A file's identity: its real path and, when it exists, its file key. */
    record Identity(Path real, Object key) {
        static Identity of(Path p) {
            Path real = p.toAbsolutePath().normalize();
            try {
                real = real.toRealPath();
            } catch (IOException e) {
                Path parent = real.getParent();
                try {
                    if (parent != null && real.getFileName() != null) {
                        real = parent.toRealPath().resolve(real.getFileName());
                    }
                } catch (IOException ignored) {
                    // A missing folder: compared by the normalised name.
                }
            }
            Object key = null;
            try {
                key = Files.readAttributes(real, BasicFileAttributes.class).fileKey();
            } catch (IOException ignored) {
                // Does not exist (yet): the real path alone identifies it.
            }
            return new Identity(real, key);
        }

        boolean sameAs(Identity o) {
            return real.equals(o.real) || (key != null && key.equals(o.key));
        }
    }

    private record Named(String option, String name, Identity identity) {
    }

    private final OutputStream stdout;
    private final List<Named> inputs = new ArrayList<>();
    private final List<Named> outputs = new ArrayList<>();
    private final List<OutputTarget> targets = new ArrayList<>();
    private final List<OutputFolder> folders = new ArrayList<>();
    private boolean stdoutTaken;

    /** {@code stdout} receives the output named {@code -}. */
    public OutputPlan(OutputStream stdout) {
        this.stdout = stdout;
    }

    /** Declares an input (before the outputs that must not replace it); {@code -} is stdin. */
    public void input(String option, String name) throws NpzException {
        if (!name.equals("-")) {
            Named in = new Named(option, name, Identity.of(Path.of(name)));
            for (Named o : outputs) {
                checkDistinct(o, in);
            }
            inputs.add(in);
        }
    }

    /** Checks and reserves one output. */
    public OutputTarget output(String option, String name) throws NpzException {
        if (name.equals("-")) {
            if (stdoutTaken) {
                throw new NpzException(option + " -: standard output is already taken by another output");
            }
            stdoutTaken = true;
        }
        OutputTarget t;
        try {
            t = OutputTarget.of(name, stdout);
        } catch (NpzException e) {
            throw new NpzException(option + " " + e.getMessage(), e);
        }
        targets.add(t);
        Identity id = t.identity();
        if (id != null) {
            reserve(new Named(option, name, id));
        }
        return t;
    }

    /** Checks and reserves one folder output ({@link OutputFolder}), distinct from the inputs and outputs. */
    public OutputFolder folder(String option, String name) throws NpzException {
        OutputFolder f;
        try {
            f = OutputFolder.of(name);
        } catch (NpzException e) {
            throw new NpzException(option + " " + e.getMessage(), e);
        }
        folders.add(f);
        reserve(new Named(option, name, Identity.of(f.path())));
        return f;
    }

    /** An output inside a folder the command owns, checked like the rest. */
    public OutputTarget output(String option, Path file) throws NpzException {
        return output(option, file.toString());
    }

    /** One more output, refused when it is the same file as an input or an output reserved before. */
    private void reserve(Named out) throws NpzException {
        for (Named in : inputs) {
            checkDistinct(out, in);
        }
        for (Named o : outputs) {
            checkDistinct(out, o);
        }
        outputs.add(out);
    }

    private static void checkDistinct(Named out, Named other) throws NpzException {
        if (out.identity().sameAs(other.identity())) {
            throw new NpzException(out.option() + " " + out.name() + " is the same file as "
                    + other.option() + " " + other.name() + (out.name().equals(other.name()) ? "" : " (" + other.identity().real() + ")")
                    + ": give it another name");
        }
    }

    @Override
    public void close() {
        for (OutputTarget t : targets) {
            t.close();
        }
        for (OutputFolder f : folders) {
            f.close();
        }
    }
}
