package org.sieveml.monitoring;

/**
 * The confusion matrix a calibrated classifier expects on rows whose labels are unknown: with p_i the
 * calibrated probability that row i is positive, {@code truePositives} is the sum of p_i over the rows
 * predicted positive, {@code falsePositives} the sum of 1 - p_i over them, {@code falseNegatives} the sum
 * of p_i over the rows predicted negative and {@code trueNegatives} the sum of 1 - p_i over them. The
 * four add up to the number of rows.
 *
 * <p>Immutable and thread-safe.
 *
 * @param truePositives E[TP]
 * @param falsePositives E[FP]
 * @param falseNegatives E[FN]
 * @param trueNegatives E[TN]
 */
public record ExpectedConfusionMatrix(
    double truePositives, double falsePositives, double falseNegatives, double trueNegatives) {

  /**
   * The number of rows, {@code TP + FP + FN + TN}.
   *
   * @return the total
   */
  public double total() {
    return truePositives + falsePositives + falseNegatives + trueNegatives;
  }
}
