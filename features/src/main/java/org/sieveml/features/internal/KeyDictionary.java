package org.sieveml.features.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.sieveml.core.EntityKey;

/**
 * Maps an entity's keys to the {@code long} ids that columnar storage sorts and joins on. An entity
 * with one join key whose values are integral numbers uses the value itself ("long mode"); any other
 * entity gets dense ids in first-seen order ("dictionary mode"). The mode is fixed by the first key
 * seen, and a key of the other kind is refused with a message naming it.
 *
 * <p>Thread-safe: lookups are lock-free, new ids are assigned under a lock.
 */
public final class KeyDictionary {

  /** Returned by {@link #lookup} for a key never seen. */
  public static final long UNKNOWN = Long.MIN_VALUE;

  private final String entity;
  private final List<String> joinKeys;
  private final ConcurrentHashMap<EntityKey, Long> ids = new ConcurrentHashMap<>();
  private final List<EntityKey> keys = new ArrayList<>();
  private volatile int mode; // 0 unset, 1 long, 2 dictionary
  private volatile Journal journal;

  /** Receives every change before it takes effect, to persist it. */
  public interface Journal {
    /**
     * The mode was fixed.
     *
     * @param longMode true for long mode
     */
    void mode(boolean longMode);

    /**
     * A key got an id.
     *
     * @param id the id
     * @param key the key
     */
    void key(long id, EntityKey key);
  }

  /**
   * Sets the journal that records every later change (before it takes effect).
   *
   * @param journal the journal
   */
  public synchronized void journal(Journal journal) {
    this.journal = journal;
  }

  /**
   * Restores the mode from a journal.
   *
   * @param longMode true for long mode
   * @throws IllegalStateException if the journal already set the other mode (a dictionary's mode is
   *     decided once: switched, the ids of its rows would name other keys)
   */
  public synchronized void restoreMode(boolean longMode) {
    int m = longMode ? 1 : 2;
    if (mode != 0 && mode != m) {
      throw new IllegalStateException("mode " + (longMode ? "long" : "dictionary") + " after mode "
          + (mode == 1 ? "long" : "dictionary") + ": the mode is set once");
    }
    mode = m;
  }

  /**
   * Restores a key from a journal.
   *
   * @param id its id (the next dense id)
   * @param key the key
   * @throws IllegalStateException if the id is not the next one or the key already has an id
   */
  public synchronized void restoreKey(long id, EntityKey key) {
    if (id != keys.size()) {
      throw new IllegalStateException("key id " + id + " out of order, expected " + keys.size());
    }
    if (key == null) { // a forgotten key: its id stays taken
      keys.add(null);
      return;
    }
    Long before = ids.get(key);
    if (before != null) {
      throw new IllegalStateException("key " + key + " restored as id " + id + " already has id " + before);
    }
    keys.add(key);
    ids.put(key, id);
  }

  /**
   * Forgets a key (after every row using it was erased): its id stays taken and is never reused, a
   * later row with the same key gets a new id.
   *
   * @param key the key
   * @return its former id, or {@link #UNKNOWN} when it had none (or the dictionary is in long mode)
   */
  public synchronized long forget(EntityKey key) {
    if (mode != 2) {
      return UNKNOWN;
    }
    Long id = ids.remove(key);
    if (id == null) {
      return UNKNOWN;
    }
    keys.set((int) (long) id, null);
    return id;
  }

  /**
   * The keys by id in dictionary mode, null for forgotten ids.
   *
   * @return a copy
   */
  public synchronized List<EntityKey> keysById() {
    return new ArrayList<>(keys);
  }

  /**
   * The number of ids assigned in dictionary mode.
   *
   * @return the count
   */
  public synchronized int size() {
    return keys.size();
  }

  /**
   * The entity's join keys.
   *
   * @return the names
   */
  public List<String> joinKeys() {
    return joinKeys;
  }

  /**
   * A dictionary for one entity.
   *
   * @param entity the entity's name, for messages
   * @param joinKeys its join keys
   */
  public KeyDictionary(String entity, List<String> joinKeys) {
    this.entity = entity;
    this.joinKeys = List.copyOf(joinKeys);
  }

  /**
   * Whether ids are the key values themselves.
   *
   * @return true in long mode
   */
  public boolean longMode() {
    return mode == 1;
  }

  /**
   * Whether ids are assigned in first-seen order (the mode is fixed and not long mode).
   *
   * @return true in dictionary mode
   */
  public boolean dictionaryMode() {
    return mode == 2;
  }

  /**
   * Checks that a key has the entity's join keys.
   *
   * @param key the key
   * @param where what the key is, for the message
   */
  public void check(EntityKey key, String where) {
    if (key == null) {
      throw new IllegalArgumentException(where + ": entity key must not be null (entity '" + entity + "')");
    }
    if (!key.hasNames(joinKeys)) {
      throw new IllegalArgumentException(where + ": key " + key + " does not fit entity '" + entity
          + "', expected join keys " + joinKeys);
    }
  }

  /**
   * The id of a key, assigning one if it is new.
   *
   * @param key a checked key
   * @param where what the key is, for messages
   * @return the id
   */
  public long idOf(EntityKey key, String where) {
    check(key, where);
    boolean integral = isIntegral(key);
    int m = mode;
    if (m == 0) {
      synchronized (this) {
        if (mode == 0) {
          if (journal != null) {
            journal.mode(integral);
          }
          mode = integral ? 1 : 2;
        }
        m = mode;
      }
    }
    if (m == 1) {
      if (!integral) {
        throw new IllegalArgumentException(where + ": key " + key + " of entity '" + entity
            + "' must have an integral value like the keys seen before");
      }
      return ((Number) key.value(0)).longValue();
    }
    if (integral) {
      throw new IllegalArgumentException(where + ": key " + key + " of entity '" + entity
          + "' must have a string value like the keys seen before");
    }
    Long id = ids.get(key);
    if (id != null) {
      return id;
    }
    synchronized (this) {
      id = ids.get(key);
      if (id == null) {
        id = (long) keys.size();
        if (journal != null) {
          journal.key(id, key);
        }
        keys.add(key);
        ids.put(key, id);
      }
      return id;
    }
  }

  /**
   * The id of a key without assigning one.
   *
   * @param key a key
   * @return the id, or {@link #UNKNOWN}
   */
  public long lookup(EntityKey key) {
    int m = mode;
    if (m == 1) {
      return isIntegral(key) ? ((Number) key.value(0)).longValue() : UNKNOWN;
    }
    Long id = ids.get(key);
    return id == null ? UNKNOWN : id;
  }

  /**
   * Fixes long mode for a long fast path.
   *
   * @param where what is being loaded, for the message
   */
  public void requireLongMode(String where) {
    if (joinKeys.size() != 1) {
      throw new IllegalArgumentException(where + ": long keys need an entity with one join key; entity '" + entity
          + "' has " + joinKeys);
    }
    synchronized (this) {
      if (mode == 0) {
        if (journal != null) {
          journal.mode(true);
        }
        mode = 1;
      }
    }
    if (mode != 1) {
      throw new IllegalArgumentException(where + ": entity '" + entity
          + "' has non-integral keys, so it cannot take long ids");
    }
  }

  /**
   * The key of an id.
   *
   * @param id an id from this dictionary
   * @return the key
   */
  public EntityKey keyOf(long id) {
    if (mode == 1) {
      return EntityKey.of(joinKeys.get(0), id);
    }
    synchronized (this) {
      return keys.get((int) id);
    }
  }

  private boolean isIntegral(EntityKey key) {
    if (joinKeys.size() != 1) {
      return false;
    }
    Object v = key.value(0);
    return v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte;
  }
}
