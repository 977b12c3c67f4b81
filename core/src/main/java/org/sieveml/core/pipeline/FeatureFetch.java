package org.sieveml.core.pipeline;

import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.internal.ReadOnlyArrayList;

/**
 * What {@link FeatureSource#fetchWithStatus} returns: the vectors {@link FeatureSource#fetch} would
 * return, and, when the source knows them, what a later replay needs to read the same values again: the
 * entity key read for each candidate, the status of each served value and the time the values were read
 * at (by the source's clock). A source that knows none of these returns {@link #of(List)}: every status
 * {@link ServedStatus#UNKNOWN}, no keys, no read time.
 *
 * <p>Immutable and thread-safe (the vectors are immutable; the lists and the statuses are copied).
 */
public final class FeatureFetch {

  /** The {@link #readTimeMillis()} of a fetch that does not know when it read. */
  public static final long UNKNOWN_TIME = Long.MIN_VALUE;

  private static final byte[] NO_STATUS = new byte[0];

  private final List<FeatureVector> vectors;
  private final List<EntityKey> keys;
  /** One per vector and feature, row-major; empty when every status is UNKNOWN. */
  private final byte[] status;
  private final int features;
  private final long readTimeMillis;

  private FeatureFetch(List<FeatureVector> vectors, List<EntityKey> keys, byte[] status, int features,
      long readTimeMillis) {
    this.vectors = vectors;
    this.keys = keys;
    this.status = status;
    this.features = features;
    this.readTimeMillis = readTimeMillis;
  }

  /**
   * A fetch that reports only its vectors: every status {@link ServedStatus#UNKNOWN}, no keys, no read
   * time.
   *
   * @param vectors the vectors, as {@link FeatureSource#fetch} returns them (validated by the pipeline)
   * @return the fetch, or null when {@code vectors} is null (the pipeline reports a null fetch)
   */
  public static FeatureFetch of(List<FeatureVector> vectors) {
    return vectors == null ? null : new FeatureFetch(vectors, List.of(), NO_STATUS, 0, UNKNOWN_TIME);
  }

  /**
   * A fetch with the keys read, the statuses and the read time.
   *
   * @param vectors one vector per candidate, each of {@code schema}
   * @param schema the source's schema
   * @param keys the entity key read for each candidate, same order and size as {@code vectors}
   * @param statuses {@code vectors.size() * schema.size()} statuses, row-major (all of vector 0's
   *     features, then vector 1's ...), none null
   * @param readTimeMillis the time the values were read at, epoch milliseconds, or {@link #UNKNOWN_TIME}
   * @return the fetch
   * @throws IllegalArgumentException naming the argument whose size or content does not fit
   */
  public static FeatureFetch of(List<FeatureVector> vectors, FeatureSchema schema, List<EntityKey> keys,
      ServedStatus[] statuses, long readTimeMillis) {
    if (vectors == null || schema == null || keys == null || statuses == null) {
      throw new IllegalArgumentException("vectors, schema, keys and statuses must not be null");
    }
    if (keys.size() != vectors.size()) {
      throw new IllegalArgumentException("keys has " + keys.size() + " entries, expected one per vector ("
          + vectors.size() + ")");
    }
    long expected = (long) vectors.size() * schema.size();
    if (statuses.length != expected) {
      throw new IllegalArgumentException("statuses has " + statuses.length + " entries, expected vectors x features = "
          + vectors.size() + " x " + schema.size() + " = " + expected);
    }
    byte[] s = new byte[statuses.length];
    for (int i = 0; i < s.length; i++) {
      if (statuses[i] == null) {
        throw new IllegalArgumentException("statuses[" + i + "] (vector " + i / Math.max(1, schema.size())
            + ", feature " + i % Math.max(1, schema.size()) + ") must not be null");
      }
      s[i] = (byte) statuses[i].ordinal();
    }
    Object[] k = keys.toArray();
    for (int i = 0; i < k.length; i++) {
      if (k[i] == null) {
        throw new IllegalArgumentException("keys[" + i + "] must not be null");
      }
    }
    Object[] v = vectors.toArray();
    return new FeatureFetch(new ReadOnlyArrayList<>(v, v.length), new ReadOnlyArrayList<>(k, k.length), s,
        schema.size(), readTimeMillis);
  }

  /**
   * The vectors, one per candidate.
   *
   * @return the list as given (the pipeline validates it like the result of {@link FeatureSource#fetch})
   */
  public List<FeatureVector> vectors() {
    return vectors;
  }

  /**
   * The entity key read for each candidate.
   *
   * @return an unmodifiable list, one per vector, or empty when the source does not report keys
   */
  public List<EntityKey> keys() {
    return keys;
  }

  /**
   * Whether the source reported statuses.
   *
   * @return false when every status is {@link ServedStatus#UNKNOWN}
   */
  public boolean hasStatuses() {
    return status.length > 0;
  }

  /**
   * The status of one served value.
   *
   * @param vector the vector's position
   * @param feature the feature's index in the source's schema
   * @return the status, {@link ServedStatus#UNKNOWN} when the source reported none
   */
  public ServedStatus status(int vector, int feature) {
    return status.length == 0 ? ServedStatus.UNKNOWN : ServedStatus.ofOrdinal(status[vector * features + feature]);
  }

  /**
   * When the values were read, by the source's clock: the time a replay reads the store as of.
   *
   * @return epoch milliseconds, or {@link #UNKNOWN_TIME}
   */
  public long readTimeMillis() {
    return readTimeMillis;
  }

  byte[] statusCodes() {
    return status;
  }

  @Override
  public String toString() {
    return "FeatureFetch{" + (vectors == null ? 0 : vectors.size()) + " vectors, keys=" + !keys.isEmpty()
        + ", statuses=" + hasStatuses() + ", readTime=" + (readTimeMillis == UNKNOWN_TIME ? "unknown" : readTimeMillis)
        + "}";
  }
}
