package org.sieveml.features;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.sieveml.core.EntityKey;

/**
 * The in-process {@link OnlineStore}: one concurrent hash map per view from entity key to its latest
 * {@link OnlineRow}. Reads take no lock (a row is an immutable object published by a volatile write);
 * writes replace a row atomically per key and only with a newer one.
 *
 * <p>Thread-safe.
 */
public final class EmbeddedOnlineStore implements OnlineStore {

  private final ConcurrentHashMap<String, ConcurrentHashMap<EntityKey, OnlineRow>> views = new ConcurrentHashMap<>();

  /** Creates an empty store. */
  public EmbeddedOnlineStore() {}

  @Override
  public int write(String view, List<OnlineRow> rows) {
    ConcurrentHashMap<EntityKey, OnlineRow> m = views.computeIfAbsent(view, v -> new ConcurrentHashMap<>());
    int applied = 0;
    for (OnlineRow row : rows) {
      boolean[] won = new boolean[1];
      m.compute(row.key(), (k, old) -> {
        if (row.isNewerThan(old)) {
          won[0] = true;
          return row;
        }
        return old;
      });
      if (won[0]) {
        applied++;
      }
    }
    return applied;
  }

  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    ConcurrentHashMap<EntityKey, OnlineRow> m = views.get(view);
    List<OnlineRow> out = new ArrayList<>(keys.size());
    for (EntityKey k : keys) {
      out.add(m == null ? null : m.get(k));
    }
    return out;
  }

  /**
   * Reads one key without allocating a list.
   *
   * @param view the view's name
   * @param key the key
   * @return the row or null
   */
  public OnlineRow read(String view, EntityKey key) {
    ConcurrentHashMap<EntityKey, OnlineRow> m = views.get(view);
    return m == null ? null : m.get(key);
  }

  @Override
  public void clear(String view) {
    views.remove(view);
  }

  /**
   * The number of rows of a view.
   *
   * @param view the view's name
   * @return rows stored
   */
  public int size(String view) {
    ConcurrentHashMap<EntityKey, OnlineRow> m = views.get(view);
    return m == null ? 0 : m.size();
  }
}
