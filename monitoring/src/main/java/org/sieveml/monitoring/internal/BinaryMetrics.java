package org.sieveml.monitoring.internal;

/**
 * ROC-AUC, precision, recall, F1 and accuracy from scores and positive weights in one pass. With 0/1
 * labels as weights these are the realized metrics (equal to scikit-learn's {@code roc_auc_score},
 * {@code precision_score}, ... where those are defined); with calibrated probabilities as weights they
 * are CBPE's estimates: every count becomes an expected count (E[TP] = sum of p over predicted
 * positives, E[FP] = sum of 1 - p over them, ...), and the ROC curve is the expected one, TPR(t) =
 * sum_{s_i >= t} p_i / sum p_i and FPR(t) = sum_{s_i >= t} (1 - p_i) / sum (1 - p_i), integrated by
 * the trapezoid rule over distinct scores (ties form one step, as in scikit-learn). A metric whose
 * denominator is zero is NaN. Stateless and thread-safe.
 */
public final class BinaryMetrics {

  /** Index of ROC-AUC in the result. */
  public static final int AUC = 0;
  /** Index of precision. */
  public static final int PRECISION = 1;
  /** Index of recall. */
  public static final int RECALL = 2;
  /** Index of F1. */
  public static final int F1 = 3;
  /** Index of accuracy. */
  public static final int ACCURACY = 4;
  /** Number of metrics. */
  public static final int COUNT = 5;

  private BinaryMetrics() {}

  /**
   * The five metrics.
   *
   * @param scoresDesc the model's scores, sorted in descending order
   * @param p the weight of "positive" for each row in the same order (a label or a probability)
   * @param n how many leading entries to use
   * @param threshold a row is predicted positive when its score is {@code >= threshold}
   * @return {AUC, precision, recall, F1, accuracy}
   */
  public static double[] of(double[] scoresDesc, double[] p, int n, double threshold) {
    double totalPos = 0;
    for (int i = 0; i < n; i++) {
      totalPos += p[i];
    }
    double totalNeg = n - totalPos;
    double tp = 0;
    double fp = 0;
    double ctp = 0;
    double cfp = 0;
    double area = 0;
    double prevTpr = 0;
    double prevFpr = 0;
    int i = 0;
    while (i < n) {
      double s = scoresDesc[i];
      int j = i;
      while (j < n && scoresDesc[j] == s) {
        ctp += p[j];
        cfp += 1 - p[j];
        j++;
      }
      if (s >= threshold) {
        tp = ctp;
        fp = cfp;
      }
      double tpr = totalPos > 0 ? ctp / totalPos : 0;
      double fpr = totalNeg > 0 ? cfp / totalNeg : 0;
      area += (fpr - prevFpr) * (tpr + prevTpr) / 2;
      prevTpr = tpr;
      prevFpr = fpr;
      i = j;
    }
    double fn = totalPos - tp;
    double tn = totalNeg - fp;
    double[] r = new double[COUNT];
    r[AUC] = totalPos > 0 && totalNeg > 0 ? area : Double.NaN;
    r[PRECISION] = tp + fp > 0 ? tp / (tp + fp) : Double.NaN;
    r[RECALL] = totalPos > 0 ? tp / totalPos : Double.NaN;
    r[F1] = 2 * tp + fp + fn > 0 ? 2 * tp / (2 * tp + fp + fn) : Double.NaN;
    r[ACCURACY] = n > 0 ? (tp + tn) / n : Double.NaN;
    return r;
  }
}
