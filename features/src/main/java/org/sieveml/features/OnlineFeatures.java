package org.sieveml.features;

import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/**
 * The answer to {@link FeatureStore#getOnlineFeatures}: per requested key, one vector of the feature
 * service's output schema, and per feature its {@link FeatureStatus} and event time. A feature of a
 * feature view that is not PRESENT holds the view's default, or a missing value; an aggregation
 * feature that is NOT_FOUND or VERSION_MISMATCH reads as an empty window (see {@link AggregationView}).
 *
 * <p>Immutable and thread-safe.
 */
public final class OnlineFeatures {

  private static final FeatureStatus[] STATUS = FeatureStatus.values();

  private final FeatureSchema schema;
  private final List<EntityKey> keys;
  private final FeatureVector[] vectors;
  private final byte[] status;
  private final long[] eventTime;
  private final long readTime;
  /** True when status and eventTime hold one entry per key that applies to all its features. */
  private final boolean perKey;

  OnlineFeatures(FeatureSchema schema, List<EntityKey> keys, FeatureVector[] vectors, byte[] status, long[] eventTime,
      long readTime) {
    this(schema, keys, vectors, status, eventTime, readTime, false);
  }

  OnlineFeatures(FeatureSchema schema, List<EntityKey> keys, FeatureVector[] vectors, byte[] status, long[] eventTime,
      long readTime, boolean perKey) {
    this.perKey = perKey;
    this.schema = schema;
    this.keys = List.copyOf(keys);
    this.vectors = vectors;
    this.status = status;
    this.eventTime = eventTime;
    this.readTime = readTime;
  }

  /**
   * The output schema (the feature service's).
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The number of keys answered.
   *
   * @return keys
   */
  public int size() {
    return vectors.length;
  }

  /**
   * The keys, in request order.
   *
   * @return an unmodifiable list
   */
  public List<EntityKey> keys() {
    return keys;
  }

  /**
   * The features of the i-th key.
   *
   * @param i the key's position
   * @return its vector
   */
  public FeatureVector vector(int i) {
    return vectors[i];
  }

  /**
   * All vectors in key order.
   *
   * @return an unmodifiable list
   */
  public List<FeatureVector> vectors() {
    return List.of(vectors);
  }

  /**
   * The status of one feature of one key.
   *
   * @param i the key's position
   * @param feature the feature's index in {@link #schema()}
   * @return the status
   */
  public FeatureStatus status(int i, int feature) {
    return STATUS[status[perKey ? i : i * schema.size() + feature]];
  }

  /**
   * The status of one feature of one key, by name.
   *
   * @param i the key's position
   * @param feature the feature's name
   * @return the status
   */
  public FeatureStatus status(int i, String feature) {
    return status(i, schema.require(feature));
  }

  /**
   * The event time of one served value.
   *
   * @param i the key's position
   * @param feature the feature's index
   * @return epoch milliseconds, or {@link Long#MIN_VALUE} when NOT_FOUND
   */
  public long eventTime(int i, int feature) {
    return eventTime[perKey ? i : i * schema.size() + feature];
  }

  /**
   * The clock reading the statuses were computed at.
   *
   * @return epoch milliseconds
   */
  public long readTime() {
    return readTime;
  }

  /**
   * How many values have a status.
   *
   * @param s the status
   * @return the count over all keys and features
   */
  public int count(FeatureStatus s) {
    int n = 0;
    for (byte b : status) {
      n += b == s.ordinal() ? 1 : 0;
    }
    return perKey ? n * schema.size() : n;
  }

  @Override
  public String toString() {
    return "OnlineFeatures{" + size() + " keys, " + schema.size() + " features, present=" + count(FeatureStatus.PRESENT)
        + ", notFound=" + count(FeatureStatus.NOT_FOUND) + ", expired=" + count(FeatureStatus.EXPIRED) + "}";
  }
}
