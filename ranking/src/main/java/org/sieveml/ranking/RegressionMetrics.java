package org.sieveml.ranking;

import java.util.Arrays;

/**
 * Offline metrics of regression predictions (ETA and similar): MAE, RMSE, RMSLE
 * ({@code sqrt(mean((log1p(pred) - log1p(y))^2))}, both non-negative), MAPE (mean of {@code |pred - y| / |y|}
 * over rows with {@code y != 0}) and percentiles of the absolute error (linear interpolation between order
 * statistics, numpy's default).
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
public final class RegressionMetrics {
  private RegressionMetrics() {}

  /**
   * Mean absolute error.
   *
   * @param pred predictions
   * @param y targets
   * @return the MAE
   */
  public static double mae(double[] pred, double[] y) {
    check(pred, y);
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      s += Math.abs(pred[i] - y[i]);
    }
    return s / y.length;
  }

  /**
   * Root mean squared error.
   *
   * @param pred predictions
   * @param y targets
   * @return the RMSE
   */
  public static double rmse(double[] pred, double[] y) {
    check(pred, y);
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      double d = pred[i] - y[i];
      s += d * d;
    }
    return Math.sqrt(s / y.length);
  }

  /**
   * Root mean squared logarithmic error.
   *
   * @param pred non-negative predictions
   * @param y non-negative targets
   * @return the RMSLE
   */
  public static double rmsle(double[] pred, double[] y) {
    check(pred, y);
    double s = 0;
    for (int i = 0; i < y.length; i++) {
      if (pred[i] < 0 || y[i] < 0) {
        throw new IllegalArgumentException("row " + i + " has pred " + pred[i] + ", y " + y[i]
            + "; RMSLE expects non-negative values");
      }
      double d = Math.log1p(pred[i]) - Math.log1p(y[i]);
      s += d * d;
    }
    return Math.sqrt(s / y.length);
  }

  /**
   * Mean absolute percentage error, as a fraction (0.1 = 10 %), over rows whose target is not zero.
   *
   * @param pred predictions
   * @param y targets
   * @return the MAPE, NaN if every target is zero
   */
  public static double mape(double[] pred, double[] y) {
    check(pred, y);
    double s = 0;
    int n = 0;
    for (int i = 0; i < y.length; i++) {
      if (y[i] != 0) {
        s += Math.abs(pred[i] - y[i]) / Math.abs(y[i]);
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }

  /**
   * A percentile of the absolute error.
   *
   * @param pred predictions
   * @param y targets
   * @param q the percentile in [0, 100]
   * @return the q-th percentile of |pred - y|
   */
  public static double absoluteErrorPercentile(double[] pred, double[] y, double q) {
    check(pred, y);
    if (!(q >= 0 && q <= 100)) {
      throw new IllegalArgumentException("q is " + q + "; expected in [0, 100]");
    }
    double[] e = new double[y.length];
    for (int i = 0; i < e.length; i++) {
      e[i] = Math.abs(pred[i] - y[i]);
    }
    Arrays.sort(e);
    double pos = q / 100 * (e.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = Math.min(lo + 1, e.length - 1);
    return e[lo] + (pos - lo) * (e[hi] - e[lo]);
  }

  private static void check(double[] pred, double[] y) {
    if (pred == null || y == null || pred.length != y.length || y.length == 0) {
      throw new IllegalArgumentException("pred and y must be non-empty and of equal length; got "
          + (pred == null ? "null" : pred.length) + " and " + (y == null ? "null" : y.length));
    }
    for (int i = 0; i < y.length; i++) {
      if (!Double.isFinite(pred[i]) || !Double.isFinite(y[i])) {
        throw new IllegalArgumentException("row " + i + " has pred " + pred[i] + ", y " + y[i] + "; expected finite");
      }
    }
  }
}
