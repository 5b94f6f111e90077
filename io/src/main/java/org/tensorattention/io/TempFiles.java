package org.tensorattention.io;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Temporary files that must not outlive the process: each is registered when created and removed by a
 * shutdown hook unless its owner has moved or deleted it first. The JVM runs shutdown hooks on a normal
 * exit, on System.exit and on SIGINT, SIGTERM and SIGHUP, so only SIGKILL (or a power cut) can leave one.
 */
public final class TempFiles {
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(TempFiles::deleteAll, "tensor-attention-temp-cleanup"));
    }

    private TempFiles() {}

    /**
     * A new empty file {@code .NAME.RANDOM.tmp} in {@code dir}, with default permissions (not the owner-only
     * ones of Files.createTempFile), registered for removal.
     */
    public static Path create(Path dir, String name) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + name + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            // Registered before it exists, so that a signal between the two steps cannot leave it behind.
            LIVE.add(temp);
            try {
                return Files.createFile(temp);
            } catch (FileAlreadyExistsException e) {
                LIVE.remove(temp);
                if (attempt == 100) {
                    throw e;
                }
            } catch (IOException | RuntimeException e) {
                LIVE.remove(temp);
                throw e;
            }
        }
    }

    /** The file has been renamed into place: nothing to remove any more. */
    public static void release(Path temp) {
        LIVE.remove(temp);
    }

    /** Removes the file now, quietly: the failure that brought the caller here is the one to report. */
    public static void delete(Path temp) {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // Left for the shutdown hook's second try.
            return;
        }
        LIVE.remove(temp);
    }

    private static void deleteAll() {
        for (Path p : LIVE) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // Nothing more can be done while the JVM stops.
            }
        }
    }
}
