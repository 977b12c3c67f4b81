package org.sieveml.ranking;

/**
 * Offline metrics of predicted probabilities against 0/1 labels.
 *
 * <ul>
 *   <li>ROC-AUC: the probability that a random positive scores above a random negative, ties counting one
 *       half (Mann-Whitney, with mid-ranks).
 *   <li>PR-AUC: average precision, {@code Σ_k (R_k - R_{k-1}) P_k} over distinct score thresholds (as
 *       scikit-learn's {@code average_precision_score}).
 *   <li>log loss: mean of {@code -(y log p + (1-y) log(1-p))}, p clipped to [1e-15, 1 - 1e-15].
 *   <li>normalized entropy: log loss divided by the log loss of always predicting the base rate (He et al.,
 *       2014); below 1 means better than the base rate.
 *   <li>calibration ratio: mean prediction divided by mean label (1 is calibrated on average).
 *   <li>expected calibration error: {@code Σ_b (n_b / n) |mean(p)_b - mean(y)_b|} over equal-width bins.
 * </ul>
 *
 * <p>Thread-safety: stateless; safe for concurrent use.
 */
public final class ClassificationMetrics {
  private ClassificationMetrics() {}

  /**
   * ROC-AUC.
   *
   * @param scores predictions
   * @param labels 0/1 labels
   * @return the AUC, NaN if only one class is present
   */
  public static double rocAuc(double[] scores, double[] labels) {
    check(scores, labels);
    int n = scores.length;
    Integer[] idx = order(scores, true);
    double rankSumPos = 0;
    long pos = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) {
        j++;
      }
      double midRank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (labels[idx[k]] == 1) {
          rankSumPos += midRank;
          pos++;
        }
      }
      i = j + 1;
    }
    long neg = n - pos;
    if (pos == 0 || neg == 0) {
      return Double.NaN;
    }
    return (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
  }

  /**
   * PR-AUC as average precision.
   *
   * @param scores predictions
   * @param labels 0/1 labels
   * @return the average precision, NaN without positives
   */
  public static double prAuc(double[] scores, double[] labels) {
    check(scores, labels);
    // Unit weights: precision Σ w·y / Σ w is then hits / rows, exactly the unweighted definition.
    double[] ones = new double[scores.length];
    java.util.Arrays.fill(ones, 1.0);
    return prAuc(scores, labels, ones);
  }

  /**
   * PR-AUC as average precision with row weights, e.g. to evaluate at a population's true base rate on a
   * sample whose negatives were downsampled (weight each kept negative by the inverse of its keep rate):
   * precision at a threshold is {@code Σ w·y / Σ w} over the rows at or above it, recall is
   * {@code Σ w·y / Σ_all w·y}.
   *
   * @param scores predictions
   * @param labels 0/1 labels
   * @param weights positive row weights
   * @return the weighted average precision, NaN without positives
   */
  public static double prAuc(double[] scores, double[] labels, double[] weights) {
    check(scores, labels);
    if (weights == null || weights.length != scores.length) {
      throw new IllegalArgumentException("weights must have one entry per score (" + scores.length + ")");
    }
    int n = scores.length;
    Integer[] idx = order(scores, false);
    double totalPos = 0;
    for (int i = 0; i < n; i++) {
      if (!(weights[i] > 0) || !Double.isFinite(weights[i])) {
        throw new IllegalArgumentException("weights[" + i + "] is " + weights[i] + "; expected positive finite");
      }
      totalPos += weights[i] * labels[i];
    }
    if (totalPos == 0) {
      return Double.NaN;
    }
    double tp = 0;
    double all = 0;
    double ap = 0;
    double prevRecall = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[idx[j + 1]] == scores[idx[i]]) {
        j++;
      }
      for (int k = i; k <= j; k++) {
        tp += weights[idx[k]] * labels[idx[k]];
        all += weights[idx[k]];
      }
      double recall = tp / totalPos;
      ap += (recall - prevRecall) * (tp / all);
      prevRecall = recall;
      i = j + 1;
    }
    return ap;
  }

  /**
   * Mean log loss.
   *
   * @param probs predicted probabilities, each in [0, 1]
   * @param labels 0/1 labels
   * @return the log loss (natural log)
   * @throws IllegalArgumentException naming the first value outside [0, 1]
   */
  public static double logLoss(double[] probs, double[] labels) {
    check(probs, labels);
    for (int i = 0; i < probs.length; i++) {
      if (!(probs[i] >= 0 && probs[i] <= 1)) {
        throw new IllegalArgumentException("probs[" + i + "] is " + probs[i] + "; expected a probability in [0, 1]");
      }
    }
    double s = 0;
    for (int i = 0; i < probs.length; i++) {
      double p = Math.min(Math.max(probs[i], 1e-15), 1 - 1e-15);
      s -= labels[i] == 1 ? Math.log(p) : Math.log(1 - p);
    }
    return s / probs.length;
  }

  /**
   * The log loss of always predicting the labels' mean.
   *
   * @param labels 0/1 labels
   * @return the base-rate log loss
   */
  public static double baseRateLogLoss(double[] labels) {
    double m = mean(labels);
    if (m == 0 || m == 1) {
      return 0;
    }
    return -(m * Math.log(m) + (1 - m) * Math.log(1 - m));
  }

  /**
   * Normalized entropy: log loss over the base-rate log loss.
   *
   * @param probs predicted probabilities
   * @param labels 0/1 labels
   * @return the normalized entropy, NaN with one class
   */
  public static double normalizedEntropy(double[] probs, double[] labels) {
    double base = baseRateLogLoss(labels);
    return base == 0 ? Double.NaN : logLoss(probs, labels) / base;
  }

  /**
   * Calibration ratio: mean prediction over mean label.
   *
   * @param probs predicted probabilities
   * @param labels 0/1 labels
   * @return the ratio, NaN without positives
   */
  public static double calibrationRatio(double[] probs, double[] labels) {
    check(probs, labels);
    double y = mean(labels);
    return y == 0 ? Double.NaN : mean(probs) / y;
  }

  /**
   * Expected calibration error over {@code bins} equal-width bins of [0, 1].
   *
   * @param probs predicted probabilities in [0, 1]
   * @param labels 0/1 labels
   * @param bins the bin count, positive
   * @return the ECE
   */
  public static double expectedCalibrationError(double[] probs, double[] labels, int bins) {
    double[][] c = reliabilityCurve(probs, labels, bins);
    double e = 0;
    int n = probs.length;
    for (int b = 0; b < bins; b++) {
      if (c[2][b] > 0) {
        e += c[2][b] / n * Math.abs(c[0][b] - c[1][b]);
      }
    }
    return e;
  }

  /**
   * The reliability curve over equal-width bins: for each bin, the mean prediction, the observed positive
   * rate and the count (bins with no rows hold NaN means and a zero count). Bin b holds
   * {@code b/bins <= p < (b+1)/bins}; p = 1 goes to the last bin.
   *
   * @param probs predicted probabilities in [0, 1]
   * @param labels 0/1 labels
   * @param bins the bin count, positive
   * @return {@code {meanPredicted[], observedRate[], count[]}}
   */
  public static double[][] reliabilityCurve(double[] probs, double[] labels, int bins) {
    check(probs, labels);
    if (bins < 1) {
      throw new IllegalArgumentException("bins is " + bins + "; expected >= 1");
    }
    double[] sp = new double[bins];
    double[] sy = new double[bins];
    double[] cnt = new double[bins];
    for (int i = 0; i < probs.length; i++) {
      double p = probs[i];
      if (p < 0 || p > 1) {
        throw new IllegalArgumentException("probs[" + i + "] is " + p + "; expected in [0, 1]");
      }
      int b = Math.min((int) (p * bins), bins - 1);
      sp[b] += p;
      sy[b] += labels[i];
      cnt[b]++;
    }
    for (int b = 0; b < bins; b++) {
      sp[b] = cnt[b] == 0 ? Double.NaN : sp[b] / cnt[b];
      sy[b] = cnt[b] == 0 ? Double.NaN : sy[b] / cnt[b];
    }
    return new double[][] {sp, sy, cnt};
  }

  private static double mean(double[] a) {
    double s = 0;
    for (double v : a) {
      s += v;
    }
    return s / a.length;
  }

  private static Integer[] order(double[] scores, boolean ascending) {
    Integer[] idx = new Integer[scores.length];
    for (int i = 0; i < idx.length; i++) {
      idx[i] = i;
    }
    java.util.Arrays.sort(idx, ascending
        ? (a, b) -> Double.compare(scores[a], scores[b])
        : (a, b) -> Double.compare(scores[b], scores[a]));
    return idx;
  }

  private static void check(double[] scores, double[] labels) {
    if (scores == null || labels == null || scores.length != labels.length || scores.length == 0) {
      throw new IllegalArgumentException("scores and labels must be non-empty and of equal length; got "
          + (scores == null ? "null" : scores.length) + " and " + (labels == null ? "null" : labels.length));
    }
    for (int i = 0; i < scores.length; i++) {
      if (!Double.isFinite(scores[i])) {
        throw new IllegalArgumentException("scores[" + i + "] is " + scores[i] + "; expected finite");
      }
      if (labels[i] != 0 && labels[i] != 1) {
        throw new IllegalArgumentException("labels[" + i + "] is " + labels[i] + "; expected 0 or 1");
      }
    }
  }
}
