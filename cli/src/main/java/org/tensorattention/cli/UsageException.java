package org.tensorattention.cli;

/** Bad input or a bad command line: reported as one line, exit status 2. */
final class UsageException extends RuntimeException {
    UsageException(String message) {
        super(message);
    }
}
