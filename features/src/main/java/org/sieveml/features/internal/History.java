package org.sieveml.features.internal;

import java.util.Arrays;

/**
 * The recent states of one stored value (an online row or a key's window tiles), for as-of reads: a
 * short, immutable sequence of (time, state) entries in non-decreasing time, the first one the state
 * before the oldest recorded change (time {@code Long.MIN_VALUE}). A state may be null (the value was
 * absent). The state at time {@code t} is the one of the latest entry with time {@code <= t}.
 *
 * <p>{@link #record} appends a change and trims entries a horizon no longer needs: all but the latest
 * entry at or before the cutoff. When only that entry remains, the history says nothing the current
 * value does not, and {@code null} (no history) is returned instead, so a value that has not changed
 * within the horizon costs nothing.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the state's type
 */
public final class History<T> {

  private final long[] at;
  private final Object[] states;

  private History(long[] at, Object[] states) {
    this.at = at;
    this.states = states;
  }

  /**
   * Appends a change to a history (creating it, from the state before the change, when there is none)
   * and trims it.
   *
   * @param history the history, or null when none is kept (the state before the change is {@code before})
   * @param before the state before the change (used when {@code history} is null)
   * @param time when the change was applied; raised to the latest entry's time if earlier, so entries
   *     stay in order
   * @param after the state after the change, or null when the value was removed
   * @param cutoff entries older than needed for reads at or after this time are dropped
   * @param <T> the state's type
   * @return the new history, or null when it holds nothing the current value does not
   */
  public static <T> History<T> record(History<T> history, T before, long time, T after, long cutoff) {
    long[] a;
    Object[] s;
    if (history == null) {
      a = new long[] {Long.MIN_VALUE, time};
      s = new Object[] {before, after};
    } else {
      int n = history.at.length;
      a = Arrays.copyOf(history.at, n + 1);
      s = Arrays.copyOf(history.states, n + 1);
      a[n] = Math.max(time, history.at[n - 1]);
      s[n] = after;
    }
    return trim(a, s, cutoff);
  }

  /**
   * This history without the entries reads at or after {@code cutoff} do not need.
   *
   * @param cutoff the oldest time still read
   * @return the trimmed history (this object when nothing is dropped), or null when only the current
   *     state remains
   */
  public History<T> trim(long cutoff) {
    History<T> h = trim(at, states, cutoff);
    return h != null && h.at.length == at.length ? this : h;
  }

  private static <T> History<T> trim(long[] a, Object[] s, long cutoff) {
    int first = 0; // the latest entry at or before the cutoff
    while (first + 1 < a.length && a[first + 1] <= cutoff) {
      first++;
    }
    if (first == a.length - 1) {
      return null;
    }
    if (first > 0) {
      a = Arrays.copyOfRange(a, first, a.length);
      s = Arrays.copyOfRange(s, first, s.length);
    }
    return new History<>(a, s);
  }

  /**
   * The state at a time: the one of the latest entry at or before it.
   *
   * @param time the time
   * @return the state, possibly null
   */
  @SuppressWarnings("unchecked")
  public T at(long time) {
    int lo = 0;
    int hi = at.length - 1;
    while (lo < hi) { // the last index with at[i] <= time; at[0] may be above time only after trimming
      int mid = (lo + hi + 1) >>> 1;
      if (at[mid] <= time) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return (T) states[lo];
  }

  /**
   * The number of entries.
   *
   * @return entries, at least 2
   */
  public int size() {
    return at.length;
  }

  /**
   * The time of an entry.
   *
   * @param i the entry
   * @return its time ({@code Long.MIN_VALUE} for a state from before the recorded changes)
   */
  public long time(int i) {
    return at[i];
  }

  /**
   * The state of an entry.
   *
   * @param i the entry
   * @return its state, possibly null
   */
  @SuppressWarnings("unchecked")
  public T state(int i) {
    return (T) states[i];
  }
}
