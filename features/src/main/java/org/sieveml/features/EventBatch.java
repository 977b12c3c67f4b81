package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * An immutable batch of feature events for one view: for each row an entity key, an event time (when
 * the value became true in the world), a created time (when it reached us) and the values, stored
 * column by column. Rows are what {@link FeatureStore#ingest}, {@link FeatureStore#push} and the CSV
 * loader take.
 *
 * <pre>{@code
 * EventBatch batch = EventBatch.builder(cardStats.schema())
 *     .add(card.key(4711L), eventTime, createdTime, 42.0, "DE")
 *     .build();
 * }</pre>
 *
 * <p>Times are epoch milliseconds in {@code [0, }{@value #MAX_TIME}{@code ]} (years 1970 to 9999).
 * For entities with one integral join key, {@link #ofLongKeys} takes the ids as a {@code long[]}
 * without creating a key object per row.
 *
 * <p>Immutable and thread-safe.
 */
public final class EventBatch {

  /** The latest accepted time: 9999-12-31T23:59:59.999Z in epoch milliseconds. */
  public static final long MAX_TIME = 253_402_300_799_999L;

  private final EntityKey[] keys;
  private final long[] longKeys;
  private final long[] eventTimes;
  private final long[] createdTimes;
  private final FeatureFrame values;

  private EventBatch(EntityKey[] keys, long[] longKeys, long[] eventTimes, long[] createdTimes, FeatureFrame values) {
    this.keys = keys;
    this.longKeys = longKeys;
    this.eventTimes = eventTimes;
    this.createdTimes = createdTimes;
    this.values = values;
  }

  /**
   * A builder for rows of a schema (a view's {@code schema()}, or an aggregation view's
   * {@code inputSchema()}).
   *
   * @param schema the value columns
   * @return a new builder
   */
  public static Builder builder(FeatureSchema schema) {
    if (schema == null) {
      throw new IllegalArgumentException("schema of an event batch must not be null");
    }
    return new Builder(schema);
  }

  /**
   * A batch keyed by long ids (for an entity with one integral join key), from columns.
   *
   * @param ids the entity ids
   * @param eventTimes event times
   * @param createdTimes created times
   * @param values the values, one row per id
   * @return the batch (the arrays are copied)
   * @throws IllegalArgumentException on a length mismatch, a time out of range or a NaN in an
   *     embedding, naming the row
   */
  public static EventBatch ofLongKeys(long[] ids, long[] eventTimes, long[] createdTimes, FeatureFrame values) {
    if (ids == null || eventTimes == null || createdTimes == null || values == null) {
      throw new IllegalArgumentException("ids, eventTimes, createdTimes and values must not be null");
    }
    int n = ids.length;
    if (eventTimes.length != n || createdTimes.length != n || values.rowCount() != n) {
      throw new IllegalArgumentException("event batch columns must have one entry per id (" + n + "), were eventTimes="
          + eventTimes.length + ", createdTimes=" + createdTimes.length + ", values=" + values.rowCount() + " rows");
    }
    for (int i = 0; i < n; i++) {
      checkTime("eventTime", eventTimes[i], i);
      checkTime("createdTime", createdTimes[i], i);
    }
    checkEmbeddings(values);
    return new EventBatch(null, ids.clone(), eventTimes.clone(), createdTimes.clone(), values);
  }

  /**
   * The number of rows.
   *
   * @return rows
   */
  public int size() {
    return eventTimes.length;
  }

  /**
   * The value columns' schema.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return values.schema();
  }

  /**
   * Whether rows are keyed by long ids ({@link #ofLongKeys}) rather than key objects.
   *
   * @return true for long ids
   */
  public boolean hasLongKeys() {
    return longKeys != null;
  }

  /**
   * A row's entity key (long ids are not turned into keys here).
   *
   * @param row the row
   * @return its key, or null for a batch with long ids
   */
  public EntityKey key(int row) {
    return keys == null ? null : keys[row];
  }

  /**
   * A row's long id.
   *
   * @param row the row
   * @return its id
   * @throws IllegalStateException for a batch with key objects
   */
  public long longKey(int row) {
    if (longKeys == null) {
      throw new IllegalStateException("this batch is keyed by EntityKey objects, not long ids");
    }
    return longKeys[row];
  }

  /**
   * A row's event time.
   *
   * @param row the row
   * @return epoch milliseconds
   */
  public long eventTime(int row) {
    return eventTimes[row];
  }

  /**
   * A row's created time.
   *
   * @param row the row
   * @return epoch milliseconds
   */
  public long createdTime(int row) {
    return createdTimes[row];
  }

  /**
   * The values, one frame row per batch row.
   *
   * @return the frame
   */
  public FeatureFrame values() {
    return values;
  }

  /** The rule {@link FeatureVector} applies to every row: an embedding is finite or missing, never NaN. */
  private static void checkEmbeddings(FeatureFrame values) {
    FeatureSchema schema = values.schema();
    for (int c = 0; c < schema.size(); c++) {
      if (schema.get(c).type() != FeatureType.EMBEDDING) {
        continue;
      }
      for (int i = 0; i < values.rowCount(); i++) {
        float[] e = values.isPresent(i, c) ? values.getEmbedding(i, c) : null;
        for (int j = 0; e != null && j < e.length; j++) {
          if (Float.isNaN(e[j])) {
            throw new IllegalArgumentException("row " + i + ": feature '" + schema.get(c).name() + "' has NaN at "
                + "position " + j + "; embeddings must be finite or missing");
          }
        }
      }
    }
  }

  static void checkTime(String field, long t, int row) {
    if (t < 0 || t > MAX_TIME) {
      throw new IllegalArgumentException(field + " of row " + row + " must be epoch milliseconds in [0, " + MAX_TIME
          + "], was " + t);
    }
  }

  /** The rows from {@code from} on (this batch when {@code from} is 0). */
  EventBatch tail(int from) {
    if (from == 0) {
      return this;
    }
    int n = size();
    int[] idx = new int[n - from];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = from + i;
    }
    return new EventBatch(keys == null ? null : java.util.Arrays.copyOfRange(keys, from, n),
        longKeys == null ? null : java.util.Arrays.copyOfRange(longKeys, from, n),
        java.util.Arrays.copyOfRange(eventTimes, from, n), java.util.Arrays.copyOfRange(createdTimes, from, n),
        values.rows(idx));
  }

  /** Collects rows of an {@link EventBatch}. Not thread-safe. */
  public static final class Builder {
    private final FeatureSchema schema;
    private final List<EntityKey> keys = new ArrayList<>();
    private final List<Long> event = new ArrayList<>();
    private final List<Long> created = new ArrayList<>();
    private final FeatureFrame.RowBuilder rows;

    private Builder(FeatureSchema schema) {
      this.schema = schema;
      this.rows = FeatureFrame.rowBuilder(schema);
    }

    /**
     * Adds a row from values in schema order.
     *
     * @param key the entity key
     * @param eventTime event time, epoch milliseconds
     * @param createdTime created time, epoch milliseconds
     * @param values one value per schema column ({@code Double}, {@code Long}/{@code Integer},
     *     {@code Boolean}, {@code String}, {@code float[]}), null for missing
     * @return this builder
     * @throws IllegalArgumentException naming the row, the field, the value and what was expected
     */
    public Builder add(EntityKey key, long eventTime, long createdTime, Object... values) {
      int row = keys.size();
      if (values == null || values.length != schema.size()) {
        throw new IllegalArgumentException("row " + row + ": expected " + schema.size() + " values " + schema.names()
            + ", got " + (values == null ? "null" : values.length));
      }
      FeatureVector.Builder v = FeatureVector.builder(schema);
      for (int i = 0; i < values.length; i++) {
        try {
          v.set(schema.get(i).name(), values[i]);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("row " + row + ": " + e.getMessage(), e);
        }
      }
      return add(key, eventTime, createdTime, v.build());
    }

    /**
     * Adds a row from a vector.
     *
     * @param key the entity key
     * @param eventTime event time, epoch milliseconds
     * @param createdTime created time, epoch milliseconds
     * @param values a vector of the batch's schema
     * @return this builder
     */
    public Builder add(EntityKey key, long eventTime, long createdTime, FeatureVector values) {
      int row = keys.size();
      if (key == null) {
        throw new IllegalArgumentException("row " + row + ": entity key must not be null");
      }
      checkTime("eventTime", eventTime, row);
      checkTime("createdTime", createdTime, row);
      if (values == null || !values.schema().equals(schema)) {
        throw new IllegalArgumentException("row " + row + ": values must have schema " + schema + ", had "
            + (values == null ? "null" : values.schema()));
      }
      rows.add(values);
      keys.add(key);
      event.add(eventTime);
      created.add(createdTime);
      return this;
    }

    /**
     * Builds the batch.
     *
     * @return the batch
     */
    public EventBatch build() {
      int n = keys.size();
      long[] e = new long[n];
      long[] c = new long[n];
      for (int i = 0; i < n; i++) {
        e[i] = event.get(i);
        c[i] = created.get(i);
      }
      return new EventBatch(keys.toArray(new EntityKey[0]), null, e, c, rows.build());
    }
  }
}
