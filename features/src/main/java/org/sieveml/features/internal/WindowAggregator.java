package org.sieveml.features.internal;

import java.util.Arrays;
import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.WindowTiles;

/**
 * The windowed-aggregation engine shared by the offline (point-in-time) and online (tile) paths: the
 * tiling of a view, the window rule, tile deltas for events, and reads of tiles.
 *
 * <p><b>Tiling.</b> Tile lengths ("levels") are the view's bucket {@code B}, then each of one second,
 * one minute, one hour and one day that is longer than the previous level and a multiple of it. A
 * window {@code W} hops by the longest level {@code H} with {@code 6 * H <= W} (else {@code B}).
 *
 * <p><b>Window rule</b> (the same offline and online): the value of window {@code W} at time {@code t}
 * aggregates the events with event time in {@code [s, t]}, where
 * {@code s = floor(floor(t / B) * B + B - W, H)} ({@code floor(x, H)} rounds down to a multiple of
 * {@code H}). So the window covers the bucket holding {@code t} and reaches back to a hop boundary: its
 * length is between {@code W - B} (exclusive) and {@code W - B + H} (inclusive) — the "sawtooth" of
 * Chronon and Tecton. Online, a read combines whole tiles: hop-level tiles from {@code s} to the hop
 * boundary before {@code t}, then finer tiles down to the bucket holding {@code t}, a few dozen tiles
 * rather than {@code W / B}. The two agree exactly while no stored event is later than the read time
 * (pushes beyond the store's skew tolerance are refused for that reason; one inside it counts online
 * once the bucket holding its event time has begun, offline from its event time).
 *
 * <p>Empty windows: COUNT and SUM give 0, MEAN, MIN and MAX a missing value (NaN here). Missing input
 * values count as events for COUNT and are skipped by the others.
 *
 * <p>Immutable and thread-safe.
 */
public final class WindowAggregator {

  /** The most tiles one read of one window may combine; longer definitions are refused. */
  public static final int MAX_TILES_PER_WINDOW = 4096;
  /** The longest window accepted: ten years. */
  public static final long MAX_WINDOW = 3650L * 86_400_000L;

  private static final long[] COARSER = {1_000L, 60_000L, 3_600_000L, 86_400_000L};

  private final String version;
  private final long bucket;
  private final long[] levels; // tile lengths used, ascending
  private final int[] field; // input field per output (-1 for COUNT)
  private final Aggregation[] fn;
  private final long[] window;
  private final int[] hop; // level index per output
  private final int fields;
  private final long ttl;

  /**
   * The engine for a view.
   *
   * @param view the aggregation view
   */
  public WindowAggregator(AggregationView view) {
    this.version = view.version();
    this.bucket = view.bucketMillis();
    List<AggregationView.WindowedFeature> fs = view.features();
    FeatureSchema in = view.inputSchema();
    this.field = new int[fs.size()];
    this.fn = new Aggregation[fs.size()];
    this.window = new long[fs.size()];
    this.hop = new int[fs.size()];
    long[] all = levels(bucket);
    int maxHop = 0;
    for (int i = 0; i < fs.size(); i++) {
      AggregationView.WindowedFeature f = fs.get(i);
      field[i] = f.field() == null ? -1 : in.indexOf(f.field());
      fn[i] = f.function();
      window[i] = f.windowMillis();
      hop[i] = hopLevel(all, window[i]);
      maxHop = Math.max(maxHop, hop[i]);
    }
    this.levels = Arrays.copyOf(all, maxHop + 1);
    this.fields = in.size();
    this.ttl = view.ttlMillis();
  }

  /**
   * Checks a definition's windows against the bucket: every window a positive multiple of the bucket,
   * at most {@link #MAX_WINDOW}, and readable with at most {@link #MAX_TILES_PER_WINDOW} tiles.
   *
   * @param view the view's name, for messages
   * @param bucket the bucket in milliseconds
   * @param name the window's output name, for messages
   * @param windowMillis the window
   * @return null when fine, else what is wrong
   */
  public static String check(String view, long bucket, String name, long windowMillis) {
    if (windowMillis % bucket != 0) {
      return "window of '" + name + "' in aggregation view '" + view + "' must be a multiple of the bucket ("
          + bucket + " ms), was " + windowMillis + " ms";
    }
    if (windowMillis > MAX_WINDOW) {
      return "window of '" + name + "' in aggregation view '" + view + "' must be at most " + MAX_WINDOW
          + " ms (ten years), was " + windowMillis + " ms";
    }
    long[] lv = levels(bucket);
    int h = hopLevel(lv, windowMillis);
    long tiles = windowMillis / lv[h] + 1;
    for (int l = 0; l < h; l++) {
      tiles += lv[l + 1] / lv[l];
    }
    if (tiles > MAX_TILES_PER_WINDOW) {
      return "window of '" + name + "' in aggregation view '" + view + "' (" + windowMillis + " ms) with a bucket of "
          + bucket + " ms needs " + tiles + " tiles per read, more than " + MAX_TILES_PER_WINDOW
          + ": use a bucket that divides one second, one minute, one hour or one day, or a coarser one";
    }
    return null;
  }

  private static long[] levels(long bucket) {
    long[] out = new long[COARSER.length + 1];
    int n = 0;
    out[n++] = bucket;
    for (long g : COARSER) {
      if (g > out[n - 1] && g % out[n - 1] == 0) {
        out[n++] = g;
      }
    }
    return Arrays.copyOf(out, n);
  }

  private static int hopLevel(long[] levels, long w) {
    int h = 0;
    for (int l = 1; l < levels.length; l++) {
      if (levels[l] <= w / 6) {
        h = l;
      }
    }
    return h;
  }

  /**
   * The number of output features.
   *
   * @return outputs
   */
  public int outputs() {
    return fn.length;
  }

  /**
   * The tile lengths this view stores, ascending.
   *
   * @return a copy
   */
  public long[] levels() {
    return levels.clone();
  }

  /**
   * The view's TTL ({@code Long.MAX_VALUE} for none).
   *
   * @return milliseconds
   */
  public long ttl() {
    return ttl;
  }

  /**
   * The first millisecond of output {@code i}'s window at {@code t}.
   *
   * @param i the output
   * @param t the time
   * @return the window's start (inclusive)
   */
  public long windowStart(int i, long t) {
    return floor(floor(t, bucket) + bucket - window[i], levels[hop[i]]);
  }

  /**
   * {@code x} rounded down to a multiple of {@code g > 0}. A 64-bit division costs 40 to 90 cycles on
   * common server cores and a read takes one per tile length and window: below 2^52 the quotient is
   * estimated in double precision (within one of the true one) and corrected, exactly.
   */
  static long floor(long x, long g) {
    if (x > -(1L << 52) && x < (1L << 52)) {
      long q = (long) ((double) x / (double) g);
      long r = x - q * g;
      if (r < 0) {
        q--;
      } else if (r >= g) {
        q++;
      }
      return q * g;
    }
    return Math.floorDiv(x, g) * g;
  }

  /**
   * The earliest event time any window may need at {@code t} or later.
   *
   * @param t the time
   * @return epoch milliseconds
   */
  public long horizon(long t) {
    long m = Long.MAX_VALUE;
    for (int i = 0; i < fn.length; i++) {
      m = Math.min(m, windowStart(i, t));
    }
    return m;
  }

  /**
   * Which tiles a read at {@code now} or later can still need: per level, tiles starting before the
   * earliest window start at that level, or before the current period of the next level when the
   * level only fills a coarser window's newest part, are dropped.
   *
   * @param now the store's clock
   * @return the retention
   */
  public WindowTiles.Retention retention(long now) {
    long[] keep = new long[levels.length];
    Arrays.fill(keep, Long.MAX_VALUE);
    for (int i = 0; i < fn.length; i++) {
      int h = hop[i];
      keep[h] = Math.min(keep[h], windowStart(i, now));
      for (int l = 0; l < h; l++) {
        keep[l] = Math.min(keep[l], floor(now, levels[l + 1]));
      }
    }
    return WindowTiles.Retention.of(levels, keep);
  }

  /**
   * Point-in-time values at each query from the event log. Output {@code out[i][q]} is NaN when
   * missing.
   *
   * @param log the view's event log
   * @param qIds entity ids
   * @param qTime query times
   * @param availabilityCut count only events ingested at or before the query time (what a streaming
   *     reader could have seen then)
   * @return {@code [output][query]}
   */
  public double[][] offline(ViewLog log, long[] qIds, long[] qTime, boolean availabilityCut) {
    int n = qIds.length;
    double[][] out = new double[fn.length][n];
    ViewLog.Snapshot snap = log.snapshot();
    long floor = log.retentionFloor();
    double[] acc = new double[fn.length * 4];
    long[] start = new long[fn.length];
    for (int q = 0; q < n; q++) {
      reset(acc);
      long t = qTime[q];
      long earliest = floor;
      long first = Long.MAX_VALUE;
      for (int i = 0; i < fn.length; i++) {
        start[i] = windowStart(i, t);
        first = Math.min(first, start[i]);
      }
      earliest = Math.max(earliest, first);
      long id = qIds[q];
      for (SegmentFile.Segment s : snap.segments) {
        int lo = ViewLog.lowerBound(s, id, earliest);
        for (int r = lo; r < s.size() && s.ids.get(r) == id && s.event.get(r) <= t; r++) {
          long et = s.event.get(r);
          if ((availabilityCut && s.ingested.get(r) > t) || snap.erased(id, s.seq.get(r))) {
            continue;
          }
          for (int i = 0; i < fn.length; i++) {
            if (et >= start[i]) {
              accumulate(acc, i, s, r);
            }
          }
        }
      }
      for (int i = 0; i < fn.length; i++) {
        out[i][q] = finish(acc, i);
      }
    }
    return out;
  }

  private static void reset(double[] acc) {
    for (int i = 0; i < acc.length; i += 4) {
      acc[i] = 0; // count
      acc[i + 1] = 0; // sum
      acc[i + 2] = Double.POSITIVE_INFINITY; // min
      acc[i + 3] = Double.NEGATIVE_INFINITY; // max
    }
  }

  private void accumulate(double[] acc, int i, SegmentFile.Segment values, int row) {
    int a = i * 4;
    if (field[i] < 0) {
      acc[a]++;
      return;
    }
    double v = values.asDouble(row, field[i]);
    if (v != v) {
      return;
    }
    acc[a]++;
    acc[a + 1] += v;
    acc[a + 2] = Math.min(acc[a + 2], v);
    acc[a + 3] = Math.max(acc[a + 3], v);
  }

  private double finish(double[] acc, int i) {
    int a = i * 4;
    switch (fn[i]) {
      case COUNT:
        return acc[a];
      case SUM:
        return acc[a + 1];
      case MEAN:
        return acc[a] == 0 ? Double.NaN : acc[a + 1] / acc[a];
      case MIN:
        return acc[a] == 0 ? Double.NaN : acc[a + 2];
      default:
        return acc[a] == 0 ? Double.NaN : acc[a + 3];
    }
  }

  /**
   * The values at {@code t} from an entity's tiles: {@code out[i]} per output, NaN when missing.
   *
   * @param tiles the tiles, or null for none
   * @param t the read time
   * @param out receives one value per output
   * @return {@link #horizon(long) horizon(t)}: tiles of events before it count in no window
   */
  public long read(WindowTiles tiles, long t, double[] out) {
    int nl = levels.length;
    int no = fn.length;
    long[] fl = new long[nl]; // the start of the tile of each length holding t
    for (int l = 0; l < nl; l++) {
      fl[l] = floor(t, levels[l]);
    }
    long end = fl[0] + bucket;
    long horizon = Long.MAX_VALUE;
    // per output and tile length, the starts [lo, hi) of the tiles it combines (empty when lo == hi)
    long[] lo = new long[no * nl];
    long[] hi = new long[no * nl];
    double[] acc = new double[no * 4];
    for (int i = 0; i < no; i++) {
      int h = hop[i];
      long start = floor(end - window[i], levels[h]); // = windowStart(i, t)
      horizon = Math.min(horizon, start);
      lo[i * nl + h] = start;
      hi[i * nl + h] = h == 0 ? end : fl[h];
      for (int l = 0; l < h; l++) {
        lo[i * nl + l] = fl[l + 1];
        hi[i * nl + l] = l == 0 ? end : fl[l];
      }
      acc[i * 4 + 2] = Double.POSITIVE_INFINITY;
      acc[i * 4 + 3] = Double.NEGATIVE_INFINITY;
    }
    if (tiles != null) {
      // one pass over the tiles (sorted by length, then start), each offered to every output
      int n = tiles.size();
      int l = 0;
      for (int k = 0; k < n; k++) {
        long len = tiles.length(k);
        while (l < nl && levels[l] < len) {
          l++;
        }
        if (l == nl) {
          break;
        }
        if (levels[l] != len) {
          continue;
        }
        long s = tiles.start(k);
        for (int i = 0, r = l; i < no; i++, r += nl) {
          if (s >= lo[r] && s < hi[r]) {
            int a = i * 4;
            int f = field[i];
            if (f < 0) {
              acc[a] += tiles.stat(k, 0);
            } else {
              int p = 1 + 4 * f;
              acc[a] += tiles.stat(k, p);
              acc[a + 1] += tiles.stat(k, p + 1);
              acc[a + 2] = Math.min(acc[a + 2], tiles.stat(k, p + 2));
              acc[a + 3] = Math.max(acc[a + 3], tiles.stat(k, p + 3));
            }
          }
        }
      }
    }
    for (int i = 0; i < no; i++) {
      int a = i * 4;
      switch (fn[i]) {
        case COUNT:
          out[i] = acc[a];
          break;
        case SUM:
          out[i] = acc[a + 1];
          break;
        case MEAN:
          out[i] = acc[a] == 0 ? Double.NaN : acc[a + 1] / acc[a];
          break;
        case MIN:
          out[i] = acc[a] == 0 ? Double.NaN : acc[a + 2];
          break;
        default:
          out[i] = acc[a] == 0 ? Double.NaN : acc[a + 3];
      }
    }
    return horizon;
  }

  /**
   * Accumulates one entity's events into tiles: one tile per level for each event.
   * Not thread-safe.
   */
  public final class TileBuilder {
    private final EntityKey key;
    private int n;
    private long[] len = new long[8];
    private long[] start = new long[8];
    private long[] times = new long[8 * WindowTiles.TIMES];
    private double[] stats = new double[8 * (1 + 4 * fields)];

    TileBuilder(EntityKey key) {
      this.key = key;
    }

    /**
     * Adds one event.
     *
     * @param eventTime its event time
     * @param createdTime its created time
     * @param ingestedTime its ingestion time
     * @param values its input values (NaN = missing), one per input field
     */
    public void add(long eventTime, long createdTime, long ingestedTime, double[] values) {
      int w = 1 + 4 * fields;
      for (long g : levels) {
        long s = floor(eventTime, g);
        int k = n - 1;
        while (k >= 0 && (len[k] != g || start[k] != s)) {
          k--;
        }
        if (k < 0) {
          if (n == len.length) {
            len = Arrays.copyOf(len, n * 2);
            start = Arrays.copyOf(start, n * 2);
            times = Arrays.copyOf(times, n * 2 * WindowTiles.TIMES);
            stats = Arrays.copyOf(stats, n * 2 * w);
          }
          k = n++;
          len[k] = g;
          start[k] = s;
          times[k * WindowTiles.TIMES] = Long.MIN_VALUE;
          times[k * WindowTiles.TIMES + 1] = Long.MIN_VALUE;
          times[k * WindowTiles.TIMES + 2] = Long.MIN_VALUE;
          int o = k * w;
          stats[o] = 0;
          for (int f = 0; f < fields; f++) {
            stats[o + 1 + 4 * f] = 0;
            stats[o + 2 + 4 * f] = 0;
            stats[o + 3 + 4 * f] = Double.POSITIVE_INFINITY;
            stats[o + 4 + 4 * f] = Double.NEGATIVE_INFINITY;
          }
        }
        times[k * WindowTiles.TIMES] = Math.max(times[k * WindowTiles.TIMES], eventTime);
        times[k * WindowTiles.TIMES + 1] = Math.max(times[k * WindowTiles.TIMES + 1], createdTime);
        times[k * WindowTiles.TIMES + 2] = Math.max(times[k * WindowTiles.TIMES + 2], ingestedTime);
        int o = k * w;
        stats[o]++;
        for (int f = 0; f < fields; f++) {
          double v = values[f];
          if (v == v) {
            int p = o + 1 + 4 * f;
            stats[p]++;
            stats[p + 1] += v;
            stats[p + 2] = Math.min(stats[p + 2], v);
            stats[p + 3] = Math.max(stats[p + 3], v);
          }
        }
      }
    }

    /**
     * The tiles' indices sorted by (length, start), without boxing: per level in insertion order,
     * sorted only when a level's starts are not already increasing (events out of time order).
     */
    private int[] sortedOrder() {
      int[] order = new int[n];
      int m = 0;
      for (long g : levels) {
        int from = m;
        boolean sorted = true;
        for (int i = 0; i < n; i++) {
          if (len[i] == g) {
            if (m > from && start[i] < start[order[m - 1]]) {
              sorted = false;
            }
            order[m++] = i;
          }
        }
        if (!sorted) { // starts are distinct within a level: place each by its rank
          long[] s = new long[m - from];
          for (int j = from; j < m; j++) {
            s[j - from] = start[order[j]];
          }
          Arrays.sort(s);
          int[] copy = Arrays.copyOfRange(order, from, m);
          for (int k : copy) {
            order[from + Arrays.binarySearch(s, start[k])] = k;
          }
        }
      }
      return order;
    }

    /**
     * The tiles, sorted.
     *
     * @return the tiles (possibly without any)
     */
    public WindowTiles build() {
      int w = 1 + 4 * fields;
      int[] order = sortedOrder();
      long[] l = new long[n];
      long[] s = new long[n];
      long[] tm = new long[n * WindowTiles.TIMES];
      double[] st = new double[n * w];
      for (int j = 0; j < n; j++) {
        int k = order[j];
        l[j] = len[k];
        s[j] = start[k];
        System.arraycopy(times, k * WindowTiles.TIMES, tm, j * WindowTiles.TIMES, WindowTiles.TIMES);
        System.arraycopy(stats, k * w, st, j * w, w);
      }
      return WindowTiles.of(key, version, fields, l, s, tm, st);
    }
  }

  /**
   * A builder of one entity's tiles.
   *
   * @param key the entity key
   * @return an empty builder
   */
  public TileBuilder tiles(EntityKey key) {
    return new TileBuilder(key);
  }

  /**
   * Tiles without any tile, for {@link org.sieveml.features.OnlineStore#putTiles} to remove a key.
   *
   * @param key the key
   * @return empty tiles
   */
  public WindowTiles empty(EntityKey key) {
    return WindowTiles.of(key, version, fields, new long[0], new long[0], new long[0], new double[0]);
  }
}
