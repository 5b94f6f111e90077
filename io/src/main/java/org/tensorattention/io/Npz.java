package org.tensorattention.io;

import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.tensorattention.core.Tensor;

/**
 * A numpy .npz archive: a zip of .npy files, entry {@code "x.npy"} holding the array named {@code "x"}.
 *
 * <p>Reads what numpy.savez (stored entries) and numpy.savez_compressed (deflated entries) write, every
 * array checked as {@link Npy} checks it plus the entry's CRC. Writes uncompressed archives by default,
 * compressed on request, always atomically.
 */
public final class Npz {
    private static final String SUFFIX = ".npy";
    /** The fixed entry time numpy uses too, so that equal arrays give equal files. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);

    private Npz() {}

    /**
     * Every array of the archive, by name, in the order of the archive, within the default memory budget
     * (half of the heap the JVM may grow to) for all of them together.
     */
    public static Map<String, Tensor> read(Path file) throws NpzException {
        return read(file, ReadBudget.defaultBytes());
    }

    /**
     * Every array of the archive; an archive whose arrays together need more than {@code maxBytes} of memory
     * fails, before that memory is set aside, with a message naming the size.
     */
    public static Map<String, Tensor> read(Path file, long maxBytes) throws NpzException {
        ReadBudget budget = new ReadBudget(maxBytes);
        long size = InputFiles.size(file);
        checkLooksLikeZip(file, size);
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                String key = keyOf(file, entry);
                if (arrays.containsKey(key)) {
                    throw new NpzException(file + ": array '" + Messages.abbreviate(key, 60) + "' appears twice");
                }
                arrays.put(key, readEntry(file, size, zip, entry, key, budget));
            }
        } catch (NpzException e) {
            throw e;
        } catch (ZipException e) {
            throw new NpzException(file + ": corrupt or truncated zip archive: " + NpzException.reason(e), e);
        } catch (EOFException e) {
            // The directory points past the end of the file.
            throw new NpzException(file + ": corrupt or truncated zip archive: a record runs past the end of the file", e);
        } catch (IllegalArgumentException e) {
            // java.util.zip reports some malformed entry names this way.
            throw new NpzException(file + ": corrupt zip archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new NpzException(file + ": cannot read: " + NpzException.reason(e), e);
        }
        return arrays;
    }

    /** Tells a .npy file, an empty file and other non-zip files apart from a damaged archive. */
    private static void checkLooksLikeZip(Path file, long size) throws NpzException {
        if (size == 0) {
            throw new NpzException(file + ": empty file, not an .npz archive");
        }
        byte[] head;
        try (InputStream in = Files.newInputStream(file)) {
            head = in.readNBytes(6);
        } catch (IOException e) {
            throw new NpzException(file + ": cannot read: " + NpzException.reason(e), e);
        }
        if (head.length >= 6 && (head[0] & 0xff) == 0x93 && new String(head, 1, 5, StandardCharsets.ISO_8859_1).equals("NUMPY")) {
            throw new NpzException(file + ": a .npy array, not an .npz archive");
        }
        if (head.length < 4 || head[0] != 'P' || head[1] != 'K') {
            throw new NpzException(file + ": not a zip archive (bad magic)");
        }
    }

    private static String keyOf(Path file, ZipEntry entry) throws NpzException {
        String name = entry.getName();
        if (entry.isDirectory() || !name.endsWith(SUFFIX) || name.length() == SUFFIX.length()) {
            throw new NpzException(file + ": entry '" + Messages.abbreviate(name, 60) + "' is not a .npy array");
        }
        return name.substring(0, name.length() - SUFFIX.length());
    }

    private static Tensor readEntry(Path file, long fileSize, ZipFile zip, ZipEntry entry, String key, ReadBudget budget)
            throws NpzException {
        String where = file + ": array '" + Messages.abbreviate(key, 60) + "'";
        checkDeclaredSize(where, entry, fileSize);
        long size = entry.getSize();
        // A stored entry's size is backed by the file (checked above); a deflated entry's is only a claim.
        Source source = new Source(where, "entry", size, entry.getMethod() == ZipEntry.STORED, budget);
        CountingInputStream counted = null;
        try (CheckedInputStream in = new CheckedInputStream(
                counted = new CountingInputStream(zip.getInputStream(entry)), new CRC32())) {
            Tensor tensor = Npy.read(in, source);
            if (entry.getCrc() != -1 && in.getChecksum().getValue() != entry.getCrc()) {
                throw new NpzException(where + ": CRC mismatch, the data is corrupt");
            }
            return tensor;
        } catch (NpzException e) {
            throw e;
        } catch (EOFException e) {
            throw source.truncated("data", counted == null ? 0 : counted.count(), size);
        } catch (ZipException e) {
            throw new NpzException(where + ": corrupt compressed data: " + NpzException.reason(e), e);
        } catch (IOException e) {
            throw new NpzException(where + ": corrupt data: " + NpzException.reason(e), e);
        }
    }

    /** Counts the bytes that come out of an entry, to say where it ends when it ends early. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }

    /** Deflate expands at most about 1032-fold: a larger claim is a corrupt or hostile directory entry. */
    private static final long MAX_DEFLATE_RATIO = 1032;

    /**
     * Refuses sizes the archive cannot back before any memory is set aside for them: compressed bytes must
     * fit in the file, a stored entry's size must equal them, a deflated one's stay within deflate's largest
     * ratio. The array's header is then checked against the size (see {@link Npy}).
     */
    private static void checkDeclaredSize(String where, ZipEntry entry, long fileSize) throws NpzException {
        long size = entry.getSize();
        long packed = entry.getCompressedSize();
        if (size < 0 || packed < 0) {
            throw new NpzException(where + ": corrupt zip entry: no size declared");
        }
        if (packed > fileSize) {
            throw new NpzException(where + ": corrupt zip entry: " + packed + " compressed bytes declared in a file of "
                    + fileSize + " bytes");
        }
        boolean stored = entry.getMethod() == ZipEntry.STORED;
        if ((stored && size != packed) || (!stored && size > MAX_DEFLATE_RATIO * packed + 64)) {
            throw new NpzException(where + ": corrupt zip entry: " + size + " bytes declared in " + packed
                    + " compressed bytes");
        }
    }

    /** Writes an uncompressed archive (as numpy.savez), atomically. */
    public static void write(Path file, Map<String, Tensor> arrays) throws NpzException {
        write(file, arrays, false);
    }

    /**
     * Writes an archive, deflated when {@code compressed} (as numpy.savez_compressed), else stored;
     * atomically: on any failure, no file (and no temporary file) is left behind.
     */
    public static void write(Path file, Map<String, Tensor> arrays, boolean compressed) throws NpzException {
        if (arrays == null) {
            throw new IllegalArgumentException(file + ": no arrays to write (null)");
        }
        OutputTarget.of(file).write(out -> write(out, arrays, compressed, file.toString()));
    }

    /**
     * Streams an archive: entries are written in one pass (no seeking back), so pipes and stdout can take it.
     * {@code where} names the output in messages. The stream is finished, not closed: the caller owns it.
     */
    static void write(OutputStream out, Map<String, Tensor> arrays, boolean compressed, String where) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
            String key = e.getKey();
            Tensor tensor = e.getValue();
            if (key == null || key.isEmpty()) {
                throw new IllegalArgumentException(where + ": an array has an empty name");
            }
            if (tensor == null) {
                throw new IllegalArgumentException(where + ": array '" + key + "' is null");
            }
            zip.putNextEntry(entry(key + SUFFIX, tensor, compressed));
            Npy.write(zip, tensor);
            zip.closeEntry();
        }
        zip.finish();
    }

    /** A stored entry must state its size and CRC up front; a deflated one gets them as it is written. */
    private static ZipEntry entry(String name, Tensor tensor, boolean compressed) throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setTimeLocal(ENTRY_TIME);
        if (compressed) {
            entry.setMethod(ZipEntry.DEFLATED);
            return entry;
        }
        CheckedOutputStream crc = new CheckedOutputStream(OutputStream.nullOutputStream(), new CRC32());
        Npy.write(crc, tensor);
        long length = Npy.fileLength(tensor);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(length);
        entry.setCompressedSize(length);
        entry.setCrc(crc.getChecksum().getValue());
        return entry;
    }
}
