package org.sieveml.monitoring;

import org.sieveml.monitoring.internal.AbstractDetector;

/**
 * ADWIN (Bifet and Gavaldà, 2007): an adaptive sliding window over a numeric stream, kept as an
 * exponential histogram of buckets (at most {@value #MAX_BUCKETS_PER_ROW} + 1 buckets of size 2^i per
 * row), whose oldest part is dropped whenever two sub-windows have means differing by more than the
 * Hoeffding/Bernstein bound at confidence {@code delta}.
 *
 * <p>Semantics match MOA's {@code ADWIN} class (delta 0.002, cut checks every {@value #DEFAULT_CLOCK}
 * observations once the window holds more than 10, sub-windows of at least 7 elements), so detections
 * land on the same observations. The test is two-sided: both increases and decreases of the mean
 * are detected ({@link #lastDriftIncreased()} tells which); {@link #increasesOnly(double)} gives the
 * one-sided behaviour of MOA's {@code ADWINChangeDetector}, which reports only increases. There is no
 * warning state. Reset semantics: a drift shrinks the window (the old sub-window is dropped, one
 * oldest bucket at a time until no cut remains); the detector is never cleared. Unlike MOA, bucket
 * variance arithmetic is done in double precision, so windows beyond 2^16 elements do not suffer
 * MOA's int overflow.
 *
 * <p>Memory is O(log W) for a window of W elements; an update is O(1) amortised except on clock ticks,
 * which cost O(log W). Not thread-safe (see {@link ChangeDetector}).
 */
public final class Adwin extends AbstractDetector {

  /** MOA's default confidence. */
  public static final double DEFAULT_DELTA = 0.002;
  /** MOA's clock: cut checks every 32 observations. */
  public static final int DEFAULT_CLOCK = 32;
  /** Buckets per row before two are merged into the next row (MOA's MAXBUCKETS). */
  public static final int MAX_BUCKETS_PER_ROW = 5;

  private static final int CAP = MAX_BUCKETS_PER_ROW + 1;
  private static final int MIN_WINDOW = 10;
  private static final int MIN_SUBWINDOW = 5;

  private final double delta;
  private final int clock;
  private final boolean increasesOnly;

  private double[][] totals = new double[8][CAP];
  private double[][] variances = new double[8][CAP];
  private int[] sizes = new int[8];
  private int rows;
  private long time;
  private double total;
  private double variance;
  private long width;
  private boolean lastIncrease;

  /** ADWIN with MOA's defaults (delta 0.002, clock 32), two-sided. */
  public Adwin() {
    this(DEFAULT_DELTA, DEFAULT_CLOCK, false);
  }

  /**
   * Two-sided ADWIN with the given confidence.
   *
   * @param delta confidence in (0, 1)
   */
  public Adwin(double delta) {
    this(delta, DEFAULT_CLOCK, false);
  }

  /**
   * ADWIN with all parameters.
   *
   * @param delta confidence in (0, 1)
   * @param clock cut checks every {@code clock} observations, {@code >= 1}
   * @param increasesOnly report only drifts that increase the mean
   */
  public Adwin(double delta, int clock, boolean increasesOnly) {
    if (!(delta > 0 && delta < 1)) {
      throw new IllegalArgumentException("delta must be in (0, 1), was " + delta);
    }
    if (clock < 1) {
      throw new IllegalArgumentException("clock must be >= 1, was " + clock);
    }
    this.delta = delta;
    this.clock = clock;
    this.increasesOnly = increasesOnly;
    resetAlgorithm();
  }

  /**
   * One-sided ADWIN reporting only increases of the mean (MOA's {@code ADWINChangeDetector}); the
   * window still shrinks on decreases.
   *
   * @param delta confidence in (0, 1)
   * @return a new detector
   */
  public static Adwin increasesOnly(double delta) {
    return new Adwin(delta, DEFAULT_CLOCK, true);
  }

  @Override
  public String name() {
    return increasesOnly ? "ADWIN(increases)" : "ADWIN";
  }

  @Override
  public double estimate() {
    return width == 0 ? 0 : total / width;
  }

  /**
   * The current window length.
   *
   * @return elements in the window
   */
  public long width() {
    return width;
  }

  /**
   * The variance of the window's elements.
   *
   * @return the variance
   */
  public double variance() {
    return width == 0 ? 0 : variance / width;
  }

  /**
   * Whether the last drift raised the mean (false if it lowered it, or if none occurred).
   *
   * @return the direction of the last drift
   */
  public boolean lastDriftIncreased() {
    return lastIncrease;
  }

  @Override
  protected void resetAlgorithm() {
    totals = new double[8][CAP];
    variances = new double[8][CAP];
    sizes = new int[8];
    rows = 1;
    time = 0;
    total = 0;
    variance = 0;
    width = 0;
    lastIncrease = false;
  }

  @Override
  protected DetectorState step(double value) {
    double before = estimate();
    boolean change = input(value);
    if (!change) {
      return DetectorState.STABLE;
    }
    lastIncrease = estimate() > before;
    if (increasesOnly && !lastIncrease) {
      return DetectorState.STABLE;
    }
    return DetectorState.DRIFT;
  }

  private boolean input(double value) {
    time++;
    insert(value);
    if (time % clock != 0 || width <= MIN_WINDOW) {
      return false;
    }
    boolean change = false;
    boolean reduce = true;
    while (reduce) {
      reduce = false;
      long n0 = 0;
      long n1 = width;
      double u0 = 0;
      double u1 = total;
      double n = width;
      double dd = Math.log(2 * Math.log(n) / delta);
      double v = variance / width;
      outer:
      for (int i = rows - 1; i >= 0; i--) {
        double[] t = totals[i];
        int size = sizes[i];
        long bs = 1L << i;
        for (int k = 0; k < size; k++) {
          n0 += bs;
          n1 -= bs;
          u0 += t[k];
          u1 -= t[k];
          if (i == 0 && k == size - 1) {
            break outer;
          }
          if (n1 > MIN_SUBWINDOW + 1 && n0 > MIN_SUBWINDOW + 1) {
            double abs = (u0 / n0) - (u1 / n1);
            double m = ((double) 1 / ((n0 - MIN_SUBWINDOW + 1))) + ((double) 1 / ((n1 - MIN_SUBWINDOW + 1)));
            double epsilon = Math.sqrt(2 * m * v * dd) + (double) 2 / 3 * dd * m;
            if (Math.abs(abs) > epsilon) {
              reduce = true;
              change = true;
              if (width > 0) {
                deleteOldest();
              }
              break outer;
            }
          }
        }
      }
    }
    return change;
  }

  private void insert(double value) {
    width++;
    append(0, value, 0);
    if (width > 1) {
      double mean = total / (width - 1);
      variance += (width - 1) * (value - mean) * (value - mean) / width;
    }
    total += value;
    compress();
  }

  private void append(int row, double t, double v) {
    if (row >= totals.length) {
      int len = totals.length * 2;
      totals = java.util.Arrays.copyOf(totals, len);
      variances = java.util.Arrays.copyOf(variances, len);
      sizes = java.util.Arrays.copyOf(sizes, len);
      for (int r = len / 2; r < len; r++) {
        totals[r] = new double[CAP];
        variances[r] = new double[CAP];
      }
    }
    int k = sizes[row]++;
    totals[row][k] = t;
    variances[row][k] = v;
  }

  private void compress() {
    for (int i = 0; sizes[i] == CAP; i++) {
      if (i + 1 == rows) {
        rows++;
      }
      double n1 = 1L << i;
      double u1 = totals[i][0] / n1;
      double u2 = totals[i][1] / n1;
      double inc = n1 * n1 * (u1 - u2) * (u1 - u2) / (n1 + n1);
      append(i + 1, totals[i][0] + totals[i][1], variances[i][0] + variances[i][1] + inc);
      dropFirst(i, 2);
      if (sizes[i + 1] <= MAX_BUCKETS_PER_ROW) {
        break;
      }
    }
  }

  private void dropFirst(int row, int count) {
    double[] t = totals[row];
    double[] v = variances[row];
    System.arraycopy(t, count, t, 0, CAP - count);
    System.arraycopy(v, count, v, 0, CAP - count);
    for (int k = CAP - count; k < CAP; k++) {
      t[k] = 0;
      v[k] = 0;
    }
    sizes[row] -= count;
  }

  private void deleteOldest() {
    int last = rows - 1;
    long n1 = 1L << last;
    width -= n1;
    double t0 = totals[last][0];
    total -= t0;
    double u1 = t0 / n1;
    double inc = variances[last][0] + (double) n1 * width * (u1 - total / width) * (u1 - total / width)
        / (n1 + width);
    variance -= inc;
    dropFirst(last, 1);
    if (sizes[last] == 0 && rows > 1) {
      rows--;
    }
  }
}
