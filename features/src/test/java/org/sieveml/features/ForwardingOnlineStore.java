package org.sieveml.features;

import java.util.List;
import org.sieveml.core.EntityKey;

/**
 * An {@link OnlineStore} that forwards every call to another, for tests that intercept a few of them
 * (override what you watch). Thread-safe as the store it forwards to.
 */
public class ForwardingOnlineStore implements OnlineStore {

  /** The store every call goes to. */
  protected final OnlineStore d;

  /**
   * Forwards to a store.
   *
   * @param d the store
   */
  public ForwardingOnlineStore(OnlineStore d) {
    this.d = d;
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
  public boolean commit(OnlineCommit commit) {
    return d.commit(commit);
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
