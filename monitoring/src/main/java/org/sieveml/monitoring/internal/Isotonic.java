package org.sieveml.monitoring.internal;

import java.util.Arrays;

/**
 * Isotonic (non-decreasing) regression of a target on a score by the pool-adjacent-violators
 * algorithm, with scikit-learn's {@code IsotonicRegression(increasing=True, out_of_bounds="clip")}
 * semantics: equal scores are merged first (weighted mean of their targets), predictions interpolate
 * linearly between the fitted points and are clipped to the first/last fitted value outside the
 * fitted range. Fitting is O(n log n), prediction O(log n). Immutable and thread-safe.
 */
public final class Isotonic {

  private final double[] xs;
  private final double[] fitted;

  private Isotonic(double[] xs, double[] fitted) {
    this.xs = xs;
    this.fitted = fitted;
  }

  /**
   * Fits {@code y} on {@code x}.
   *
   * @param x scores, finite, at least one
   * @param y targets, finite, same length
   * @return the fitted regression
   */
  public static Isotonic fit(double[] x, double[] y) {
    int n = x.length;
    int[] order = DoubleSort.argsort(x, false);
    double[] ux = new double[n];
    double[] sum = new double[n];
    double[] w = new double[n];
    int m = 0;
    for (int k = 0; k < n; k++) {
      int i = order[k];
      if (m > 0 && ux[m - 1] == x[i]) {
        sum[m - 1] += y[i];
        w[m - 1] += 1;
      } else {
        ux[m] = x[i];
        sum[m] = y[i];
        w[m] = 1;
        m++;
      }
    }
    // PAV over blocks: block value = sum / weight; a block absorbs its predecessor while it is lower
    double[] bSum = new double[m];
    double[] bW = new double[m];
    int[] bEnd = new int[m];
    int blocks = 0;
    for (int j = 0; j < m; j++) {
      bSum[blocks] = sum[j];
      bW[blocks] = w[j];
      bEnd[blocks] = j;
      blocks++;
      while (blocks > 1 && bSum[blocks - 2] / bW[blocks - 2] >= bSum[blocks - 1] / bW[blocks - 1]) {
        bSum[blocks - 2] += bSum[blocks - 1];
        bW[blocks - 2] += bW[blocks - 1];
        bEnd[blocks - 2] = bEnd[blocks - 1];
        blocks--;
      }
    }
    double[] f = new double[m];
    int start = 0;
    for (int b = 0; b < blocks; b++) {
      double v = bSum[b] / bW[b];
      for (int j = start; j <= bEnd[b]; j++) {
        f[j] = v;
      }
      start = bEnd[b] + 1;
    }
    return new Isotonic(Arrays.copyOf(ux, m), f);
  }

  /**
   * The fitted value at {@code x}.
   *
   * @param x a score
   * @return the interpolated, clipped fitted value
   */
  public double apply(double x) {
    int m = xs.length;
    if (x <= xs[0]) {
      return fitted[0];
    }
    if (x >= xs[m - 1]) {
      return fitted[m - 1];
    }
    int i = Arrays.binarySearch(xs, x);
    if (i >= 0) {
      return fitted[i];
    }
    int hi = -i - 1;
    int lo = hi - 1;
    double t = (x - xs[lo]) / (xs[hi] - xs[lo]);
    return fitted[lo] + t * (fitted[hi] - fitted[lo]);
  }
}
