package org.sieveml.features.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.sieveml.features.SalvageReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects what a salvage-mode open skipped; a store opened in the default mode has none (null).
 *
 * <p>Thread-safe.
 */
public final class Salvage {

  private static final Logger LOG = LoggerFactory.getLogger(Salvage.class);

  private final List<SalvageReport.Skipped> skipped = new ArrayList<>();
  private final List<Path> preserved = new ArrayList<>();

  /**
   * Records a skipped range.
   *
   * @param file the damaged file
   * @param offset the first skipped byte
   * @param length bytes skipped
   * @param reason what was wrong
   */
  public synchronized void skip(Path file, long offset, long length, String reason) {
    SalvageReport.Skipped s = new SalvageReport.Skipped(file, offset, length, reason);
    LOG.warn("salvage: skipping {}", s);
    skipped.add(s);
  }

  /**
   * Copies a damaged file aside, byte for byte and forced, before it is changed.
   *
   * @param file the damaged file
   * @param io file operations
   * @return the copy
   * @throws IOException if the copy cannot be made (then nothing was changed)
   */
  public synchronized Path preserve(Path file, FileIo io) throws IOException {
    Path copy = file.resolveSibling(file.getFileName() + ".damaged-" + System.currentTimeMillis());
    for (int i = 1; Files.exists(copy); i++) {
      copy = file.resolveSibling(file.getFileName() + ".damaged-" + System.currentTimeMillis() + "-" + i);
    }
    Files.copy(file, copy, StandardCopyOption.COPY_ATTRIBUTES);
    try (java.nio.channels.FileChannel c = io.open(copy, java.nio.file.StandardOpenOption.READ,
        java.nio.file.StandardOpenOption.WRITE)) {
      c.force(true);
    }
    io.syncDirectory(copy.getParent());
    LOG.warn("salvage: the damaged {} is preserved as {}", file, copy);
    preserved.add(copy);
    return copy;
  }

  /**
   * The number of ranges skipped so far.
   *
   * @return the count
   */
  public synchronized int count() {
    return skipped.size();
  }

  /**
   * What was skipped so far.
   *
   * @return an immutable report
   */
  public synchronized SalvageReport report() {
    return new SalvageReport(skipped, preserved);
  }
}
