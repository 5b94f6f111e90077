package org.tensorattention.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Objects;
import org.tensorattention.core.Tensor;

/**
 * One output file, checked when it is made ({@link #of}) and written once ({@link #write}).
 *
 * <ul>
 *   <li>{@code -} is standard output, written straight through.</li>
 *   <li>Symbolic links are followed: the link's target is written and the link stays.</li>
 *   <li>Pipes, devices, and anything reached through {@code /dev} or {@code /proc} (such as /dev/stdout)
 *       are written straight through, never replaced.</li>
 *   <li>A regular file is written to a temporary file in its folder, which is created when the target is
 *       checked (so a folder that refuses files fails before any work), synced, and renamed over the target:
 *       the target is complete or untouched. The temporary file is removed on every exit
 *       ({@link TempFiles}).</li>
 * </ul>
 *
 * {@link OutputPlan} checks a command's inputs and outputs against each other.
 */
public final class OutputTarget implements AutoCloseable {
    /** What writes the content. */
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    enum Kind { STDOUT, STREAM, FILE }

    private static final int MAX_LINKS = 40;

    private final String name;
    private final Kind kind;
    /** Where the bytes go: the link-resolved file, the stream's own path, or null for stdout. */
    private final Path path;
    private final OutputStream stdout;
    private Path temp;
    private boolean written;

    private OutputTarget(String name, Kind kind, Path path, OutputStream stdout, Path temp) {
        this.name = name;
        this.kind = kind;
        this.path = path;
        this.stdout = stdout;
        this.temp = temp;
    }

    /** Checks one output; {@code -} writes to {@code stdout}. Fails with one line naming the problem. */
    public static OutputTarget of(String name, OutputStream stdout) throws NpzException {
        if (name.equals("-")) {
            return new OutputTarget(name, Kind.STDOUT, null, Objects.requireNonNull(stdout, "stdout"), null);
        }
        if (name.isEmpty()) {
            throw new NpzException("an empty file name");
        }
        Path given;
        try {
            given = Path.of(name).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new NpzException(name + ": not a valid file name");
        }
        Path target = resolveLinks(name, given);
        if (target == null) {
            // A path through /dev or /proc: a device or a descriptor of this process. Written as it is.
            if (!Files.exists(given)) {
                throw new NpzException(name + ": no such device");
            }
            return new OutputTarget(name, Kind.STREAM, given, null, null);
        }
        BasicFileAttributes attributes = attributes(target);
        if (attributes != null && attributes.isDirectory()) {
            throw new NpzException(name + ": is a folder, not a file");
        }
        if (attributes != null && !attributes.isRegularFile()) {
            if (!Files.isWritable(target)) {
                throw new NpzException(name + ": not writable");
            }
            return new OutputTarget(name, Kind.STREAM, target, null, null);
        }
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NpzException(name + ": folder " + (dir == null ? "(none)" : dir) + " does not exist");
        }
        Path temp;
        try {
            temp = TempFiles.create(dir, target.getFileName().toString());
        } catch (IOException e) {
            throw new NpzException(name + ": cannot write in folder " + dir + ": " + NpzException.reason(e), e);
        }
        return new OutputTarget(name, Kind.FILE, target, null, temp);
    }

    /** A file output without stdout, for files a command names itself (e.g. inside an output folder). */
    public static OutputTarget of(Path file) throws NpzException {
        String name = file.toString();
        return of(name.equals("-") ? "./-" : name, null); // a Path named "-" is a file, not stdout
    }

    /** The name the user gave, for messages. */
    public String name() {
        return name;
    }

    public boolean isStdout() {
        return kind == Kind.STDOUT;
    }

    /** The file that will be written (links resolved), or null for stdout. */
    public Path path() {
        return path;
    }

    /** Writes the content; on failure the target is left as it was and nothing is left beside it. */
    public void write(Body body) throws NpzException {
        if (written) {
            throw new IllegalStateException(name + ": written twice");
        }
        written = true;
        try {
            switch (kind) {
                case STDOUT -> {
                    // Not closed: the caller owns standard output.
                    OutputStream out = new BufferedOutputStream(new NonClosing(stdout), 1 << 16);
                    body.writeTo(out);
                    out.flush();
                }
                case STREAM -> {
                    // No CREATE or TRUNCATE_EXISTING: a pipe or device is opened as it is, never replaced.
                    try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path, StandardOpenOption.WRITE), 1 << 16)) {
                        body.writeTo(out);
                    }
                }
                case FILE -> writeFile(body);
            }
        } catch (NpzException e) {
            throw e;
        } catch (IOException e) {
            throw new NpzException(name + ": cannot write: " + NpzException.reason(e), e);
        } finally {
            close();
        }
    }

    private void writeFile(Body body) throws IOException {
        keepPermissions();
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16)) {
            body.writeTo(out);
            out.flush();
            channel.force(true);
        }
        try {
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, path, StandardCopyOption.REPLACE_EXISTING);
        }
        TempFiles.release(temp);
        temp = null;
    }

    /** A file that is replaced keeps its permission bits. */
    private void keepPermissions() {
        try {
            if (Files.isRegularFile(path)) {
                Files.setPosixFilePermissions(temp, Files.getPosixFilePermissions(path));
            }
        } catch (IOException | UnsupportedOperationException ignored) {
            // The default permissions then: the content matters more than the mode.
        }
    }

    public void writeText(String text) throws NpzException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        write(out -> out.write(bytes));
    }

    /** An uncompressed .npz (as numpy.savez writes), streamed, so that pipes and stdout can take it too. */
    public void writeNpz(Map<String, Tensor> arrays) throws NpzException {
        write(out -> Npz.write(out, arrays, false, name));
    }

    /** Gives up an output that will not be written: its temporary file goes. Idempotent. */
    @Override
    public void close() {
        if (temp != null) {
            TempFiles.delete(temp);
            temp = null;
        }
    }

    /** What identifies the file for aliasing checks; null for stdout. */
    OutputPlan.Identity identity() {
        return kind == Kind.STDOUT ? null : OutputPlan.Identity.of(path);
    }

    /**
     * Follows the chain of symbolic links from {@code given} to a path that is not a link (it may not exist:
     * a dangling link's target is created). Returns null when the chain enters /dev or /proc.
     */
    private static Path resolveLinks(String name, Path given) throws NpzException {
        Path p = given;
        for (int hop = 0; hop <= MAX_LINKS; hop++) {
            if (isSystemPath(p)) {
                return null;
            }
            Path real = realParent(p);
            if (isSystemPath(real)) {
                return null;
            }
            if (!Files.isSymbolicLink(real)) {
                return real;
            }
            try {
                p = real.getParent().resolve(Files.readSymbolicLink(real)).normalize();
            } catch (IOException e) {
                throw new NpzException(name + ": cannot read the link: " + NpzException.reason(e), e);
            }
        }
        throw new NpzException(name + ": more than " + MAX_LINKS + " symbolic links in a chain");
    }

    /** The path with its folder's links resolved, its last name kept (it may be a link or not exist). */
    private static Path realParent(Path p) {
        Path parent = p.getParent();
        if (parent == null || p.getFileName() == null) {
            return p;
        }
        try {
            return parent.toRealPath().resolve(p.getFileName());
        } catch (IOException e) {
            return p; // a missing folder: reported by the caller
        }
    }

    /** Devices and process descriptors; /dev/shm holds ordinary files. */
    private static boolean isSystemPath(Path p) {
        return (p.startsWith("/dev") && !p.startsWith("/dev/shm")) || p.startsWith("/proc");
    }

    private static BasicFileAttributes attributes(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return null;
        }
    }

    /** Keeps a caller's stream open when the writer's buffer is closed. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
