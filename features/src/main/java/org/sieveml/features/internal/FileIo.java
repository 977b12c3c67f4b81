package org.sieveml.features.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Every file operation of the durable stores goes through one of these, so that a test can inject
 * faults and record the order of writes, forces, renames and directory syncs (a {@code kill -9} test
 * alone cannot see a missing fsync). {@link #DEFAULT} is the real file system.
 *
 * <p>Implementations must be thread-safe.
 */
public interface FileIo {

  /** The real file system. */
  FileIo DEFAULT = new FileIo() {};

  /**
   * Opens a channel.
   *
   * @param file the file
   * @param options open options
   * @return the channel
   * @throws IOException on failure
   */
  default FileChannel open(Path file, OpenOption... options) throws IOException {
    return FileChannel.open(file, options);
  }

  /**
   * Renames a file atomically, replacing the target.
   *
   * @param from the source
   * @param to the target
   * @throws IOException on failure (also when the file system cannot rename atomically)
   */
  default void rename(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("cannot rename " + from + " atomically: " + e.getMessage(), e);
    }
  }

  /**
   * Forces a directory's entries (created, renamed and deleted names) to stable storage.
   *
   * @param dir the directory
   * @throws IOException on failure
   */
  default void syncDirectory(Path dir) throws IOException {
    try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException e) {
      // some platforms (Windows) cannot open a directory; there a rename is durable by itself
      if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win")) {
        throw e;
      }
    }
  }

  /**
   * Creates a directory and any missing parents, syncing the parent of each one it creates: a file
   * forced and renamed inside a new directory does not survive a power loss while the directory's
   * own entry is not durable.
   *
   * @param dir the directory
   * @throws IOException on failure
   */
  default void createDirectories(Path dir) throws IOException {
    Path d = dir.toAbsolutePath();
    if (Files.isDirectory(d)) {
      return;
    }
    Path parent = d.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    try {
      Files.createDirectory(d);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      if (!Files.isDirectory(d)) {
        throw e;
      }
      // made at the same moment by another thread: sync its parent here too before relying on it
    }
    if (parent != null) {
      syncDirectory(parent);
    }
  }

  /**
   * Deletes a file if it exists.
   *
   * @param file the file
   * @throws IOException on failure
   */
  default void delete(Path file) throws IOException {
    Files.deleteIfExists(file);
  }

  /**
   * Writes bytes to a new file and makes it durable under its final name: write to {@code name.tmp},
   * force, rename over {@code file}, sync the directory.
   *
   * @param file the final name
   * @param content the bytes (from position to limit)
   * @throws IOException on failure; the final name then holds its previous content
   */
  default void writeAtomically(Path file, java.nio.ByteBuffer content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (FileChannel c = open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      while (content.hasRemaining()) {
        c.write(content);
      }
      c.force(true);
    }
    rename(tmp, file);
    syncDirectory(file.getParent());
  }
}
