package org.sieveml.features.internal;

import java.util.List;
import org.sieveml.core.FeatureSchema;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;

/**
 * The windowed-aggregation engine shared by the offline (point-in-time) and online (streaming) paths.
 *
 * <p>Window rule, the same on both paths: with bucket {@code B} and window {@code W}, the value at
 * time {@code t} aggregates the events with event time in {@code [start, t]}, where
 * {@code start = (floor(t / B) - W / B + 1) * B}: the bucket holding {@code t} and the {@code W/B - 1}
 * buckets before it. So a window is {@code W} long up to one bucket (it grows from {@code W - B} to
 * {@code W} as {@code t} moves through its bucket). Offline this is computed from the event log at any
 * past {@code t}. Online each entity keeps one tile per bucket (count, and per input field sum, min,
 * max and the number of present values) in a ring covering the longest window; a read at {@code now}
 * combines the tiles of the window. Both agree (up to floating-point summation order) as long as no
 * pushed event is later than the read time; the store rejects pushes from the future for that reason.
 * Events older than the ring (more than the longest window before the entity's newest event) cannot
 * fall in any window at a later read time; they are ignored online and counted.
 *
 * <p>Empty windows: COUNT and SUM give 0, MEAN, MIN and MAX a missing value (NaN here). Missing input
 * values count as events for COUNT and are skipped by the others.
 *
 * <p>Immutable and thread-safe; {@link State} is guarded by its own lock.
 */
public final class WindowAggregator {

  private final long bucket;
  private final int[] field; // input field per output (-1 for COUNT)
  private final Aggregation[] fn;
  private final long[] windowBuckets;
  private final int fields;
  private final int ringSize;
  private final long maxWindow;

  /**
   * The engine for a view.
   *
   * @param view the aggregation view
   */
  public WindowAggregator(AggregationView view) {
    this.bucket = view.bucketMillis();
    List<AggregationView.WindowedFeature> fs = view.features();
    FeatureSchema in = view.inputSchema();
    this.field = new int[fs.size()];
    this.fn = new Aggregation[fs.size()];
    this.windowBuckets = new long[fs.size()];
    long max = 0;
    for (int i = 0; i < fs.size(); i++) {
      AggregationView.WindowedFeature f = fs.get(i);
      field[i] = f.field() == null ? -1 : in.indexOf(f.field());
      fn[i] = f.function();
      windowBuckets[i] = f.windowMillis() / bucket;
      max = Math.max(max, f.windowMillis());
    }
    this.fields = in.size();
    this.maxWindow = max;
    this.ringSize = (int) (max / bucket) + 1;
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
   * The first millisecond of output {@code i}'s window at {@code t}.
   *
   * @param i the output
   * @param t the time
   * @return the window's start (inclusive)
   */
  public long windowStart(int i, long t) {
    return (Math.floorDiv(t, bucket) - windowBuckets[i] + 1) * bucket;
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
    for (int q = 0; q < n; q++) {
      reset(acc);
      long t = qTime[q];
      long earliest = Math.max(t - maxWindow, floor);
      long id = qIds[q];
      for (SegmentFile.Segment s : snap.segments) {
        int lo = ViewLog.lowerBound(s, id, earliest);
        for (int r = lo; r < s.size() && s.ids.get(r) == id && s.event.get(r) <= t; r++) {
          long et = s.event.get(r);
          if ((availabilityCut && s.ingested.get(r) > t) || snap.erased(id, s.seq.get(r))) {
            continue;
          }
          for (int i = 0; i < fn.length; i++) {
            if (et >= windowStart(i, t)) {
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
   * New, empty online state for one entity.
   *
   * @return the state
   */
  public State newState() {
    return new State();
  }

  /**
   * One entity's online tiles: a ring of buckets covering the longest window. Thread-safe (one lock
   * per entity, so different entities update in parallel).
   */
  public final class State {
    private final long[] bucketId = new long[ringSize];
    private final long[] count = new long[ringSize];
    // per bucket and field: present count, sum, min, max
    private final double[] tiles = new double[ringSize * fields * 4];
    private long newest = Long.MIN_VALUE;
    private long dropped;

    State() {
      java.util.Arrays.fill(bucketId, Long.MIN_VALUE);
    }

    /**
     * Adds one event.
     *
     * @param eventTime its time
     * @param values its input field values (NaN = missing), one per input field
     * @return false if it was older than the ring and ignored
     */
    public synchronized boolean add(long eventTime, double[] values) {
      long b = Math.floorDiv(eventTime, bucket);
      if (newest != Long.MIN_VALUE && b <= newest - ringSize) {
        dropped++;
        return false;
      }
      if (b > newest) {
        newest = b;
      }
      int slot = (int) Math.floorMod(b, (long) ringSize);
      if (bucketId[slot] != b) {
        bucketId[slot] = b;
        count[slot] = 0;
        int t = slot * fields * 4;
        for (int f = 0; f < fields; f++, t += 4) {
          tiles[t] = 0;
          tiles[t + 1] = 0;
          tiles[t + 2] = Double.POSITIVE_INFINITY;
          tiles[t + 3] = Double.NEGATIVE_INFINITY;
        }
      }
      count[slot]++;
      int t = slot * fields * 4;
      for (int f = 0; f < fields; f++, t += 4) {
        double v = values[f];
        if (v == v) {
          tiles[t]++;
          tiles[t + 1] += v;
          if (v < tiles[t + 2]) {
            tiles[t + 2] = v;
          }
          if (v > tiles[t + 3]) {
            tiles[t + 3] = v;
          }
        }
      }
      return true;
    }

    /**
     * The values at {@code now}: {@code out[i]} per output, NaN when missing.
     *
     * @param now the read time
     * @param out receives one value per output
     */
    public synchronized void read(long now, double[] out) {
      long cur = Math.floorDiv(now, bucket);
      for (int i = 0; i < fn.length; i++) {
        long first = cur - windowBuckets[i] + 1;
        double c = 0;
        double s = 0;
        double mn = Double.POSITIVE_INFINITY;
        double mx = Double.NEGATIVE_INFINITY;
        long from = Math.max(first, cur - ringSize + 1);
        for (long b = from; b <= cur; b++) {
          int slot = (int) Math.floorMod(b, (long) ringSize);
          if (bucketId[slot] != b) {
            continue;
          }
          if (field[i] < 0) {
            c += count[slot];
            continue;
          }
          int t = (slot * fields + field[i]) * 4;
          c += tiles[t];
          s += tiles[t + 1];
          mn = Math.min(mn, tiles[t + 2]);
          mx = Math.max(mx, tiles[t + 3]);
        }
        switch (fn[i]) {
          case COUNT:
            out[i] = c;
            break;
          case SUM:
            out[i] = s;
            break;
          case MEAN:
            out[i] = c == 0 ? Double.NaN : s / c;
            break;
          case MIN:
            out[i] = c == 0 ? Double.NaN : mn;
            break;
          default:
            out[i] = c == 0 ? Double.NaN : mx;
        }
      }
    }

    /**
     * Events ignored because they were older than the ring.
     *
     * @return the count
     */
    public synchronized long dropped() {
      return dropped;
    }
  }
}
