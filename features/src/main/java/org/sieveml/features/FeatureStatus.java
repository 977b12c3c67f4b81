package org.sieveml.features;

/**
 * The state of one served feature value. Only {@link #PRESENT} values are live; every other status
 * carries the view's default (or a missing value).
 *
 * <p>Immutable and thread-safe.
 */
public enum FeatureStatus {
  /** A live value (it may still be a missing value if the stored row had none). */
  PRESENT,
  /** The store has no row (or no window tile) for the entity. */
  NOT_FOUND,
  /** The row, or the newest event of a window, is older than the view's TTL. */
  EXPIRED,
  /**
   * The stored row or tiles were written under another version of the view's definition (a definition
   * replaced while data was live, or a replica still running the old one): never served as live until
   * rewritten or materialized under the current version.
   */
  VERSION_MISMATCH;

  /**
   * The worse of two statuses, for values derived from several inputs (on-demand features): any
   * VERSION_MISMATCH, else any NOT_FOUND, else any EXPIRED, else PRESENT.
   *
   * @param other the other status
   * @return the worse one
   */
  public FeatureStatus worst(FeatureStatus other) {
    return rank(other) > rank(this) ? other : this;
  }

  private static int rank(FeatureStatus s) {
    switch (s) {
      case PRESENT:
        return 0;
      case EXPIRED:
        return 1;
      case NOT_FOUND:
        return 2;
      default:
        return 3;
    }
  }
}
