package org.sieveml.features;

import java.nio.file.Path;
import java.util.List;

/**
 * What a store opened in salvage mode ({@link EmbeddedOnlineStore.Builder#salvage(boolean)},
 * {@link EmbeddedOfflineStore.Builder#salvage(boolean)}) skipped to recover a damaged log.
 *
 * <p>By default a log damaged in the middle (a failed checksum, a bad marker or length, an undecodable
 * record, a gap in its record numbers) is refused with a {@link StorageCorruptedException}, so intact
 * records after the damage are never dropped silently. Salvage mode is the explicit way past that: it
 * keeps every intact record, skips each damaged byte range, and reports every range here (and as a
 * WARN line). Before anything changes, the damaged file is copied byte for byte to {@link #preserved()}
 * (named {@code <file>.damaged-<epoch millis>}), so nothing is lost even from the skipped ranges; the
 * store then writes what it recovered durably (the online store checkpoints, the offline store seals
 * the log into a segment), so the next open in the default mode succeeds.
 *
 * <p>Immutable and thread-safe.
 *
 * @param skipped every skipped byte range, in the order found
 * @param preserved the copies of the damaged files, made before anything was changed
 */
public record SalvageReport(List<Skipped> skipped, List<Path> preserved) {

  /** A report of nothing skipped. */
  public static final SalvageReport CLEAN = new SalvageReport(List.of(), List.of());

  /**
   * A report.
   *
   * @param skipped every skipped byte range
   * @param preserved the copies of the damaged files
   */
  public SalvageReport {
    skipped = List.copyOf(skipped);
    preserved = List.copyOf(preserved);
  }

  /**
   * Whether nothing was skipped.
   *
   * @return true when the logs were intact (a torn tail after the last sync does not count)
   */
  public boolean clean() {
    return skipped.isEmpty();
  }

  /**
   * One skipped byte range of a damaged file.
   *
   * <p>Immutable and thread-safe.
   *
   * @param file the damaged file
   * @param offset the first skipped byte, -1 for a gap found between two intact records
   * @param length the number of bytes skipped (0 for a gap)
   * @param reason what was wrong there
   */
  public record Skipped(Path file, long offset, long length, String reason) {

    @Override
    public String toString() {
      return offset < 0 ? file + ": " + reason : file + " bytes " + offset + ".." + (offset + length) + ": " + reason;
    }
  }
}
