package org.sieveml.core.pipeline;

/**
 * The state of one served feature value as a {@link FeatureSource} reports it in a
 * {@link FeatureFetch}, and as a {@link ServingLog} records it. The constants other than
 * {@link #UNKNOWN} mirror, by name, the feature store's {@code org.sieveml.features.FeatureStatus};
 * this module cannot name that type, so a source backed by the store maps its statuses by name.
 *
 * <p>Immutable and thread-safe.
 */
public enum ServedStatus {
  /** The source did not report a status (it implements only {@link FeatureSource#fetch}). */
  UNKNOWN,
  /** A live value (it may still be a missing value if the stored row had none). */
  PRESENT,
  /** The store had no row (or no window tile) for the entity: the value is the view's default. */
  NOT_FOUND,
  /** The row was older than the view's time-to-live: the value is the view's default. */
  EXPIRED,
  /** The stored row was written under another version of the view's definition. */
  VERSION_MISMATCH;

  private static final ServedStatus[] VALUES = values();

  /**
   * The status of a given name.
   *
   * @param name one of the constants' names
   * @return the status
   * @throws IllegalArgumentException naming the value and the expected names otherwise
   */
  public static ServedStatus parse(String name) {
    for (ServedStatus s : VALUES) {
      if (s.name().equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException("served status must be one of UNKNOWN, PRESENT, NOT_FOUND, EXPIRED, "
        + "VERSION_MISMATCH, was " + (name == null ? "null" : "'" + name + "'"));
  }

  static ServedStatus ofOrdinal(int ordinal) {
    return VALUES[ordinal];
  }
}
