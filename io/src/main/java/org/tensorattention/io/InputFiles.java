package org.tensorattention.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/** The checks made on an input file before reading it, with one-line messages. */
final class InputFiles {
    private InputFiles() {}

    /** Size in bytes of a regular, existing file (links followed). */
    static long size(Path file) throws NpzException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new NpzException(file + ": " + NpzException.reason(e), e);
        }
        if (attributes.isDirectory()) {
            throw new NpzException(file + ": is a directory, not a file");
        }
        if (!attributes.isRegularFile()) {
            throw new NpzException(file + ": not a regular file");
        }
        return attributes.size();
    }
}
