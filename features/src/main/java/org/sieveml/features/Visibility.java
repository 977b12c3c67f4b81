package org.sieveml.features;

/**
 * Which feature rows a point-in-time join may use for an entity row at time {@code t}.
 *
 * <p>Immutable and thread-safe.
 */
public enum Visibility {
  /**
   * The default: only rows with event time {@code <= t} that had also been ingested by {@code t},
   * i.e. what serving could have seen at {@code t}. Rows pushed live are ingested at the store's clock
   * when pushed; rows loaded in a batch ({@code ingest}, CSV) count as ingested at their created time.
   */
  AS_SERVED,
  /**
   * Event time alone: a row with event time {@code <= t} is used even if it arrived later than
   * {@code t}. This leaks late data into training rows (values serving could not have had), so use it
   * only when the log's ingestion times are meaningless for the data at hand.
   */
  EVENT_TIME_MAY_LEAK
}
