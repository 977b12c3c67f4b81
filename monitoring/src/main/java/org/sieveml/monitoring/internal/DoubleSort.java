package org.sieveml.monitoring.internal;

import java.util.Arrays;

/**
 * Sorts large {@code double[]} arrays with an LSD radix sort on the order-preserving 64-bit image of
 * each value (six passes of 11 bits), which is several times faster than a comparison sort on
 * millions of values. The order is that of {@link Arrays#sort(double[])} (-0.0 before 0.0); inputs
 * must not contain NaN. Small arrays use {@link Arrays#sort(double[])}. Stateless and thread-safe.
 */
public final class DoubleSort {

  private static final int RADIX_THRESHOLD = 1 << 16;
  private static final int BITS = 11;
  private static final int MASK = (1 << BITS) - 1;
  private static final int PASSES = 6;
  private static final int SAMPLE = 16384;

  private DoubleSort() {}

  /**
   * Sorts {@code a} in place.
   *
   * @param a values without NaN
   */
  public static void sort(double[] a) {
    int n = a.length;
    if (n < RADIX_THRESHOLD) {
      Arrays.sort(a);
      return;
    }
    long[] src = new long[n];
    for (int i = 0; i < n; i++) {
      long b = Double.doubleToRawLongBits(a[i]);
      src[i] = b ^ ((b >> 63) | Long.MIN_VALUE);
    }
    long[] dst = new long[n];
    // one pass computes the histograms of all six 11-bit digits (2,048 buckets keep the scatter
    // cache- and TLB-friendly)
    int[][] count = new int[PASSES][1 << BITS];
    for (int i = 0; i < n; i++) {
      long v = src[i];
      for (int p = 0; p < PASSES; p++) {
        count[p][(int) (v >>> (p * BITS)) & MASK]++;
      }
    }
    for (int p = 0; p < PASSES; p++) {
      int[] c = count[p];
      int shift = p * BITS;
      if (c[(int) (src[0] >>> shift) & MASK] == n) {
        continue; // every value has the same digit: nothing to move
      }
      int sum = 0;
      for (int d = 0; d < c.length; d++) {
        int t = c[d];
        c[d] = sum;
        sum += t;
      }
      for (int i = 0; i < n; i++) {
        long v = src[i];
        dst[c[(int) (v >>> shift) & MASK]++] = v;
      }
      long[] t = src;
      src = dst;
      dst = t;
    }
    for (int i = 0; i < n; i++) {
      long k = src[i];
      long b = k ^ (((~k) >> 63) | Long.MIN_VALUE);
      a[i] = Double.longBitsToDouble(b);
    }
  }

  /**
   * The values at the given ranks of {@code a} (what {@code a[k]} would hold if {@code a} were
   * sorted), without changing {@code a}. Large inputs take one classification pass instead of a
   * quickselect over everything: a strided sample of {@value #SAMPLE} values brackets each rank
   * (3.5 standard errors of the sample quantile each side); one pass counts the values below each
   * bracket and copies the few inside it; a small select inside the bracket finishes. When a bracket
   * misses its rank or two brackets touch (heavy ties), it falls back to {@link #select}. The result
   * is exact either way.
   *
   * @param a values without NaN
   * @param ranks ascending distinct ranks in [0, a.length)
   * @return the value of each rank
   */
  public static double[] valuesAtRanks(double[] a, int[] ranks) {
    int n = a.length;
    int k = ranks.length;
    if (n < RADIX_THRESHOLD || k == 0 || k > 60) {
      return selectCopy(a, ranks);
    }
    double[] sample = new double[SAMPLE];
    for (int i = 0; i < SAMPLE; i++) {
      sample[i] = a[(int) ((long) i * n / SAMPLE)];
    }
    Arrays.sort(sample);
    double[] bounds = new double[2 * k];
    for (int j = 0; j < k; j++) {
      double p = (ranks[j] + 0.5) / n;
      double se = Math.sqrt(p * (1 - p) / SAMPLE);
      int lo = Math.max(0, (int) Math.floor((p - 3.5 * se) * SAMPLE) - 2);
      int hi = Math.min(SAMPLE - 1, (int) Math.ceil((p + 3.5 * se) * SAMPLE) + 2);
      bounds[2 * j] = sample[lo];
      // values equal to the sample's upper value are inside: the bracket is [lo, nextUp(hi))
      bounds[2 * j + 1] = Math.nextUp(sample[hi]);
      if (j > 0 && bounds[2 * j] < bounds[2 * j - 1]) {
        return selectCopy(a, ranks); // brackets overlap: heavy ties
      }
    }
    EdgeGrid grid = new EdgeGrid(bounds);
    long[] regionCount = new long[2 * k + 1];
    double[][] inside = new double[k][];
    int[] size = new int[k];
    int initial = (int) Math.min(n, 16L + 4L * n / 100 * k);
    for (int j = 0; j < k; j++) {
      inside[j] = new double[Math.max(16, initial / k)];
    }
    for (double v : a) {
      int r = grid.bucket(v);
      regionCount[r]++;
      if ((r & 1) != 0) {
        int j = r >>> 1;
        if (size[j] == inside[j].length) {
          inside[j] = Arrays.copyOf(inside[j], inside[j].length * 2);
        }
        inside[j][size[j]++] = v;
      }
    }
    double[] out = new double[k];
    long below = 0;
    for (int j = 0; j < k; j++) {
      below += regionCount[2 * j];
      long local = ranks[j] - below;
      if (local < 0 || local >= size[j]) {
        return selectCopy(a, ranks); // the sample missed: exact fallback
      }
      double[] in = Arrays.copyOf(inside[j], size[j]);
      select(in, new int[] {(int) local});
      out[j] = in[(int) local];
      below += size[j];
    }
    return out;
  }

  private static double[] selectCopy(double[] a, int[] ranks) {
    double[] copy = a.clone();
    select(copy, ranks);
    double[] out = new double[ranks.length];
    for (int j = 0; j < ranks.length; j++) {
      out[j] = copy[ranks[j]];
    }
    return out;
  }

  /**
   * Rearranges {@code a} so that each {@code a[k]} for k in {@code ranks} holds the value of rank k
   * (what it would hold if {@code a} were sorted), by a multi-target quickselect with three-way
   * partitioning (linear expected time, robust to ties; falls back to sorting a range after too many
   * unbalanced rounds).
   *
   * @param a values without NaN (permuted)
   * @param ranks ascending ranks in [0, a.length)
   */
  public static void select(double[] a, int[] ranks) {
    if (a.length == 0 || ranks.length == 0) {
      return;
    }
    select(a, 0, a.length - 1, ranks, 0, ranks.length - 1, 0);
  }

  private static void select(double[] a, int lo, int hi, int[] ks, int kLo, int kHi, int depth) {
    while (kLo <= kHi && lo < hi) {
      if (hi - lo < 48 || depth > 64) {
        Arrays.sort(a, lo, hi + 1);
        return;
      }
      depth++;
      int mid = (lo + hi) >>> 1;
      double x = a[lo];
      double y = a[mid];
      double z = a[hi];
      double pivot = x < y ? (y < z ? y : Math.max(x, z)) : (x < z ? x : Math.max(y, z));
      // Dutch national flag: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot
      int lt = lo;
      int gt = hi;
      int i = lo;
      while (i <= gt) {
        double v = a[i];
        if (v < pivot) {
          a[i++] = a[lt];
          a[lt++] = v;
        } else if (v > pivot) {
          a[i] = a[gt];
          a[gt--] = v;
        } else {
          i++;
        }
      }
      // ranks below lt, inside [lt, gt] (done), above gt
      int a1 = kLo;
      while (a1 <= kHi && ks[a1] < lt) {
        a1++;
      }
      int b1 = a1;
      while (b1 <= kHi && ks[b1] <= gt) {
        b1++;
      }
      if (a1 - kLo < kHi - b1 + 1) {
        select(a, lo, lt - 1, ks, kLo, a1 - 1, depth);
        lo = gt + 1;
        kLo = b1;
      } else {
        select(a, gt + 1, hi, ks, b1, kHi, depth);
        hi = lt - 1;
        kHi = a1 - 1;
      }
    }
  }

  /**
   * The indices {@code 0..v.length-1} ordered by their value in {@code v} (stable: equal values keep
   * their index order).
   *
   * @param v values without NaN
   * @param descending largest first when true
   * @return the ordered indices
   */
  public static int[] argsort(double[] v, boolean descending) {
    int[] all = new int[v.length];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    return argsort(v, all, descending);
  }

  /**
   * The given indices ordered by their value in {@code v} (stable).
   *
   * @param v values without NaN
   * @param rows indices into {@code v}
   * @param descending largest first when true
   * @return a new array of the ordered indices
   */
  public static int[] argsort(double[] v, int[] rows, boolean descending) {
    Integer[] boxed = new Integer[rows.length];
    for (int i = 0; i < rows.length; i++) {
      boxed[i] = rows[i];
    }
    Arrays.sort(boxed, descending ? (a, b) -> Double.compare(v[b], v[a]) : (a, b) -> Double.compare(v[a], v[b]));
    int[] out = new int[rows.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = boxed[i];
    }
    return out;
  }
}
