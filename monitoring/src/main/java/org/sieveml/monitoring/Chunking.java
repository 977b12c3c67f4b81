package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.sieveml.monitoring.internal.Checks;

/**
 * How rows are cut into the chunks a performance estimate is reported for: consecutive runs of a fixed
 * size ({@link #bySize}; the last chunk keeps the remainder and may be smaller, and its band is
 * correspondingly wider) or one chunk per distinct key ({@link #byKey}, for example the day or hour of
 * each row; chunks come in the order their keys first appear and need not be contiguous).
 *
 * <p>Immutable and thread-safe.
 */
public final class Chunking {

  private final int size;
  private final String[] keys;

  private Chunking(int size, String[] keys) {
    this.size = size;
    this.keys = keys;
  }

  /**
   * Consecutive chunks of {@code size} rows.
   *
   * @param size rows per chunk, positive
   * @return the chunking
   */
  public static Chunking bySize(int size) {
    return new Chunking(Checks.positive("size", size), null);
  }

  /**
   * One chunk per distinct key; {@code keys[i]} is row i's key.
   *
   * @param keys one non-null key per row (copied)
   * @return the chunking
   */
  public static Chunking byKey(String... keys) {
    Checks.notNull("keys", keys);
    for (int i = 0; i < keys.length; i++) {
      if (keys[i] == null) {
        throw new IllegalArgumentException("keys[" + i + "] must not be null");
      }
    }
    return new Chunking(0, keys.clone());
  }

  /** A chunk: its key and the indices of its rows. */
  record Chunk(String key, int[] rows) {}

  /** Cuts {@code n} rows into chunks. */
  List<Chunk> split(int n) {
    List<Chunk> out = new ArrayList<>();
    if (keys == null) {
      for (int from = 0; from < n; from += size) {
        int to = Math.min(n, from + size);
        int[] rows = new int[to - from];
        for (int i = 0; i < rows.length; i++) {
          rows[i] = from + i;
        }
        out.add(new Chunk(String.format(Locale.ROOT, "[%d, %d)", from, to), rows));
      }
      return out;
    }
    if (keys.length != n) {
      throw new IllegalArgumentException("keys has " + keys.length + " entries, expected one per row (" + n + ")");
    }
    Map<String, List<Integer>> groups = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      groups.computeIfAbsent(keys[i], k -> new ArrayList<>()).add(i);
    }
    groups.forEach((k, v) -> out.add(new Chunk(k, v.stream().mapToInt(Integer::intValue).toArray())));
    return out;
  }

  @Override
  public String toString() {
    return keys == null ? "Chunking.bySize(" + size + ")" : "Chunking.byKey(" + keys.length + " rows)";
  }
}
