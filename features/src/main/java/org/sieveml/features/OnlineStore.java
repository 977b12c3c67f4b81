package org.sieveml.features;

import java.util.List;
import org.sieveml.core.EntityKey;

/**
 * Where served state lives: per (view, entity) the latest {@link OnlineRow} of a feature view and the
 * {@link WindowTiles} of an aggregation view, plus named marks (materialization high-water marks).
 * {@link EmbeddedOnlineStore} is the in-process default; {@link CachingOnlineStore} puts a Caffeine hot
 * tier in front of any store; {@code RedisOnlineStore} shares state between replicas. Everything the
 * {@link FeatureStore} serves goes through this interface, so a restart or a second replica on the
 * same store serves the same values.
 *
 * <p>Contract for implementations: thread-safe; every write is atomic per key under concurrent
 * writers (in any process sharing the store): rows follow {@link OnlineRow#isNewerThan}, tiles
 * {@link WindowTiles#merge}; a read never returns a torn row or tile set. TTL, versions and statuses
 * are not the store's business: the {@link FeatureStore} applies them on every read.
 */
public interface OnlineStore extends AutoCloseable {

  /**
   * Writes rows of one view, keeping per key whichever is newer ({@link OnlineRow#isNewerThan}).
   *
   * @param view the view's name
   * @param rows the rows (keys may repeat: the newest wins)
   * @return how many rows were applied (not superseded by a newer stored row)
   */
  int write(String view, List<OnlineRow> rows);

  /**
   * Reads the latest rows of keys.
   *
   * @param view the view's name
   * @param keys the keys
   * @return one entry per key, in order: the row, or null when the store has none
   */
  List<OnlineRow> read(String view, List<EntityKey> keys);

  /**
   * Adds partial aggregates to keys' window tiles: per delta, atomically,
   * {@code stored = WindowTiles.merge(stored, delta, retention)}.
   *
   * @param view the aggregation view's name
   * @param deltas one delta per key (keys distinct)
   * @param retention which tiles are no longer needed
   */
  void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention);

  /**
   * Replaces keys' window tiles entirely (a rebuild by materialization): per set, atomically. A set
   * without tiles removes the key's tiles.
   *
   * @param view the aggregation view's name
   * @param tiles one set per key (keys distinct)
   */
  void putTiles(String view, List<WindowTiles> tiles);

  /**
   * Reads keys' window tiles.
   *
   * @param view the aggregation view's name
   * @param keys the keys
   * @return one entry per key, in order: its tiles, or null when it has none
   */
  List<WindowTiles> readTiles(String view, List<EntityKey> keys);

  /**
   * Removes one entity's row and tiles of a view (a privacy erasure).
   *
   * @param view the view's name
   * @param key the entity key
   */
  void erase(String view, EntityKey key);

  /**
   * Reads a named mark (e.g. how far a view has been materialized).
   *
   * @param name the mark's name
   * @return its value, or {@code Long.MIN_VALUE} when it was never set
   */
  long readMark(String name);

  /**
   * Raises a named mark: atomically {@code mark = max(mark, value)}.
   *
   * @param name the mark's name
   * @param value the new value
   */
  void advanceMark(String name, long value);

  /**
   * Removes every row and tile of a view (used when a view's data is dropped).
   *
   * @param view the view's name
   */
  void clear(String view);

  /**
   * Applies a commit's rows, tile deltas and marks together, or nothing: if every mark of the commit
   * holds its expected value, all rows are written (as {@link #write}), all deltas merged (as
   * {@link #addTiles}) and every mark set to its new value, atomically with respect to other commits
   * and to a crash (after a crash either all of it is there or none). Otherwise nothing changes.
   * Readers may see a commit's keys change one by one (each key stays atomic).
   *
   * <p>This is how a stream's consumed position is stored with the state it produced; a writer whose
   * compare-and-set fails has been fenced off by another.
   *
   * @param commit the writes
   * @return true when applied; false when a mark did not hold its expected value (nothing changed)
   * @throws UnsupportedOperationException when the store cannot commit atomically (the default)
   */
  default boolean commit(OnlineCommit commit) {
    throw new UnsupportedOperationException(getClass().getName() + " cannot apply rows, tiles and marks atomically");
  }

  /**
   * Starts keeping the history of every row and tile set this store applies from now on, for
   * {@link #readAsOf} and {@link #readTilesAsOf}: each applied write is stamped with {@code clock} (the
   * {@link FeatureStore}'s clock, so as-of times and read times agree), and changes older than the
   * horizon are dropped (except the state current at the horizon's start). Writes that were superseded
   * (not applied) leave no history; {@link #erase} and {@link #clear} remove the history with the
   * current value. {@link FeatureStore.Builder#historyHorizon} calls it.
   *
   * @param horizon how far back as-of reads reach, positive
   * @param clock the time each applied write is stamped with, epoch milliseconds
   * @throws UnsupportedOperationException when the store keeps no history (the default)
   */
  default void keepHistory(java.time.Duration horizon, java.util.function.LongSupplier clock) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no history for as-of reads");
  }

  /**
   * Reads the rows keys had at a past time: per key, the row {@link #read} would have returned at
   * {@code asOf} (the last applied write stamped at or before it, by the clock given to
   * {@link #keepHistory}).
   *
   * @param view the view's name
   * @param keys the keys
   * @param asOf the time, epoch milliseconds, within the history horizon
   * @return one entry per key, in order: the row, or null when the store had none
   * @throws IllegalArgumentException naming {@code asOf}, the horizon and the oldest time available
   *     when {@code asOf} is older than the history kept, or later than the clock
   * @throws IllegalStateException when {@link #keepHistory} was not called
   * @throws UnsupportedOperationException when the store keeps no history (the default)
   */
  default List<OnlineRow> readAsOf(String view, List<EntityKey> keys, long asOf) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no history for as-of reads");
  }

  /**
   * Reads the window tiles keys had at a past time: per key, what {@link #readTiles} would have
   * returned at {@code asOf}.
   *
   * @param view the aggregation view's name
   * @param keys the keys
   * @param asOf the time, epoch milliseconds, within the history horizon
   * @return one entry per key, in order: its tiles, or null when it had none
   * @throws IllegalArgumentException naming {@code asOf}, the horizon and the oldest time available
   *     when {@code asOf} is older than the history kept, or later than the clock
   * @throws IllegalStateException when {@link #keepHistory} was not called
   * @throws UnsupportedOperationException when the store keeps no history (the default)
   */
  default List<WindowTiles> readTilesAsOf(String view, List<EntityKey> keys, long asOf) {
    throw new UnsupportedOperationException(getClass().getName() + " keeps no history for as-of reads");
  }

  /** Makes every acknowledged write durable, for stores that persist; a no-op otherwise. */
  default void sync() {}

  /** Releases resources. The default does nothing. */
  @Override
  default void close() {}
}
