package org.sieveml.core.telemetry;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A lock-free, fixed-memory histogram of non-negative {@code long} values (typically nanoseconds),
 * with bounded relative error, in the spirit of HdrHistogram.
 *
 * <p>Values below 128 are counted exactly; above that, each power of two is split into 128 linear
 * sub-buckets, so a reported percentile is within 1/128 (0.8 %) of the true value. Values of
 * 2<sup>45</sup> ns (about 9.8 hours) and above share the last bucket. {@link #max()} is exact.
 * Memory is fixed at about 40 KiB per histogram.
 *
 * <p>Thread-safety: {@link #record} may be called concurrently from any number of threads without
 * locks. {@link #snapshot()} may run concurrently with recording; it then reflects a consistent set of
 * bucket counts read one by one (a recording that races with it may or may not be included).
 */
public final class LatencyHistogram {

  static final int SUB_BITS = 7;
  static final int SUB_COUNT = 1 << SUB_BITS;
  static final int MAX_EXPONENT = 45;
  static final int BUCKETS = SUB_COUNT + (MAX_EXPONENT - SUB_BITS) * SUB_COUNT;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final AtomicLong max = new AtomicLong(0);
  private final AtomicLong sum = new AtomicLong(0);

  /** Creates an empty histogram. */
  public LatencyHistogram() {}

  /**
   * Records one value.
   *
   * @param value the value; negative values are recorded as 0
   */
  public void record(long value) {
    long v = Math.max(0, value);
    counts.incrementAndGet(indexOf(v));
    sum.addAndGet(v);
    long m = max.get();
    while (v > m && !max.compareAndSet(m, v)) {
      m = max.get();
    }
  }

  /**
   * The largest value recorded, or 0 when empty.
   *
   * @return the exact maximum
   */
  public long max() {
    return max.get();
  }

  /**
   * An immutable summary of what has been recorded so far.
   *
   * @return count, mean, p50, p95, p99 and max
   */
  public LatencySummary snapshot() {
    long[] c = new long[BUCKETS];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      c[i] = counts.get(i);
      total += c[i];
    }
    long mx = max.get();
    if (total == 0) {
      return new LatencySummary(0, 0, 0, 0, 0, 0);
    }
    double mean = (double) sum.get() / total;
    return new LatencySummary(
        total, mean, percentile(c, total, 50, mx), percentile(c, total, 95, mx),
        percentile(c, total, 99, mx), mx);
  }

  static int indexOf(long v) {
    if (v < SUB_COUNT) {
      return (int) v;
    }
    int exponent = 63 - Long.numberOfLeadingZeros(v);
    if (exponent >= MAX_EXPONENT) {
      return BUCKETS - 1;
    }
    int shift = exponent - SUB_BITS;
    int sub = (int) (v >>> shift) - SUB_COUNT;
    return SUB_COUNT + shift * SUB_COUNT + sub;
  }

  /** The largest value that maps to bucket {@code index}. */
  static long highestInBucket(int index) {
    if (index < SUB_COUNT) {
      return index;
    }
    int j = index - SUB_COUNT;
    int shift = j / SUB_COUNT;
    long sub = (j % SUB_COUNT) + SUB_COUNT;
    return ((sub + 1) << shift) - 1;
  }

  private static long percentile(long[] c, long total, double p, long max) {
    long rank = Math.max(1, (long) Math.ceil(p / 100.0 * total));
    long seen = 0;
    for (int i = 0; i < c.length; i++) {
      seen += c[i];
      if (seen >= rank) {
        return Math.min(highestInBucket(i), max);
      }
    }
    return max;
  }
}
