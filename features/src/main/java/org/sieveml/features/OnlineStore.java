package org.sieveml.features;

import java.util.List;
import org.sieveml.core.EntityKey;

/**
 * Where served features live: the latest row per (view, entity). {@link EmbeddedOnlineStore} is the
 * in-process default; {@link CachingOnlineStore} puts a Caffeine hot tier in front of any store; other
 * implementations (e.g. a shared Redis) plug in here without changing the host's code.
 *
 * <p>Contract for implementations: thread-safe; a write never replaces a row with an older one
 * ({@link OnlineRow#isNewerThan}), atomically per key under concurrent writers; a read never returns
 * a torn row. TTL is not the store's business: the {@link FeatureStore} applies it on every read.
 */
public interface OnlineStore extends AutoCloseable {

  /**
   * Writes rows of one view, keeping per key whichever is newer.
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
   * Removes every row of a view (used when a view's definition is replaced).
   *
   * @param view the view's name
   */
  void clear(String view);

  /** Makes every acknowledged write durable, for stores that persist; a no-op otherwise. */
  default void sync() {}

  /** Releases resources. The default does nothing. */
  @Override
  default void close() {}
}
