package org.sieveml.features;

import java.util.List;
import java.util.function.Consumer;
import org.sieveml.core.EntityKey;

/**
 * Where a {@link FeatureStore} keeps each stored view's history: the offline event log that training
 * data, materialization and replay are computed from. Every row keeps its event time, created time and
 * ingestion time and gets an ingestion sequence number, unique within its view, that increases with
 * ingestion order and survives restarts. {@link EmbeddedOfflineStore} is the default (durable in a
 * directory, or in memory); other implementations (a data lake) plug in through
 * {@link FeatureStore.Builder#offlineStore} without changing a host's code.
 *
 * <p>Contract for implementations: {@link #append} validates the whole batch before storing any of
 * it; a view is identified by its name and bound to the entity and the schema of the rows it was
 * first written with (a definition that changes either is refused until {@link #drop}; one that changes
 * only how rows are served, such as a TTL or the windows of an aggregation view, shares the log); reads
 * see every append that returned before them.
 * Implementations must be thread-safe.
 */
public interface OfflineStore extends AutoCloseable {

  /** For {@link #append}: each row counts as ingested at its own created time (a batch load of history). */
  long AT_CREATED_TIME = Long.MIN_VALUE;

  /**
   * Appends rows to a view's log. Durable when it returns, as the implementation documents.
   *
   * @param view a feature view or aggregation view
   * @param batch rows of the view's schema (an aggregation view's input schema), already validated
   * @param ingestedAt the ingestion time of every row, or {@link #AT_CREATED_TIME}
   * @return the sequence number of the batch's first row (the others follow in batch order)
   */
  long append(ViewDefinition view, EventBatch batch, long ingestedAt);

  /**
   * Appends the rows of a stream source (e.g. one Kafka topic partition) exactly once: rows whose
   * offset is below the source's stored position ({@link #sourcePosition}) are already in the log and
   * are skipped; the others are appended and the position becomes the last offset plus one, in the same
   * atomic write as the rows, so appending a record already stored is a no-op whatever crashed before.
   *
   * @param view a feature view or aggregation view
   * @param batch rows of the view's schema, already validated
   * @param ingestedAt the ingestion time of every row, or {@link #AT_CREATED_TIME}
   * @param source the source's name, e.g. {@code "card_txns/3"}
   * @param offsets each row's offset in the source, strictly increasing, one per row
   * @return the number of rows appended
   * @throws IllegalArgumentException when the offsets are not one per row or not strictly increasing
   * @throws UnsupportedOperationException when the store cannot (the default)
   */
  default int appendFrom(ViewDefinition view, EventBatch batch, long ingestedAt, String source, long[] offsets) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot append stream rows exactly once");
  }

  /**
   * The stored position of a stream source in a view's log: the offset after the last row appended
   * from it by {@link #appendFrom}.
   *
   * @param view the view
   * @param source the source's name
   * @return the position, or {@code Long.MIN_VALUE} when no row of the source was appended
   */
  default long sourcePosition(ViewDefinition view, String source) {
    return Long.MIN_VALUE;
  }

  /**
   * The stored positions of every stream source of a view's log ({@link #appendFrom}).
   *
   * @param view the view
   * @return source name to position; empty by default
   */
  default java.util.Map<String, Long> sourcePositions(ViewDefinition view) {
    return java.util.Map.of();
  }

  /**
   * Checks the arguments of {@link #appendFrom}, for implementations.
   *
   * @param view the view
   * @param batch the rows
   * @param source the source's name
   * @param offsets the offsets
   * @throws IllegalArgumentException naming the field, the value and what was expected
   */
  static void checkSource(ViewDefinition view, EventBatch batch, String source, long[] offsets) {
    if (source == null || source.isEmpty()) {
      throw new IllegalArgumentException("source of the rows for view '" + view.name() + "' is " + (source == null
          ? "null" : "empty") + ", expected a name such as topic/partition");
    }
    StreamBatch.checkOffsets(view.name(), source, batch.size(), offsets);
  }

  /**
   * The point-in-time join: for each entity row at time {@code t}, the latest row of its entity with
   * event time in {@code (t - ttl, t]} visible under {@code visibility}; equal event times go to the
   * later created time, then the later sequence number.
   *
   * @param view the feature view
   * @param rows the entity rows
   * @param features the features to return, in order
   * @param visibility which rows count
   * @return one row per entity row
   */
  JoinedRows join(FeatureView view, EntityRows rows, List<String> features, Visibility visibility);

  /**
   * The windowed aggregations of a view at each entity row's time, by the rule stated on
   * {@link AggregationView}.
   *
   * @param view the aggregation view
   * @param rows the entity rows
   * @param visibility which events count
   * @return {@code [feature][entity row]}, NaN where missing
   */
  double[][] windows(AggregationView view, EntityRows rows, Visibility visibility);

  /**
   * Visits every row with event time in {@code [fromEventTime, toEventTime)} and sequence number
   * {@code > afterSequence}, in chunks (each sorted by entity, event, created time and sequence).
   *
   * @param view the view
   * @param fromEventTime start, inclusive
   * @param toEventTime end, exclusive
   * @param afterSequence {@code -1} for every row
   * @param sink receives chunks on the calling thread
   */
  void scan(ViewDefinition view, long fromEventTime, long toEventTime, long afterSequence, Consumer<LogChunk> sink);

  /**
   * Erases one entity's history in a view (a privacy request): hidden from every later read at once,
   * durably, and physically removed by the implementation's next rewrite of the data.
   *
   * @param view the view
   * @param key the entity's key
   * @return the number of rows erased
   */
  long erase(ViewDefinition view, EntityKey key);

  /**
   * Forgets an entity key after its history was erased from every view of its entity: the key's own
   * bytes leave the store's files (not just the rows), and a later row with the same key starts a
   * new history. The default does nothing, for stores that keep no key mapping.
   *
   * @param entity the entity
   * @param key the key
   */
  default void forgetKey(Entity entity, EntityKey key) {}

  /**
   * The sequence number the next row appended to a view will get.
   *
   * @param view the view
   * @return the next sequence number (0 for an empty log)
   */
  long nextSequence(ViewDefinition view);

  /**
   * Forgets everything stored for a view (e.g. after its definition was replaced).
   *
   * @param view the view's name
   */
  void drop(String view);

  /** Makes every append that returned durable, for implementations that defer it. */
  default void sync() {}

  /** Releases resources; later calls fail. */
  @Override
  void close();
}
