package org.tensorattention.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * An output that is a folder (e.g. Parquet parts), checked when it is made and never left half-written: the
 * content goes into {@link #staging()}, inside a hidden folder beside the target that is created at the check
 * (so a folder that refuses writes fails before any work), and {@link #commit} renames it into place. A folder
 * that exists already is refused: there is no atomic way to replace one. Closing removes what was not
 * committed.
 */
public final class OutputFolder implements AutoCloseable {
    private final String name;
    private final Path target;
    private Path reserve;

    private OutputFolder(String name, Path target, Path reserve) {
        this.name = name;
        this.target = target;
        this.reserve = reserve;
    }

    /** Checks a folder output: its parent exists and takes files, and nothing has its name yet. */
    public static OutputFolder of(String name) throws NpzException {
        Path target;
        try {
            target = Path.of(name).toAbsolutePath().normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new NpzException(name + ": not a valid folder name");
        }
        Path dir = target.getParent();
        if (dir == null || target.getFileName() == null || !Files.isDirectory(dir)) {
            throw new NpzException(name + ": folder " + (dir == null ? "(none)" : dir) + " does not exist");
        }
        try {
            dir = dir.toRealPath();
        } catch (IOException e) {
            throw new NpzException(name + ": folder " + dir + ": " + NpzException.reason(e), e);
        }
        target = dir.resolve(target.getFileName());
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new NpzException(name + ": already exists (a folder output is always a new folder)");
        }
        Path reserve = dir.resolve("." + target.getFileName() + ".partial-" + UUID.randomUUID());
        try {
            Files.createDirectory(reserve);
        } catch (IOException e) {
            throw new NpzException(name + ": cannot write in folder " + dir + ": " + NpzException.reason(e), e);
        }
        return new OutputFolder(name, target, reserve);
    }

    /** The name the user gave, for messages. */
    public String name() {
        return name;
    }

    /** The folder that will be there once committed (its parent's links resolved). */
    public Path path() {
        return target;
    }

    /** Where to write the content: a folder that does not exist yet, beside the target. */
    public Path staging() {
        if (reserve == null) {
            throw new IllegalStateException(name + " was committed or given up");
        }
        return reserve.resolve("content");
    }

    /** Moves the written content into place in one rename. */
    public void commit() throws NpzException {
        Path content = staging();
        if (!Files.isDirectory(content)) {
            throw new NpzException(name + ": nothing was written");
        }
        // rename(2) would replace an empty folder that appeared meanwhile; a full one fails with ENOTEMPTY.
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new NpzException(name + ": appeared while the command ran; the results were not written");
        }
        try {
            Files.move(content, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            throw new NpzException(name + ": appeared while the command ran; the results were not written", e);
        } catch (IOException e) {
            throw new NpzException(name + ": " + NpzException.reason(e), e);
        }
        close();
    }

    /** Gives up what was not committed; idempotent. */
    @Override
    public void close() {
        if (reserve == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(reserve)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // A hidden leftover is harmless next to the command's own error, which is what the user needs.
        }
        reserve = null;
    }
}
