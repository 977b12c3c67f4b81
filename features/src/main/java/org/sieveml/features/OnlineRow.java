package org.sieveml.features;

import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;

/**
 * The latest values of one entity in one feature view, as an {@link OnlineStore} keeps them: the
 * values, the three times of the row (bitemporal: when it happened, when it was created, when the store
 * ingested it) and the version of the view definition it was written under.
 *
 * <p>Immutable and thread-safe.
 *
 * @param key the entity key
 * @param values the view's features
 * @param eventTime the event time of the values, epoch milliseconds
 * @param createdTime when they were created upstream, epoch milliseconds
 * @param ingestedTime when the store ingested them (pushed or materialized), epoch milliseconds
 * @param version the {@link ViewDefinition#version()} the row was written under; empty for rows of a
 *     format that had no version (never served as live)
 */
public record OnlineRow(EntityKey key, FeatureVector values, long eventTime, long createdTime, long ingestedTime,
    String version) {

  /**
   * Checks the fields.
   *
   * @param key the entity key
   * @param values the values
   * @param eventTime the event time
   * @param createdTime the created time
   * @param ingestedTime the ingestion time
   * @param version the definition version
   */
  public OnlineRow {
    if (key == null || values == null || version == null) {
      throw new IllegalArgumentException("online row needs a key, values and a version, had key=" + key + ", values="
          + values + ", version=" + version);
    }
  }

  /**
   * Whether this row should replace {@code other} in a store: when {@code other} is absent, or this row
   * has a later event time, or the same event time and a later or equal created time — whatever the
   * definition versions (a late event of a new version must not hide a newer row; the newer row, if of
   * another version, is served as VERSION_MISMATCH until a newer row or a materialization under the
   * current version replaces it). Every store applies this rule atomically per key.
   *
   * @param other the stored row, or null
   * @return true if this one should replace {@code other}
   */
  public boolean isNewerThan(OnlineRow other) {
    return other == null || eventTime > other.eventTime
        || (eventTime == other.eventTime && createdTime >= other.createdTime);
  }
}
