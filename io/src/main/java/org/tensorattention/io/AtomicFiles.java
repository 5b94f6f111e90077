package org.tensorattention.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes a file so that it appears complete or not at all: the bytes go to a hidden temporary file in the
 * target's directory (same file system, so the final rename is atomic), which is synced and then moved
 * over the target. On any failure the temporary file is removed and an existing target is left as it was.
 */
final class AtomicFiles {
    /** What writes the content. */
    interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    static void write(Path target, Body body) throws NpzException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NpzException(target + ": output directory " + (dir == null ? "(none)" : dir) + " does not exist");
        }
        if (Files.isDirectory(absolute)) {
            throw new NpzException(target + ": is a directory");
        }
        Path temp = createTemp(target, dir, absolute.getFileName().toString());
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE);
                    OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16)) {
                body.writeTo(out);
                out.flush();
                channel.force(true);
            }
            move(temp, absolute);
            moved = true;
        } catch (NpzException e) {
            throw e;
        } catch (IOException e) {
            throw new NpzException(target + ": cannot write: " + NpzException.reason(e), e);
        } finally {
            if (!moved) {
                deleteQuietly(temp);
            }
        }
    }

    /** A new empty file with default permissions (not the owner-only ones of Files.createTempFile). */
    private static Path createTemp(Path target, Path dir, String name) throws NpzException {
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt == 100) {
                    throw new NpzException(target + ": cannot create a temporary file in " + dir, e);
                }
            } catch (IOException e) {
                throw new NpzException(target + ": cannot write in " + dir + ": " + NpzException.reason(e), e);
            }
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void deleteQuietly(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // Nothing more to do: the failure that brought us here is the one to report.
        }
    }
}
