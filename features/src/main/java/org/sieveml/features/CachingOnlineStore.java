package org.sieveml.features;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.sieveml.core.EntityKey;

/**
 * A Caffeine hot tier in front of another {@link OnlineStore} (typically a remote one): rows and window
 * tiles are served from bounded in-process caches and fall through to the backing store on a miss.
 * Every write, tile update, erasure or clear goes to the backing store first and then evicts what it
 * touched from this tier; a read that raced with any eviction is not cached (one counter, bumped under
 * an exclusive lock, is checked under a shared one before caching), so after a write through this tier
 * it never serves anything older than the backing store held after that write. Writes by other
 * processes to the backing store become visible when an entry expires (after {@code expireAfterWrite}).
 * Marks are not cached.
 *
 * <p>Thread-safe.
 */
public final class CachingOnlineStore implements OnlineStore {

  private record CacheKey(String view, EntityKey key) {}

  private final OnlineStore backing;
  private final Cache<CacheKey, OnlineRow> cache;
  private final Cache<CacheKey, WindowTiles> tileCache;
  /** Evictions (exclusive) against "check that nothing was evicted, then cache" (shared). */
  private final java.util.concurrent.locks.ReentrantReadWriteLock gate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private long evictions;

  /**
   * A hot tier.
   *
   * @param backing the store behind it
   * @param maximumSize the most rows (and, separately, tile sets) cached, positive
   * @param expireAfterWrite how long a cached entry may be served before it is read again, positive
   */
  public CachingOnlineStore(OnlineStore backing, long maximumSize, Duration expireAfterWrite) {
    if (backing == null) {
      throw new IllegalArgumentException("backing store must not be null");
    }
    if (maximumSize <= 0) {
      throw new IllegalArgumentException("maximumSize must be positive, was " + maximumSize);
    }
    if (expireAfterWrite == null || expireAfterWrite.isNegative() || expireAfterWrite.isZero()) {
      throw new IllegalArgumentException("expireAfterWrite must be positive, was " + expireAfterWrite);
    }
    this.backing = backing;
    this.cache = Caffeine.newBuilder().maximumSize(maximumSize).expireAfterWrite(expireAfterWrite).recordStats().build();
    this.tileCache = Caffeine.newBuilder().maximumSize(maximumSize).expireAfterWrite(expireAfterWrite).build();
  }

  @Override
  public int write(String view, List<OnlineRow> rows) {
    try {
      return backing.write(view, rows);
    } finally {
      List<EntityKey> keys = new ArrayList<>(rows.size());
      for (OnlineRow r : rows) {
        if (r != null) {
          keys.add(r.key());
        }
      }
      evict(view, keys, cache);
    }
  }

  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    return readThrough(view, keys, cache, backing::read);
  }

  @Override
  public void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    try {
      backing.addTiles(view, deltas, retention);
    } finally {
      evict(view, keysOf(deltas), tileCache);
    }
  }

  @Override
  public void putTiles(String view, List<WindowTiles> sets) {
    try {
      backing.putTiles(view, sets);
    } finally {
      evict(view, keysOf(sets), tileCache);
    }
  }

  @Override
  public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
    return readThrough(view, keys, tileCache, backing::readTiles);
  }

  @Override
  public void erase(String view, EntityKey key) {
    try {
      backing.erase(view, key);
    } finally {
      gate.writeLock().lock();
      try {
        evictions++;
        cache.invalidate(new CacheKey(view, key));
        tileCache.invalidate(new CacheKey(view, key));
      } finally {
        gate.writeLock().unlock();
      }
    }
  }

  /** Commits through the backing store, then evicts every key the commit touched (also when it failed). */
  @Override
  public boolean commit(OnlineCommit commit) {
    try {
      return backing.commit(commit);
    } finally {
      if (commit != null) {
        for (OnlineCommit.RowWrite w : commit.rows()) {
          List<EntityKey> keys = new ArrayList<>(w.rows().size());
          for (OnlineRow r : w.rows()) {
            keys.add(r.key());
          }
          evict(w.view(), keys, cache);
        }
        for (OnlineCommit.TileAdd a : commit.tiles()) {
          evict(a.view(), keysOf(a.deltas()), tileCache);
        }
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Passed to the backing store, which keeps the history (this tier caches current values only).
   */
  @Override
  public void keepHistory(Duration horizon, java.util.function.LongSupplier clock) {
    backing.keepHistory(horizon, clock);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Read straight from the backing store's history, never from this tier. It gives what this tier
   * served at {@code asOf} when this tier was not serving a value older than the backing store's (which
   * happens only for writes by other processes, until the cached entry expires).
   */
  @Override
  public List<OnlineRow> readAsOf(String view, List<EntityKey> keys, long asOf) {
    return backing.readAsOf(view, keys, asOf);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Read straight from the backing store's history, as {@link #readAsOf}.
   */
  @Override
  public List<WindowTiles> readTilesAsOf(String view, List<EntityKey> keys, long asOf) {
    return backing.readTilesAsOf(view, keys, asOf);
  }

  @Override
  public long readMark(String name) {
    return backing.readMark(name);
  }

  @Override
  public void advanceMark(String name, long value) {
    backing.advanceMark(name, value);
  }

  @Override
  public void clear(String view) {
    try {
      backing.clear(view);
    } finally {
      gate.writeLock().lock();
      try {
        evictions++;
        cache.asMap().keySet().removeIf(k -> k.view().equals(view));
        tileCache.asMap().keySet().removeIf(k -> k.view().equals(view));
      } finally {
        gate.writeLock().unlock();
      }
    }
  }

  private static List<EntityKey> keysOf(List<WindowTiles> tiles) {
    List<EntityKey> keys = new ArrayList<>(tiles.size());
    for (WindowTiles t : tiles) {
      if (t != null) {
        keys.add(t.key());
      }
    }
    return keys;
  }

  private <V> void evict(String view, List<EntityKey> keys, Cache<CacheKey, V> c) {
    gate.writeLock().lock();
    try {
      evictions++;
      for (EntityKey k : keys) {
        c.invalidate(new CacheKey(view, k));
      }
    } finally {
      gate.writeLock().unlock();
    }
  }

  /** Serves hits from {@code c}, loads misses in one backing call, caches them unless an eviction raced. */
  private <V> List<V> readThrough(String view, List<EntityKey> keys, Cache<CacheKey, V> c,
      java.util.function.BiFunction<String, List<EntityKey>, List<V>> load) {
    List<V> out = new ArrayList<>(keys.size());
    List<Integer> missing = null;
    List<EntityKey> missingKeys = null;
    for (int i = 0; i < keys.size(); i++) {
      if (keys.get(i) == null) {
        throw new IllegalArgumentException("keys[" + i + "] of view '" + view + "' is null, expected an entity key");
      }
      V v = c.getIfPresent(new CacheKey(view, keys.get(i)));
      out.add(v);
      if (v == null) {
        if (missing == null) {
          missing = new ArrayList<>();
          missingKeys = new ArrayList<>();
        }
        missing.add(i);
        missingKeys.add(keys.get(i));
      }
    }
    if (missing != null) {
      long before;
      gate.readLock().lock();
      try {
        before = evictions;
      } finally {
        gate.readLock().unlock();
      }
      List<V> loaded = load.apply(view, missingKeys);
      gate.readLock().lock();
      try {
        boolean cacheable = evictions == before; // a write racing with this read may have changed them
        for (int j = 0; j < missing.size(); j++) {
          V v = loaded.get(j);
          out.set(missing.get(j), v);
          if (v != null && cacheable) {
            c.put(new CacheKey(view, missingKeys.get(j)), v);
          }
        }
      } finally {
        gate.readLock().unlock();
      }
    }
    return out;
  }

  /**
   * The share of reads served from the cache so far.
   *
   * @return the hit rate in [0, 1]
   */
  public double hitRate() {
    return cache.stats().hitRate();
  }

  @Override
  public void sync() {
    backing.sync();
  }

  @Override
  public void close() {
    backing.close();
  }
}
