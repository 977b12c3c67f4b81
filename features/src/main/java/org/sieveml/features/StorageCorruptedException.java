package org.sieveml.features;

import java.nio.file.Path;

/**
 * A stored file failed its checks (magic, version, checksum, lengths) when it was opened or read. The
 * store refuses to go on rather than drop the damaged data and whatever follows it silently: restore
 * the file, or move it aside to start without it. The message names the file, the byte offset of the
 * damaged part and what was expected there.
 *
 * <p>Immutable and thread-safe.
 */
public final class StorageCorruptedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient Path file;
  /** The byte offset of the damaged part, -1 if unknown. */
  private final long offset;

  /**
   * A new exception.
   *
   * @param file the damaged file
   * @param offset the byte offset of the damaged part, -1 if unknown
   * @param message what was found and what was expected
   */
  public StorageCorruptedException(Path file, long offset, String message) {
    super(file + (offset >= 0 ? " at byte " + offset : "") + ": " + message);
    this.file = file;
    this.offset = offset;
  }

  /**
   * The damaged file.
   *
   * @return its path
   */
  public Path file() {
    return file;
  }

  /**
   * The byte offset of the damaged part.
   *
   * @return the offset, -1 if unknown
   */
  public long offset() {
    return offset;
  }
}
