package org.tensorattention.io;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;

/**
 * A .npy or .npz file that cannot be read or written. The message is one line that names the file (and,
 * inside an archive, the array) and the problem, e.g. {@code in.npz: array 'q': unsupported dtype '<c16'}.
 * It is at most 200 characters long and holds no control characters, whatever the file contains.
 */
public class NpzException extends IOException {
    private static final long serialVersionUID = 1L;

    public NpzException(String message) {
        super(oneLine(message));
    }

    public NpzException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** A short reason for a file-system failure, without the path that the caller names already. */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** Messages may quote file contents or a cause's text: one short line without control characters. */
    private static String oneLine(String message) {
        return Messages.clean(message);
    }
}
