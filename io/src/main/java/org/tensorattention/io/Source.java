package org.tensorattention.io;

/**
 * Where the bytes of one .npy array come from, for the checks and messages of reading it.
 *
 * @param where names the file (and the array in an archive) in messages
 * @param noun what ends early when the bytes run out: "file", "entry" or "stream"
 * @param length bytes the source holds, or -1 when unknown
 * @param exact whether {@code length} is backed by bytes that are there (a file's size, a stored entry), so
 *     that memory may be set aside for it at once; a deflated entry's declared size is only a claim
 * @param budget the memory that reading may still set aside
 */
record Source(String where, String noun, long length, boolean exact, ReadBudget budget) {

    /** "x.npy: truncated header: the file ends at byte 40 of 128". */
    NpzException truncated(String part, long endsAt, long needed) {
        return new NpzException(where + ": truncated " + part + ": the " + noun + " ends at byte " + endsAt + " of " + needed);
    }
}
