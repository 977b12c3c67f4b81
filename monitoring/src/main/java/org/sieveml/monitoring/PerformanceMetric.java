package org.sieveml.monitoring;

/**
 * A model-performance metric that {@link Cbpe} (classification) or {@link Dle} (regression) estimates
 * without labels. Each has the range its values, bands and alert thresholds are clipped to.
 *
 * <p>Immutable and thread-safe.
 */
public enum PerformanceMetric {
  /** Area under the ROC curve of the scores, in [0, 1]. */
  ROC_AUC(0, 1),
  /** TP / (TP + FP) at the estimator's threshold, in [0, 1]. */
  PRECISION(0, 1),
  /** TP / (TP + FN), in [0, 1]. */
  RECALL(0, 1),
  /** 2 TP / (2 TP + FP + FN), in [0, 1]. */
  F1(0, 1),
  /** (TP + TN) / n, in [0, 1]. */
  ACCURACY(0, 1),
  /** Mean absolute error, in [0, inf). */
  MAE(0, Double.POSITIVE_INFINITY),
  /** Root mean squared error, in [0, inf). */
  RMSE(0, Double.POSITIVE_INFINITY);

  private final double lower;
  private final double upper;

  PerformanceMetric(double lower, double upper) {
    this.lower = lower;
    this.upper = upper;
  }

  /**
   * The smallest value the metric can take.
   *
   * @return the lower end of its range
   */
  public double lower() {
    return lower;
  }

  /**
   * The largest value the metric can take.
   *
   * @return the upper end of its range (infinite for errors)
   */
  public double upper() {
    return upper;
  }

  /**
   * Whether a larger value means a better model (true for the classification metrics, false for
   * errors).
   *
   * @return true when higher is better
   */
  public boolean higherIsBetter() {
    return upper == 1;
  }

  double clip(double v) {
    return Double.isNaN(v) ? v : Math.max(lower, Math.min(upper, v));
  }
}
