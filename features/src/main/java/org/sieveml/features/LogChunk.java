package org.sieveml.features;

import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;

/**
 * A run of rows read from a view's offline log by {@link OfflineStore#scan}: per row the entity key,
 * the three times, the ingestion sequence number and the values. Rows of one chunk are sorted by
 * (entity, event time, created time, sequence).
 *
 * <p>Immutable and thread-safe.
 */
public final class LogChunk {
  private final EntityKey[] keys;
  private final long[] event;
  private final long[] created;
  private final long[] ingested;
  private final long[] seq;
  private final FeatureFrame values;

  /**
   * A chunk from columns (taken over, not copied).
   *
   * @param keys entity keys
   * @param event event times
   * @param created created times
   * @param ingested ingestion times
   * @param seq sequence numbers
   * @param values the values, one frame row per row
   */
  public LogChunk(EntityKey[] keys, long[] event, long[] created, long[] ingested, long[] seq, FeatureFrame values) {
    int n = keys.length;
    if (event.length != n || created.length != n || ingested.length != n || seq.length != n
        || values.rowCount() != n) {
      throw new IllegalArgumentException("log chunk columns must have " + n + " rows each");
    }
    this.keys = keys;
    this.event = event;
    this.created = created;
    this.ingested = ingested;
    this.seq = seq;
    this.values = values;
  }

  /**
   * The number of rows.
   *
   * @return rows
   */
  public int size() {
    return keys.length;
  }

  /**
   * A row's entity key.
   *
   * @param row the row
   * @return the key
   */
  public EntityKey key(int row) {
    return keys[row];
  }

  /**
   * A row's event time.
   *
   * @param row the row
   * @return epoch milliseconds
   */
  public long eventTime(int row) {
    return event[row];
  }

  /**
   * A row's created time.
   *
   * @param row the row
   * @return epoch milliseconds
   */
  public long createdTime(int row) {
    return created[row];
  }

  /**
   * A row's ingestion time (when it became visible to serving).
   *
   * @param row the row
   * @return epoch milliseconds
   */
  public long ingestionTime(int row) {
    return ingested[row];
  }

  /**
   * A row's ingestion sequence number: unique within the view, increasing with ingestion order and
   * kept across restarts.
   *
   * @param row the row
   * @return the sequence number
   */
  public long sequence(int row) {
    return seq[row];
  }

  /**
   * The values.
   *
   * @return one frame row per row
   */
  public FeatureFrame values() {
    return values;
  }
}
