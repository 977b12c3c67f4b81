package org.sieveml.features;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.sieveml.core.EntityKey;

/**
 * A Caffeine hot tier in front of another {@link OnlineStore} (typically a remote one): reads are
 * served from a bounded in-process cache and fall through to the backing store on a miss; writes go
 * through to the backing store and then update the cache with the row the backing store kept, so
 * after a write through this tier it never serves a row older than the backing store's. Writes by
 * other processes to the backing store become visible when an entry expires (after
 * {@code expireAfterWrite}). Window tiles are cached the same way: a tile write through this tier
 * evicts the keys it touched (a read racing with it is not cached), so this replica never serves tiles
 * older than its own last write. Marks are not cached.
 *
 * <p>Thread-safe.
 */
public final class CachingOnlineStore implements OnlineStore {

  private record CacheKey(String view, EntityKey key) {}

  private final OnlineStore backing;
  private final Cache<CacheKey, OnlineRow> cache;
  private final Cache<CacheKey, WindowTiles> tileCache;
  /** Tile evictions (exclusive) against "check that nothing was evicted, then cache" (shared). */
  private final java.util.concurrent.locks.ReentrantReadWriteLock tileGate =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private long tileEvictions;

  /**
   * A hot tier.
   *
   * @param backing the store behind it
   * @param maximumSize the most rows cached, positive
   * @param expireAfterWrite how long a cached row may be served before it is read again, positive
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
    int applied = backing.write(view, rows);
    List<EntityKey> keys = new ArrayList<>(rows.size());
    for (OnlineRow r : rows) {
      keys.add(r.key());
    }
    // cache what the backing store kept (it may have refused an older row)
    List<OnlineRow> kept = backing.read(view, keys);
    for (int i = 0; i < keys.size(); i++) {
      CacheKey ck = new CacheKey(view, keys.get(i));
      OnlineRow k = kept.get(i);
      if (k == null) {
        cache.invalidate(ck);
      } else {
        cache.asMap().merge(ck, k, (old, neu) -> neu.isNewerThan(old) ? neu : old);
      }
    }
    return applied;
  }

  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    List<OnlineRow> out = new ArrayList<>(keys.size());
    List<Integer> missing = null;
    List<EntityKey> missingKeys = null;
    for (int i = 0; i < keys.size(); i++) {
      OnlineRow r = cache.getIfPresent(new CacheKey(view, keys.get(i)));
      out.add(r);
      if (r == null) {
        if (missing == null) {
          missing = new ArrayList<>();
          missingKeys = new ArrayList<>();
        }
        missing.add(i);
        missingKeys.add(keys.get(i));
      }
    }
    if (missing != null) {
      List<OnlineRow> loaded = backing.read(view, missingKeys);
      for (int j = 0; j < missing.size(); j++) {
        OnlineRow r = loaded.get(j);
        out.set(missing.get(j), r);
        if (r != null) {
          cache.asMap().merge(new CacheKey(view, r.key()), r, (old, neu) -> neu.isNewerThan(old) ? neu : old);
        }
      }
    }
    return out;
  }

  @Override
  public void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    try {
      backing.addTiles(view, deltas, retention);
    } finally {
      evictTiles(view, deltas);
    }
  }

  @Override
  public void putTiles(String view, List<WindowTiles> sets) {
    try {
      backing.putTiles(view, sets);
    } finally {
      evictTiles(view, sets);
    }
  }

  private void evictTiles(String view, List<WindowTiles> written) {
    tileGate.writeLock().lock();
    try {
      tileEvictions++;
      for (WindowTiles t : written) {
        tileCache.invalidate(new CacheKey(view, t.key()));
      }
    } finally {
      tileGate.writeLock().unlock();
    }
  }

  private long tileEvictions() {
    tileGate.readLock().lock();
    try {
      return tileEvictions;
    } finally {
      tileGate.readLock().unlock();
    }
  }

  @Override
  public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
    List<WindowTiles> out = new ArrayList<>(keys.size());
    List<Integer> missing = null;
    List<EntityKey> missingKeys = null;
    for (int i = 0; i < keys.size(); i++) {
      WindowTiles t = tileCache.getIfPresent(new CacheKey(view, keys.get(i)));
      out.add(t);
      if (t == null) {
        if (missing == null) {
          missing = new ArrayList<>();
          missingKeys = new ArrayList<>();
        }
        missing.add(i);
        missingKeys.add(keys.get(i));
      }
    }
    if (missing != null) {
      long before = tileEvictions();
      List<WindowTiles> loaded = backing.readTiles(view, missingKeys);
      tileGate.readLock().lock();
      try {
        boolean cacheable = tileEvictions == before; // a write racing with this read may have changed them
        for (int j = 0; j < missing.size(); j++) {
          WindowTiles t = loaded.get(j);
          out.set(missing.get(j), t);
          if (t != null && cacheable) {
            tileCache.put(new CacheKey(view, missingKeys.get(j)), t);
          }
        }
      } finally {
        tileGate.readLock().unlock();
      }
    }
    return out;
  }

  @Override
  public void erase(String view, EntityKey key) {
    try {
      backing.erase(view, key);
    } finally {
      cache.invalidate(new CacheKey(view, key));
      tileGate.writeLock().lock();
      try {
        tileEvictions++;
        tileCache.invalidate(new CacheKey(view, key));
      } finally {
        tileGate.writeLock().unlock();
      }
    }
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
    tileCache.asMap().keySet().removeIf(k -> k.view().equals(view));
    backing.clear(view);
    cache.asMap().keySet().removeIf(k -> k.view().equals(view));
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
