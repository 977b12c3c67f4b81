package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MetricsTest {
  // scores 0.1 0.4 0.35 0.8 ; labels 0 0 1 1 (the scikit-learn doc example)
  private static final double[] S = {0.1, 0.4, 0.35, 0.8};
  private static final double[] Y = {0, 0, 1, 1};

  @Test
  void rocAucMatchesHandCount() {
    // pairs (pos, neg): (0.35,0.1) win, (0.35,0.4) loss, (0.8,0.1) win, (0.8,0.4) win -> 3/4
    assertEquals(0.75, ClassificationMetrics.rocAuc(S, Y), 1e-12);
    // ties count one half: pos 0.5 vs neg 0.5 -> 0.5
    assertEquals(0.5, ClassificationMetrics.rocAuc(new double[] {0.5, 0.5}, new double[] {0, 1}), 1e-12);
    assertTrue(Double.isNaN(ClassificationMetrics.rocAuc(new double[] {0.1, 0.2}, new double[] {1, 1})));
  }

  @Test
  void averagePrecisionMatchesHandValue() {
    // ranked: 0.8(1) 0.4(0) 0.35(1) 0.1(0): AP = 0.5*1 + 0.5*(2/3) = 0.8333...
    assertEquals(0.5 + 0.5 * 2.0 / 3.0, ClassificationMetrics.prAuc(S, Y), 1e-12);
  }

  @Test
  void weightedAveragePrecision() {
    // unit weights reproduce the unweighted value
    assertEquals(ClassificationMetrics.prAuc(S, Y), ClassificationMetrics.prAuc(S, Y, new double[] {1, 1, 1, 1}), 1e-12);
    // negative 0.4 weighted 3: at 0.35 precision = 2 / (1 + 3 + 1) -> AP = 0.5*1 + 0.5*0.4
    assertEquals(0.5 + 0.5 * 0.4, ClassificationMetrics.prAuc(S, Y, new double[] {1, 3, 1, 1}), 1e-12);
  }

  @Test
  void logLossEntropyCalibration() {
    double[] p = {0.2, 0.6};
    double[] y = {0, 1};
    double ll = -(Math.log(0.8) + Math.log(0.6)) / 2;
    assertEquals(ll, ClassificationMetrics.logLoss(p, y), 1e-12);
    assertEquals(Math.log(2), ClassificationMetrics.baseRateLogLoss(y), 1e-12);
    assertEquals(ll / Math.log(2), ClassificationMetrics.normalizedEntropy(p, y), 1e-12);
    assertEquals(0.4 / 0.5, ClassificationMetrics.calibrationRatio(p, y), 1e-12);
  }

  @Test
  void eceAndReliabilityCurve() {
    double[] p = {0.1, 0.2, 0.7, 0.9};
    double[] y = {0, 1, 1, 1};
    // 2 bins: [0,0.5): mean p 0.15, rate 0.5, n 2 ; [0.5,1]: mean p 0.8, rate 1, n 2
    double[][] c = ClassificationMetrics.reliabilityCurve(p, y, 2);
    assertEquals(0.15, c[0][0], 1e-12);
    assertEquals(0.5, c[1][0], 1e-12);
    assertEquals(2, c[2][1], 0);
    assertEquals(0.5 * 0.35 + 0.5 * 0.2, ClassificationMetrics.expectedCalibrationError(p, y, 2), 1e-12);
  }

  @Test
  void regressionMetricsMatchHandValues() {
    double[] pred = {2, 4, 9};
    double[] y = {1, 5, 9};
    assertEquals(2.0 / 3, RegressionMetrics.mae(pred, y), 1e-12);
    assertEquals(Math.sqrt(2.0 / 3), RegressionMetrics.rmse(pred, y), 1e-12);
    double a = Math.log(3) - Math.log(2);
    double b = Math.log(5) - Math.log(6);
    assertEquals(Math.sqrt((a * a + b * b) / 3), RegressionMetrics.rmsle(pred, y), 1e-12);
    assertEquals((1.0 + 0.2 + 0) / 3, RegressionMetrics.mape(pred, y), 1e-12);
    // errors sorted 0 1 1: p50 = 1, p25 = 0.5
    assertEquals(1.0, RegressionMetrics.absoluteErrorPercentile(pred, y, 50), 1e-12);
    assertEquals(0.5, RegressionMetrics.absoluteErrorPercentile(pred, y, 25), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> RegressionMetrics.rmsle(new double[] {-1}, new double[] {1}));
    assertThrows(IllegalArgumentException.class, () -> RegressionMetrics.mae(new double[] {Double.NaN}, new double[] {1}));
  }

  @Test
  void calibrators() {
    // downsampling: p=0.5 with negatives kept at w=0.1 -> 0.5/(0.5+0.5/0.1) = 1/11
    assertEquals(1.0 / 11, Calibrator.downsampling(0.1).calibrate(0.5), 1e-12);
    // isotonic: PAV on scores 1..4 with labels 0 1 0 1 -> blocks {0}, {0.5,0.5 pooled}, {1}
    Calibrator iso = Calibrator.isotonic(new double[] {0.1, 0.2, 0.3, 0.4}, new double[] {0, 1, 0, 1});
    assertEquals(0.0, iso.calibrate(0.1), 1e-12);
    assertEquals(0.5, iso.calibrate(0.25), 1e-12);
    assertEquals(1.0, iso.calibrate(0.4), 1e-12);
    // Platt on over-confident scores shrinks them towards the observed rate
    double[] s = new double[1000];
    double[] y = new double[1000];
    java.util.Random r = new java.util.Random(7);
    for (int i = 0; i < s.length; i++) {
      double truth = r.nextDouble();
      y[i] = r.nextDouble() < truth ? 1 : 0;
      double z = Math.log(truth / (1 - truth)) * 3; // over-confident by a factor 3 in logit
      s[i] = 1 / (1 + Math.exp(-z));
    }
    Calibrator platt = Calibrator.platt(s, y);
    double before = ClassificationMetrics.logLoss(s, y);
    double after = ClassificationMetrics.logLoss(platt.calibrate(s), y);
    assertTrue(after < before, "platt " + after + " vs raw " + before);
    assertTrue(platt.toString().contains("a=0.3"), platt.toString());
  }

  /**
   * Issue 15: logLoss with a probability of 1.5 returned about 0, GbdtRanker's lambda(NaN) failed later as
   * "malformed JSON", and LinearRanker with an infinite learning rate silently predicted NaN. Each is
   * refused naming the field and the value.
   */
  @Test
  void outOfRangeHyperparametersAndProbabilitiesAreRefused() {
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> ClassificationMetrics.logLoss(new double[] {0.5, 1.5}, new double[] {0, 1}));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("probs[1] is 1.5"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> GbdtRanker.trainer(GbdtRankerTest.encoder()).lambda(Double.NaN));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("lambda is NaN"), e.getMessage());
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> GbdtRanker.trainer(GbdtRankerTest.encoder()).lambda(Double.POSITIVE_INFINITY));
  }
}
