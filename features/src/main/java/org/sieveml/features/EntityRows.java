package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;

/**
 * The "entity dataframe" of a training-data request: for each row an entity key and the time at which
 * features are wanted (typically the label's time), plus optional extra columns such as labels that
 * are carried into the training frame unchanged. Row order is kept and duplicates are allowed: the
 * result has exactly one row per entity row, in this order.
 *
 * <p>Immutable and thread-safe.
 */
public final class EntityRows {

  private final EntityKey[] keys;
  private final long[] longKeys;
  private final long[] timestamps;
  private final FeatureFrame extra;

  private EntityRows(EntityKey[] keys, long[] longKeys, long[] timestamps, FeatureFrame extra) {
    this.keys = keys;
    this.longKeys = longKeys;
    this.timestamps = timestamps;
    this.extra = extra;
  }

  /**
   * Rows keyed by long ids (entities with one integral join key).
   *
   * @param ids the ids
   * @param timestamps the times, epoch milliseconds
   * @param extra extra columns (e.g. labels) with one row per id, or null
   * @return the rows (arrays copied)
   */
  public static EntityRows ofLongKeys(long[] ids, long[] timestamps, FeatureFrame extra) {
    if (ids == null || timestamps == null) {
      throw new IllegalArgumentException("ids and timestamps must not be null");
    }
    check(ids.length, timestamps, extra);
    return new EntityRows(null, ids.clone(), timestamps.clone(), extra);
  }

  /**
   * Rows keyed by entity keys.
   *
   * @param keys the keys, none null
   * @param timestamps the times, epoch milliseconds
   * @param extra extra columns with one row per key, or null
   * @return the rows
   */
  public static EntityRows of(List<EntityKey> keys, long[] timestamps, FeatureFrame extra) {
    if (keys == null || timestamps == null) {
      throw new IllegalArgumentException("keys and timestamps must not be null");
    }
    EntityKey[] k = keys.toArray(new EntityKey[0]);
    for (int i = 0; i < k.length; i++) {
      if (k[i] == null) {
        throw new IllegalArgumentException("entity row " + i + ": key must not be null");
      }
    }
    check(k.length, timestamps, extra);
    return new EntityRows(k, null, timestamps.clone(), extra);
  }

  /**
   * A builder for rows added one by one.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  private static void check(int n, long[] ts, FeatureFrame extra) {
    if (ts.length != n) {
      throw new IllegalArgumentException("entity rows: " + n + " keys but " + ts.length + " timestamps");
    }
    for (int i = 0; i < n; i++) {
      EventBatch.checkTime("timestamp", ts[i], i);
    }
    if (extra != null && extra.rowCount() != n) {
      throw new IllegalArgumentException("entity rows: extra columns have " + extra.rowCount() + " rows, expected " + n);
    }
  }

  /**
   * The number of rows.
   *
   * @return rows
   */
  public int size() {
    return timestamps.length;
  }

  /**
   * Whether the rows carry long ids.
   *
   * @return true for long ids
   */
  public boolean hasLongKeys() {
    return longKeys != null;
  }

  /**
   * A row's key (null for long ids).
   *
   * @param row the row
   * @return the key
   */
  public EntityKey key(int row) {
    return keys == null ? null : keys[row];
  }

  /**
   * A row's long id.
   *
   * @param row the row
   * @return the id
   * @throws IllegalStateException for rows keyed by key objects
   */
  public long longKey(int row) {
    if (longKeys == null) {
      throw new IllegalStateException("these entity rows are keyed by EntityKey objects, not long ids");
    }
    return longKeys[row];
  }

  /**
   * A row's timestamp.
   *
   * @param row the row
   * @return epoch milliseconds
   */
  public long timestamp(int row) {
    return timestamps[row];
  }

  /**
   * The extra columns, or null.
   *
   * @return the frame or null
   */
  public FeatureFrame extra() {
    return extra;
  }

  /** Collects entity rows. Not thread-safe. */
  public static final class Builder {
    private final List<EntityKey> keys = new ArrayList<>();
    private final List<Long> ts = new ArrayList<>();

    private Builder() {}

    /**
     * Adds a row.
     *
     * @param key the entity key
     * @param timestamp epoch milliseconds
     * @return this builder
     */
    public Builder add(EntityKey key, long timestamp) {
      if (key == null) {
        throw new IllegalArgumentException("entity row " + keys.size() + ": key must not be null");
      }
      EventBatch.checkTime("timestamp", timestamp, keys.size());
      keys.add(key);
      ts.add(timestamp);
      return this;
    }

    /**
     * Builds the rows (without extra columns).
     *
     * @return the rows
     */
    public EntityRows build() {
      long[] t = new long[ts.size()];
      for (int i = 0; i < t.length; i++) {
        t[i] = ts.get(i);
      }
      return of(keys, t, null);
    }
  }
}
