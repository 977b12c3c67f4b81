package org.sieveml.features;

import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;

/**
 * The latest values of one entity in one view, as an {@link OnlineStore} keeps them.
 *
 * <p>Immutable and thread-safe.
 *
 * @param key the entity key
 * @param values the view's features
 * @param eventTime the event time of the values, epoch milliseconds
 * @param createdTime when they were created (ingested), epoch milliseconds
 */
public record OnlineRow(EntityKey key, FeatureVector values, long eventTime, long createdTime) {

  /**
   * Checks the fields.
   *
   * @param key the entity key
   * @param values the values
   * @param eventTime the event time
   * @param createdTime the created time
   */
  public OnlineRow {
    if (key == null || values == null) {
      throw new IllegalArgumentException("online row needs a key and values, had key=" + key + ", values=" + values);
    }
  }

  /**
   * Whether this row is newer than another: a later event time, or the same event time and a later
   * created time. Writes keep the newer row.
   *
   * @param other the other row, or null
   * @return true if this one should replace {@code other}
   */
  public boolean isNewerThan(OnlineRow other) {
    return other == null || eventTime > other.eventTime
        || (eventTime == other.eventTime && createdTime >= other.createdTime);
  }
}
