package org.sieveml.features;

import java.util.Arrays;
import org.sieveml.core.EntityKey;

/**
 * The window state of one entity in one {@link AggregationView}, as an {@link OnlineStore} keeps it:
 * a sparse set of <em>tiles</em>, each the partial aggregate of the entity's events whose event time
 * falls in {@code [start, start + length)}. Tiles come in a few lengths (the view's tiling, e.g. one
 * minute, one hour and one day: see {@link AggregationView}); an entity holds only tiles that hold
 * events. The same type is the delta a push adds ({@link OnlineStore#addTiles}) and the whole state a
 * store returns or a rebuild replaces ({@link OnlineStore#putTiles}).
 *
 * <p>Per tile: the number of events, and per input field of the view the number of present values,
 * their sum, minimum and maximum ({@code +Infinity}/{@code -Infinity} when none is present), plus the
 * latest event, created and ingestion time of its events. Tiles are ordered by (length, start), each
 * pair at most once.
 *
 * <p><b>Merging</b> ({@link #merge}), the rule every store applies atomically per key: a delta for
 * a key holding tiles of another definition version (or another number of fields) changes nothing — a
 * delta holds only a push's events, not the key's whole state, so such tiles stay as they are (served
 * as VERSION_MISMATCH) until a rebuild replaces them ({@link OnlineStore#putTiles}); otherwise tiles
 * with the same (length, start) add their counts and sums, take the smaller minimum and larger maximum
 * and the later times; then tiles a {@link Retention} no longer needs are dropped, and a key left
 * without tiles is removed.
 *
 * <p>Immutable and thread-safe. The arrays passed to {@link #of} are owned by the new object (not
 * copied): callers must not change them afterwards.
 */
public final class WindowTiles {

  /** Which tiles a store may drop: per tile length, tiles starting before a time. Immutable. */
  public static final class Retention {
    private final long[] lengths;
    private final long[] keepFrom;

    private Retention(long[] lengths, long[] keepFrom) {
      this.lengths = lengths;
      this.keepFrom = keepFrom;
    }

    /**
     * A retention.
     *
     * @param lengths tile lengths, distinct, positive
     * @param keepFrom per length, tiles starting before this time are dropped
     * @return the retention
     */
    public static Retention of(long[] lengths, long[] keepFrom) {
      if (lengths.length != keepFrom.length) {
        throw new IllegalArgumentException("retention needs one keepFrom per tile length, had " + lengths.length
            + " lengths and " + keepFrom.length + " times");
      }
      return new Retention(lengths.clone(), keepFrom.clone());
    }

    /** Keeps everything. */
    public static final Retention ALL = new Retention(new long[0], new long[0]);

    /**
     * The number of tile lengths.
     *
     * @return lengths with a bound
     */
    public int size() {
      return lengths.length;
    }

    /**
     * The i-th tile length.
     *
     * @param i index
     * @return milliseconds
     */
    public long length(int i) {
      return lengths[i];
    }

    /**
     * Tiles of the i-th length starting before this are dropped.
     *
     * @param i index
     * @return epoch milliseconds
     */
    public long keepFrom(int i) {
      return keepFrom[i];
    }

    /**
     * Whether a tile is kept.
     *
     * @param length the tile's length
     * @param start the tile's start
     * @return true unless a bound for its length drops it
     */
    public boolean keeps(long length, long start) {
      for (int i = 0; i < lengths.length; i++) {
        if (lengths[i] == length) {
          return start >= keepFrom[i];
        }
      }
      return true;
    }

    @Override
    public String toString() {
      return "Retention" + Arrays.toString(lengths) + "->" + Arrays.toString(keepFrom);
    }
  }

  /** Time values per tile: latest event, created and ingestion time. */
  public static final int TIMES = 3;

  private final EntityKey key;
  private final String version;
  private final int fields;
  private final long[] lengths;
  private final long[] starts;
  private final long[] times;
  private final double[] stats;
  private final long eventTime;
  private final int width;

  private WindowTiles(EntityKey key, String version, int fields, long[] lengths, long[] starts, long[] times,
      double[] stats) {
    this.key = key;
    this.version = version;
    this.fields = fields;
    this.lengths = lengths;
    this.starts = starts;
    this.times = times;
    this.stats = stats;
    long m = Long.MIN_VALUE;
    for (int i = 0; i < lengths.length; i++) {
      m = Math.max(m, times[i * TIMES]);
    }
    this.eventTime = m;
    this.width = 1 + 4 * fields;
  }

  /**
   * Tiles from arrays (owned by the result, not copied), checked.
   *
   * @param key the entity key
   * @param version the view definition's version
   * @param fields the view's number of input fields
   * @param lengths per tile its length, positive
   * @param starts per tile its start; (length, start) strictly increasing
   * @param times per tile {@value #TIMES} times
   * @param stats per tile {@code 1 + 4 * fields} values: count, then per field present count, sum, min,
   *     max
   * @return the tiles
   * @throws IllegalArgumentException naming the array and the tile when the arrays are inconsistent
   */
  public static WindowTiles of(EntityKey key, String version, int fields, long[] lengths, long[] starts, long[] times,
      double[] stats) {
    if (key == null || version == null) {
      throw new IllegalArgumentException("window tiles need a key and a version, had key=" + key + ", version="
          + version);
    }
    if (fields < 0 || fields > 10_000) {
      throw new IllegalArgumentException("fields of window tiles of " + key + " was " + fields + ", expected 0..10000");
    }
    int n = lengths.length;
    if (starts.length != n || times.length != n * TIMES || stats.length != (long) n * (1 + 4 * fields)) {
      throw new IllegalArgumentException("window tiles of " + key + ": " + n + " lengths need " + n + " starts, "
          + n * TIMES + " times and " + n * (1 + 4 * fields) + " stats, had " + starts.length + ", " + times.length
          + " and " + stats.length);
    }
    for (int i = 0; i < n; i++) {
      if (lengths[i] <= 0) {
        throw new IllegalArgumentException("tile " + i + " of " + key + " has length " + lengths[i]
            + ", expected positive");
      }
      if (i > 0 && (lengths[i] < lengths[i - 1] || (lengths[i] == lengths[i - 1] && starts[i] <= starts[i - 1]))) {
        throw new IllegalArgumentException("tile " + i + " of " + key + " (" + lengths[i] + " ms at " + starts[i]
            + ") is out of order: tiles must be sorted by (length, start) without repeats");
      }
      if (!(stats[i * (1 + 4 * fields)] >= 0)) {
        throw new IllegalArgumentException("tile " + i + " of " + key + " has count " + stats[i * (1 + 4 * fields)]
            + ", expected >= 0");
      }
    }
    return new WindowTiles(key, version, fields, lengths, starts, times, stats);
  }

  /**
   * The entity key.
   *
   * @return the key
   */
  public EntityKey key() {
    return key;
  }

  /**
   * The definition version the tiles were written under.
   *
   * @return the version
   */
  public String version() {
    return version;
  }

  /**
   * The number of input fields.
   *
   * @return fields
   */
  public int fields() {
    return fields;
  }

  /**
   * The number of tiles.
   *
   * @return tiles
   */
  public int size() {
    return lengths.length;
  }

  /**
   * Values per tile in {@link #stats}: {@code 1 + 4 * fields}.
   *
   * @return the width
   */
  public int width() {
    return width;
  }

  /**
   * A tile's length.
   *
   * @param i the tile
   * @return milliseconds
   */
  public long length(int i) {
    return lengths[i];
  }

  /**
   * A tile's start.
   *
   * @param i the tile
   * @return epoch milliseconds
   */
  public long start(int i) {
    return starts[i];
  }

  /**
   * A tile's statistic: index 0 the event count, then {@code 1 + 4 * f + k} for field {@code f} with
   * {@code k} = 0 present count, 1 sum, 2 min, 3 max.
   *
   * @param i the tile
   * @param k the statistic
   * @return its value
   */
  public double stat(int i, int k) {
    return stats[i * width + k];
  }

  /**
   * A tile's time: 0 latest event time, 1 latest created time, 2 latest ingestion time.
   *
   * @param i the tile
   * @param k which time
   * @return epoch milliseconds
   */
  public long time(int i, int k) {
    return times[i * TIMES + k];
  }

  /**
   * The latest event time over all tiles (the entity's newest event the tiles still hold).
   *
   * @return epoch milliseconds, {@code Long.MIN_VALUE} without tiles
   */
  public long eventTime() {
    return eventTime;
  }

  /**
   * A copy of the statistics array (for stores that encode tiles).
   *
   * @return a new array
   */
  public double[] statsArray() {
    return stats.clone();
  }

  /**
   * Merges a delta into stored tiles, the rule every store applies (see the class comment).
   *
   * @param stored the stored tiles, or null
   * @param delta the delta (same key)
   * @param retention which tiles to drop afterwards
   * @return the new tiles ({@code stored} itself when it is of another version), or null when none
   *     remain
   */
  public static WindowTiles merge(WindowTiles stored, WindowTiles delta, Retention retention) {
    if (stored == null) {
      return delta.retain(retention);
    }
    if (!stored.version.equals(delta.version) || stored.fields != delta.fields) {
      return stored; // a delta is not the whole state: tiles of another version wait for a rebuild
    }
    int w = delta.width();
    int a = 0;
    int b = 0;
    int na = stored.size();
    int nb = delta.size();
    long[] len = new long[na + nb];
    long[] st = new long[na + nb];
    long[] tm = new long[(na + nb) * TIMES];
    double[] sv = new double[(na + nb) * w];
    int n = 0;
    while (a < na || b < nb) {
      int c = a >= na ? 1 : b >= nb ? -1 : compare(stored.lengths[a], stored.starts[a], delta.lengths[b],
          delta.starts[b]);
      long l = c <= 0 ? stored.lengths[a] : delta.lengths[b];
      long s = c <= 0 ? stored.starts[a] : delta.starts[b];
      if (!retention.keeps(l, s)) {
        if (c <= 0) {
          a++;
        }
        if (c >= 0) {
          b++;
        }
        continue;
      }
      len[n] = l;
      st[n] = s;
      if (c < 0) {
        System.arraycopy(stored.times, a * TIMES, tm, n * TIMES, TIMES);
        System.arraycopy(stored.stats, a * w, sv, n * w, w);
        a++;
      } else if (c > 0) {
        System.arraycopy(delta.times, b * TIMES, tm, n * TIMES, TIMES);
        System.arraycopy(delta.stats, b * w, sv, n * w, w);
        b++;
      } else {
        for (int k = 0; k < TIMES; k++) {
          tm[n * TIMES + k] = Math.max(stored.times[a * TIMES + k], delta.times[b * TIMES + k]);
        }
        int o = n * w;
        int x = a * w;
        int y = b * w;
        sv[o] = stored.stats[x] + delta.stats[y];
        for (int f = 1; f < w; f += 4) {
          sv[o + f] = stored.stats[x + f] + delta.stats[y + f];
          sv[o + f + 1] = stored.stats[x + f + 1] + delta.stats[y + f + 1];
          sv[o + f + 2] = Math.min(stored.stats[x + f + 2], delta.stats[y + f + 2]);
          sv[o + f + 3] = Math.max(stored.stats[x + f + 3], delta.stats[y + f + 3]);
        }
        a++;
        b++;
      }
      n++;
    }
    if (n == 0) {
      return null;
    }
    if (n < na + nb) {
      len = Arrays.copyOf(len, n);
      st = Arrays.copyOf(st, n);
      tm = Arrays.copyOf(tm, n * TIMES);
      sv = Arrays.copyOf(sv, n * w);
    }
    return new WindowTiles(delta.key, delta.version, delta.fields, len, st, tm, sv);
  }

  /**
   * These tiles without the ones a retention drops.
   *
   * @param retention the retention
   * @return the kept tiles (this object when all are kept), or null when none remain
   */
  public WindowTiles retain(Retention retention) {
    int kept = 0;
    for (int i = 0; i < lengths.length; i++) {
      if (retention.keeps(lengths[i], starts[i])) {
        kept++;
      }
    }
    if (kept == lengths.length) {
      return kept == 0 ? null : this;
    }
    if (kept == 0) {
      return null;
    }
    int w = width();
    long[] len = new long[kept];
    long[] st = new long[kept];
    long[] tm = new long[kept * TIMES];
    double[] sv = new double[kept * w];
    int n = 0;
    for (int i = 0; i < lengths.length; i++) {
      if (retention.keeps(lengths[i], starts[i])) {
        len[n] = lengths[i];
        st[n] = starts[i];
        System.arraycopy(times, i * TIMES, tm, n * TIMES, TIMES);
        System.arraycopy(stats, i * w, sv, n * w, w);
        n++;
      }
    }
    return new WindowTiles(key, version, fields, len, st, tm, sv);
  }

  private static int compare(long l1, long s1, long l2, long s2) {
    int c = Long.compare(l1, l2);
    return c != 0 ? c : Long.compare(s1, s2);
  }

  /**
   * Same key, version, fields and tiles (statistics compared bit for bit).
   *
   * @param o the other object
   * @return true if equal
   */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof WindowTiles t)) {
      return false;
    }
    if (!key.equals(t.key) || !version.equals(t.version) || fields != t.fields || !Arrays.equals(lengths, t.lengths)
        || !Arrays.equals(starts, t.starts) || !Arrays.equals(times, t.times)) {
      return false;
    }
    for (int i = 0; i < stats.length; i++) {
      if (Double.doubleToLongBits(stats[i]) != Double.doubleToLongBits(t.stats[i])) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    return key.hashCode() * 31 + Arrays.hashCode(starts);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("WindowTiles{").append(key).append('@').append(version);
    for (int i = 0; i < lengths.length; i++) {
      b.append(", ").append(lengths[i]).append("ms@").append(starts[i]).append(":n=").append(stats[i * width()]);
    }
    return b.append('}').toString();
  }
}
