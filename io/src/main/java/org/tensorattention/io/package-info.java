/**
 * Reading and writing numpy arrays: single {@code .npy} files ({@link org.tensorattention.io.Npy}) and
 * {@code .npz} archives ({@link org.tensorattention.io.Npz}) as numpy.save, numpy.savez and
 * numpy.savez_compressed write them.
 *
 * <p>Reading is strict: every header is checked against the bytes that follow it, nothing past an
 * array's data is read, and any problem ends in a one-line {@link org.tensorattention.io.NpzException}
 * that names the file (and the array), at most 200 characters long. Declared sizes are checked against the
 * file and a memory budget before anything is allocated for them. Writing is atomic: a file appears
 * complete or not at all.
 */
package org.tensorattention.io;
