package org.sieveml.serving;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.sieveml.core.EntityKey;
import org.sieveml.features.OnlineCommit;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.WindowTiles;

/**
 * Delegates to a store, but its {@code commit} number {@code failAt} (1-based) throws before reaching it: the
 * state of a process that died after the offline log took a chunk and before the online commit.
 */
final class CrashingOnlineStore implements OnlineStore {
  private final OnlineStore d;
  private final int failAt;
  private final AtomicInteger commits = new AtomicInteger();
  /** The names of the threads that committed, in order. */
  final List<String> committers = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

  CrashingOnlineStore(OnlineStore delegate, int failAt) {
    this.d = delegate;
    this.failAt = failAt;
  }

  @Override
  public boolean commit(OnlineCommit commit) {
    committers.add(Thread.currentThread().getName());
    if (commits.incrementAndGet() == failAt) {
      throw new IllegalStateException("simulated crash before online commit " + failAt);
    }
    return d.commit(commit);
  }

  @Override
  public int write(String view, List<OnlineRow> rows) {
    return d.write(view, rows);
  }

  @Override
  public List<OnlineRow> read(String view, List<EntityKey> keys) {
    return d.read(view, keys);
  }

  @Override
  public void addTiles(String view, List<WindowTiles> deltas, WindowTiles.Retention retention) {
    d.addTiles(view, deltas, retention);
  }

  @Override
  public void putTiles(String view, List<WindowTiles> tiles) {
    d.putTiles(view, tiles);
  }

  @Override
  public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
    return d.readTiles(view, keys);
  }

  @Override
  public void erase(String view, EntityKey key) {
    d.erase(view, key);
  }

  @Override
  public long readMark(String name) {
    return d.readMark(name);
  }

  @Override
  public void advanceMark(String name, long value) {
    d.advanceMark(name, value);
  }

  @Override
  public void clear(String view) {
    d.clear(view);
  }

  @Override
  public void sync() {
    d.sync();
  }

  @Override
  public void close() {
    d.close();
  }
}
