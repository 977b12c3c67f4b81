package org.sieveml.core.telemetry;

import java.util.Locale;

/**
 * An immutable summary of a latency distribution, in nanoseconds.
 *
 * <p>Percentiles are upper bounds within 0.8 % of the true value (see {@link LatencyHistogram});
 * {@link #max()} is exact. All fields are 0 when nothing was recorded.
 */
public final class LatencySummary {
  private final long count;
  private final double meanNanos;
  private final long p50;
  private final long p95;
  private final long p99;
  private final long max;

  /**
   * Creates a summary.
   *
   * @param count number of observations
   * @param meanNanos arithmetic mean
   * @param p50 median
   * @param p95 95th percentile
   * @param p99 99th percentile
   * @param max maximum
   */
  public LatencySummary(long count, double meanNanos, long p50, long p95, long p99, long max) {
    this.count = count;
    this.meanNanos = meanNanos;
    this.p50 = p50;
    this.p95 = p95;
    this.p99 = p99;
    this.max = max;
  }

  /**
   * The number of observations.
   *
   * @return the count
   */
  public long count() {
    return count;
  }

  /**
   * The mean in nanoseconds.
   *
   * @return the mean
   */
  public double meanNanos() {
    return meanNanos;
  }

  /**
   * The median in nanoseconds.
   *
   * @return p50
   */
  public long p50() {
    return p50;
  }

  /**
   * The 95th percentile in nanoseconds.
   *
   * @return p95
   */
  public long p95() {
    return p95;
  }

  /**
   * The 99th percentile in nanoseconds.
   *
   * @return p99
   */
  public long p99() {
    return p99;
  }

  /**
   * The maximum in nanoseconds.
   *
   * @return max
   */
  public long max() {
    return max;
  }

  /** Renders as {@code n=1000 p50=12.3us p95=20.1us p99=35.0us max=80.2us}. */
  @Override
  public String toString() {
    return String.format(
        Locale.ROOT, "n=%d p50=%s p95=%s p99=%s max=%s", count, fmt(p50), fmt(p95), fmt(p99), fmt(max));
  }

  /**
   * Formats nanoseconds with a readable unit (ns, us, ms, s).
   *
   * @param nanos a duration in nanoseconds
   * @return e.g. {@code 12.3us}
   */
  public static String fmt(double nanos) {
    if (nanos < 1_000) {
      return String.format(Locale.ROOT, "%.0fns", nanos);
    }
    if (nanos < 1_000_000) {
      return String.format(Locale.ROOT, "%.1fus", nanos / 1e3);
    }
    if (nanos < 1_000_000_000) {
      return String.format(Locale.ROOT, "%.2fms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%.2fs", nanos / 1e9);
  }
}
