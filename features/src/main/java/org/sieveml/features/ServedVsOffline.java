package org.sieveml.features;

import java.util.List;
import java.util.Objects;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;

/**
 * What was served for a sample of keys next to what the offline store replays for the same keys at the
 * same time (a point-in-time join at the read time): the raw material of a training/serving skew check.
 *
 * <p>Both frames have the served schema (the offline frame is projected to it) and the same rows in
 * the same order: row {@code i} of {@code served} and of {@code offline} describe {@code keys.get(i)}
 * read at {@code readTime}. By design (see {@link FeatureStore#getOnlineFeatures}) the two agree value
 * for value; a difference means skew (e.g. a stale online row, or a transform that differs between
 * paths). The comparison itself is the host's: {@code org.sieveml.monitoring.SkewCheck} compares two
 * such frames by distribution and value by value, and this module does not depend on it.
 *
 * <p>Immutable and thread-safe (frames are immutable).
 *
 * @param keys the entity keys, in row order
 * @param readTime the time the served values were read (and the offline values joined), epoch millis
 * @param served the served values, one row per key
 * @param offline the point-in-time replay at {@code readTime}, one row per key, same schema as
 *     {@code served}
 */
public record ServedVsOffline(List<EntityKey> keys, long readTime, FeatureFrame served, FeatureFrame offline) {

  /**
   * Validates and copies.
   *
   * @param keys keys
   * @param readTime read time
   * @param served served values
   * @param offline offline values
   * @throws IllegalArgumentException if an argument is null, or the frames' row counts or schemas do
   *     not match the keys and each other
   */
  public ServedVsOffline {
    if (keys == null || served == null || offline == null) {
      throw new IllegalArgumentException("keys, served and offline must not be null, were " + keys + ", "
          + served + ", " + offline);
    }
    keys = List.copyOf(keys);
    if (served.rowCount() != keys.size() || offline.rowCount() != keys.size()) {
      throw new IllegalArgumentException("served and offline must have one row per key (" + keys.size()
          + "), had " + served.rowCount() + " and " + offline.rowCount());
    }
    if (!Objects.equals(served.schema().names(), offline.schema().names())) {
      throw new IllegalArgumentException("served and offline must have the same features, had "
          + served.schema().names() + " and " + offline.schema().names());
    }
  }

  /**
   * The number of rows (keys) in the sample.
   *
   * @return rows
   */
  public int size() {
    return keys.size();
  }
}
