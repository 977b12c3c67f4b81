package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * CBPE and DLE on seeded synthetic data with a known generative model (no data directory needed): under
 * covariate shift the estimate tracks the realized metric within its band; under concept shift it
 * cannot, and the band check shows it; bad input fails with messages naming field and value.
 */
class PerformanceEstimationTest {

  static final long SEED = 20;

  /**
   * Within-band rate, mean and max band width, the realized metric's range over the chunks, the mean
   * absolute error of the estimate and that of the "nothing changed" baseline (the reference mean).
   */
  record BandStats(double withinRate, double meanWidth, double maxWidth, double realizedMin, double realizedMax,
      double estimateError, double baselineError) {
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "within band %.3f, band width mean %.4f max %.4f, realized in [%.4f, %.4f],"
          + " |estimate - realized| %.4f vs |reference mean - realized| %.4f", withinRate, meanWidth, maxWidth,
          realizedMin, realizedMax, estimateError, baselineError);
    }
  }

  static BandStats stats(List<ChunkEstimate> chunks, PerformanceMetric metric) {
    int within = 0;
    double sumW = 0;
    double maxW = 0;
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    double err = 0;
    double base = 0;
    for (ChunkEstimate c : chunks) {
      MetricEstimate e = c.metric(metric);
      err += Math.abs(e.value() - e.realized());
      base += Math.abs(e.referenceMean() - e.realized());
      within += e.realizedWithinBand() ? 1 : 0;
      sumW += e.bandWidth();
      maxW = Math.max(maxW, e.bandWidth());
      lo = Math.min(lo, e.realized());
      hi = Math.max(hi, e.realized());
    }
    int n = chunks.size();
    return new BandStats((double) within / n, sumW / n, maxW, lo, hi, err / n, base / n);
  }

  static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  /** Rows of a 2-feature logistic world; x1 ~ N(shift, spread), x2 ~ N(0, 1). */
  static final class World {
    final double[] score;
    final int[] label;

    World(SplittableRandom rnd, int n, double shift, double spread, boolean flipped) {
      score = new double[n];
      label = new int[n];
      for (int i = 0; i < n; i++) {
        double x1 = shift + spread * gaussian(rnd);
        double x2 = gaussian(rnd);
        double logit = -0.5 + 1.6 * x1 - 0.8 * x2;
        label[i] = rnd.nextDouble() < sigmoid(flipped ? -logit : logit) ? 1 : 0;
        // a miscalibrated but correctly ranked model score: CBPE must calibrate it
        score[i] = sigmoid(0.45 * logit + 0.4);
      }
    }
  }

  static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  /** 40 chunks of 1,000 rows whose x1 drifts in mean and spread; labels flipped for concept shift. */
  static double[][] analysis(SplittableRandom rnd, int chunks, int size, boolean flipped, int[] labelsOut) {
    double[] scores = new double[chunks * size];
    for (int k = 0; k < chunks; k++) {
      double t = (double) k / (chunks - 1);
      World w = new World(rnd, size, 1.2 * t, 1.0 - 0.6 * t, flipped);
      System.arraycopy(w.score, 0, scores, k * size, size);
      System.arraycopy(w.label, 0, labelsOut, k * size, size);
    }
    return new double[][] {scores};
  }

  @Test
  void cbpeTracksRocAucUnderCovariateShiftOnSyntheticData() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    World ref = new World(rnd, 5000, 0, 1, false);
    Cbpe cbpe = Cbpe.builder().fit(ref.score, ref.label);
    assertTrue(cbpe.calibrated(), "AUTO must calibrate a miscalibrated score: " + cbpe);
    int chunks = 40;
    int size = 1000;
    int[] labels = new int[chunks * size];
    double[] scores = analysis(rnd, chunks, size, false, labels)[0];
    List<ChunkEstimate> result = cbpe.evaluate(scores, labels, Chunking.bySize(size));
    assertEquals(chunks, result.size());
    for (PerformanceMetric m : PerformanceMetric.values()) {
      if (cbpe.metrics().contains(m)) {
        BandStats s = stats(result, m);
        System.out.printf(Locale.ROOT, "CBPE synthetic (seed %d, 40 x 1000 rows) %-9s %s%n", SEED, m, s);
        assertTrue(s.withinRate() >= 0.9, m + ": " + s);
        assertTrue(s.maxWidth() < (m == PerformanceMetric.ROC_AUC ? 0.1 : 0.2), m + ": " + s);
      }
    }
    BandStats auc = stats(result, PerformanceMetric.ROC_AUC);
    assertTrue(auc.estimateError() < auc.baselineError() / 2, "the estimate must track: " + auc);
    assertTrue(auc.realizedMax() - auc.realizedMin() > 0.05,
        "the planted shift must move the realized AUC by more than its band to make tracking meaningful: " + auc);
    // the shift is large enough to alert on the last chunks
    assertTrue(result.get(chunks - 1).metric(PerformanceMetric.ROC_AUC).alert(), result.get(chunks - 1).toText());
    assertFalse(result.get(0).metric(PerformanceMetric.ROC_AUC).alert(), result.get(0).toText());
  }

  @Test
  void chunkSamplingErrorFollowsTheChunk() {
    SplittableRandom rnd = new SplittableRandom(SEED + 5);
    World ref = new World(rnd, 5000, 0, 1, false);
    Cbpe cbpe = Cbpe.builder().samplingError(Cbpe.SamplingError.CHUNK).fit(ref.score, ref.label);
    int[] labels = new int[20 * 1000];
    double[] scores = analysis(rnd, 20, 1000, false, labels)[0];
    List<ChunkEstimate> result = cbpe.evaluate(scores, labels, Chunking.bySize(1000));
    BandStats s = stats(result, PerformanceMetric.ROC_AUC);
    System.out.printf(Locale.ROOT, "CBPE synthetic, chunk sampling error: %s%n", s);
    assertTrue(s.withinRate() >= 0.9 && s.maxWidth() < 0.12, s.toString());
    // the last chunk's x1 is narrower: fewer easy rows, a larger sampling error than the first
    assertTrue(result.get(19).metric(PerformanceMetric.ROC_AUC).samplingError()
        > result.get(0).metric(PerformanceMetric.ROC_AUC).samplingError());
  }

  @Test
  void calibrationErrorWidensTheChunkBandOnlyWhenScoresAreCalibrated() {
    SplittableRandom rnd = new SplittableRandom(SEED + 6);
    World ref = new World(rnd, 800, 0, 1, false);
    int[] labels = new int[10 * 300];
    double[] scores = analysis(rnd, 10, 300, false, labels)[0];
    List<ChunkEstimate> chunk = Cbpe.builder().calibration(Cbpe.Calibration.ISOTONIC)
        .samplingError(Cbpe.SamplingError.CHUNK).fit(ref.score, ref.label).evaluate(scores, labels, Chunking.bySize(300));
    List<ChunkEstimate> both = Cbpe.builder().calibration(Cbpe.Calibration.ISOTONIC)
        .samplingError(Cbpe.SamplingError.CHUNK_AND_CALIBRATION).fit(ref.score, ref.label)
        .evaluate(scores, labels, Chunking.bySize(300));
    for (int c = 0; c < 10; c++) {
      for (PerformanceMetric m : List.of(PerformanceMetric.ROC_AUC, PerformanceMetric.F1)) {
        MetricEstimate a = chunk.get(c).metric(m);
        MetricEstimate b = both.get(c).metric(m);
        assertEquals(a.value(), b.value(), 0.0, "the estimate itself does not change");
        assertTrue(b.samplingError() > a.samplingError(), c + " " + m + ": " + b.samplingError() + " vs "
            + a.samplingError());
      }
    }
    // without calibration there is no calibrator to refit: the band is the chunk's
    List<ChunkEstimate> raw = Cbpe.builder().calibration(Cbpe.Calibration.NONE)
        .samplingError(Cbpe.SamplingError.CHUNK_AND_CALIBRATION).fit(ref.score, ref.label)
        .evaluate(scores, labels, Chunking.bySize(300));
    List<ChunkEstimate> rawChunk = Cbpe.builder().calibration(Cbpe.Calibration.NONE)
        .samplingError(Cbpe.SamplingError.CHUNK).fit(ref.score, ref.label).evaluate(scores, labels, Chunking.bySize(300));
    assertEquals(rawChunk.get(3).metric(PerformanceMetric.ROC_AUC).samplingError(),
        raw.get(3).metric(PerformanceMetric.ROC_AUC).samplingError(), 0.0);
  }

  @Test
  void cbpeCannotSeeConceptShiftAndTheBandCheckSaysSo() {
    SplittableRandom rnd = new SplittableRandom(SEED + 1);
    World ref = new World(rnd, 5000, 0, 1, false);
    Cbpe cbpe = Cbpe.builder().fit(ref.score, ref.label);
    int[] labels = new int[20 * 1000];
    double[] scores = analysis(rnd, 20, 1000, true, labels)[0];
    BandStats s = stats(cbpe.evaluate(scores, labels, Chunking.bySize(1000)), PerformanceMetric.ROC_AUC);
    System.out.printf(Locale.ROOT, "CBPE synthetic concept shift (labels' relation flipped): %s%n", s);
    assertTrue(s.withinRate() < 0.1, s.toString());
  }

  @Test
  void expectedConfusionMatrixAndMetricsMatchTheirDefinitions() {
    double[] ref = {0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9};
    int[] y = {0, 0, 1, 0, 1, 0, 1, 1};
    Cbpe cbpe = Cbpe.builder().calibration(Cbpe.Calibration.NONE).draws(50).fit(ref, y);
    double[] s = {0.9, 0.6, 0.3, 0.1};
    ExpectedConfusionMatrix m = cbpe.expectedConfusion(s);
    assertEquals(1.5, m.truePositives(), 1e-12);
    assertEquals(0.5, m.falsePositives(), 1e-12);
    assertEquals(0.4, m.falseNegatives(), 1e-12);
    assertEquals(1.6, m.trueNegatives(), 1e-12);
    assertEquals(4, m.total(), 1e-12);
    ChunkEstimate c = cbpe.estimate(s, Chunking.bySize(10)).get(0);
    assertEquals(1.5 / 2.0, c.metric(PerformanceMetric.PRECISION).value(), 1e-12);
    assertEquals(1.5 / 1.9, c.metric(PerformanceMetric.RECALL).value(), 1e-12);
    assertEquals(3.0 / (3.0 + 0.5 + 0.4), c.metric(PerformanceMetric.F1).value(), 1e-12);
    assertEquals(3.1 / 4, c.metric(PerformanceMetric.ACCURACY).value(), 1e-12);
    // expected ROC: points after 0.9, 0.6, 0.3, 0.1 with P = 1.9, N = 2.1
    double[] tp = {0.9, 1.5, 1.8, 1.9};
    double[] fp = {0.1, 0.5, 1.2, 2.1};
    double auc = 0;
    double pt = 0;
    double pf = 0;
    for (int i = 0; i < 4; i++) {
      auc += (fp[i] / 2.1 - pf) * (tp[i] / 1.9 + pt) / 2;
      pt = tp[i] / 1.9;
      pf = fp[i] / 2.1;
    }
    assertEquals(auc, c.metric(PerformanceMetric.ROC_AUC).value(), 1e-12);
    // realized metrics with labels equal scikit-learn's: roc_auc_score([1,1,0,0],[.9,.6,.3,.1]) = 1
    ChunkEstimate r = cbpe.evaluate(s, new int[] {1, 0, 1, 0}, Chunking.bySize(10)).get(0);
    assertEquals(0.75, r.metric(PerformanceMetric.ROC_AUC).realized(), 1e-12);
    assertEquals(0.5, r.metric(PerformanceMetric.PRECISION).realized(), 1e-12);
    assertEquals(0.5, r.metric(PerformanceMetric.RECALL).realized(), 1e-12);
  }

  @Test
  void isotonicCalibrationIsMonotoneAndMatchesPoolAdjacentViolators() {
    // scikit-learn: IsotonicRegression(out_of_bounds="clip").fit([.1,.2,.3,.4,.5],[0,1,0,1,1])
    //   -> fitted [0, .5, .5, 1, 1]; predict(.25) = .5, predict(.35) = .75, predict(.05) = 0, predict(.9) = 1
    Cbpe cbpe = Cbpe.builder().calibration(Cbpe.Calibration.ISOTONIC).draws(20)
        .fit(new double[] {0.1, 0.2, 0.3, 0.4, 0.5}, new int[] {0, 1, 0, 1, 1});
    assertEquals(0.5, cbpe.calibrate(0.25), 1e-12);
    assertEquals(0.75, cbpe.calibrate(0.35), 1e-12);
    assertEquals(0.0, cbpe.calibrate(0.05), 1e-12);
    assertEquals(1.0, cbpe.calibrate(0.9), 1e-12);
    assertTrue(cbpe.calibrated());
  }

  @Test
  void chunksByKeyGroupRowsAndScaleTheBandWithSize() {
    SplittableRandom rnd = new SplittableRandom(SEED + 2);
    World ref = new World(rnd, 4000, 0, 1, false);
    Cbpe cbpe = Cbpe.builder().fit(ref.score, ref.label);
    World cur = new World(rnd, 3000, 0, 1, false);
    String[] keys = new String[3000];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = i % 4 == 0 ? "small" : "large"; // 750 and 2,250 rows, interleaved
    }
    List<ChunkEstimate> r = cbpe.evaluate(cur.score, cur.label, Chunking.byKey(keys));
    assertEquals(List.of("small", "large"), r.stream().map(ChunkEstimate::key).toList());
    assertEquals(750, r.get(0).rows());
    double small = r.get(0).metric(PerformanceMetric.ROC_AUC).samplingError();
    double large = r.get(1).metric(PerformanceMetric.ROC_AUC).samplingError();
    assertEquals(Math.sqrt(3), small / large, 0.35, "sampling error ~ 1/sqrt(n)");
    assertThrows(IllegalArgumentException.class, () -> cbpe.estimate(cur.score, Chunking.byKey("a", "b")));
  }

  /** y = 2 x1 + x2 + noise with sd 0.3 + |x1|; the model predicts 2 x1 + x2 + 0.1 x3 (x3 irrelevant). */
  static double[][][] regression(SplittableRandom rnd, int n, double shift) {
    double[][] x = new double[n][3];
    double[] pred = new double[n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      x[i][0] = shift + gaussian(rnd);
      x[i][1] = gaussian(rnd);
      x[i][2] = gaussian(rnd);
      pred[i] = 2 * x[i][0] + x[i][1] + 0.1 * x[i][2];
      y[i] = 2 * x[i][0] + x[i][1] + (0.3 + Math.abs(x[i][0])) * gaussian(rnd);
    }
    return new double[][][] {x, {pred}, {y}};
  }

  @Test
  void dleTracksMaeAndRmseUnderCovariateShiftOnSyntheticData() {
    SplittableRandom rnd = new SplittableRandom(SEED + 3);
    double[][][] ref = regression(rnd, 5000, 0);
    Dle dle = Dle.builder().fit(ref[0], ref[1][0], ref[2][0]);
    int chunks = 30;
    int size = 1000;
    double[][] x = new double[chunks * size][];
    double[] pred = new double[chunks * size];
    double[] y = new double[chunks * size];
    for (int k = 0; k < chunks; k++) {
      double[][][] c = regression(rnd, size, 1.0 * k / (chunks - 1));
      System.arraycopy(c[0], 0, x, k * size, size);
      System.arraycopy(c[1][0], 0, pred, k * size, size);
      System.arraycopy(c[2][0], 0, y, k * size, size);
    }
    List<ChunkEstimate> result = dle.evaluate(x, pred, y, Chunking.bySize(size));
    for (PerformanceMetric m : List.of(PerformanceMetric.MAE, PerformanceMetric.RMSE)) {
      BandStats s = stats(result, m);
      System.out.printf(Locale.ROOT, "DLE synthetic (seed %d, 30 x 1000 rows) %-4s %s%n", SEED + 3, m, s);
      assertTrue(s.withinRate() >= 0.9, m + ": " + s);
      assertTrue(s.realizedMax() - s.realizedMin() > s.maxWidth(), "the shift must move the metric: " + s);
      assertTrue(s.estimateError() < s.baselineError() / 2, "the estimate must track: " + s);
    }
    assertTrue(result.get(chunks - 1).metric(PerformanceMetric.MAE).alert());
    assertFalse(result.get(0).metric(PerformanceMetric.MAE).alert());
  }

  @Test
  void dleCannotSeeConceptShift() {
    SplittableRandom rnd = new SplittableRandom(SEED + 4);
    double[][][] ref = regression(rnd, 4000, 0);
    Dle dle = Dle.builder().fit(ref[0], ref[1][0], ref[2][0]);
    double[][][] cur = regression(rnd, 4000, 0);
    double[] y = cur[2][0].clone();
    for (int i = 0; i < y.length; i++) {
      y[i] += 1.5; // the target moved, the inputs did not
    }
    BandStats s = stats(dle.evaluate(cur[0], cur[1][0], y, Chunking.bySize(500)), PerformanceMetric.MAE);
    assertTrue(s.withinRate() < 0.1, s.toString());
  }

  @Test
  void badInputFailsNamingFieldAndValue() {
    double[] s = {0.2, 0.8, 0.4};
    int[] y = {0, 1, 1};
    Cbpe.Builder b = Cbpe.builder();
    assertMessage("referenceScores must not be empty", () -> b.fit(new double[0], new int[0]));
    assertMessage("referenceScores[1] must be a probability in [0, 1], was 1.5",
        () -> b.fit(new double[] {0.2, 1.5}, new int[] {0, 1}));
    assertMessage("referenceScores[0] must be a probability in [0, 1], was NaN",
        () -> b.fit(new double[] {Double.NaN, 0.5}, new int[] {0, 1}));
    assertMessage("referenceLabels must contain both classes, all 3 were 1", () -> b.fit(s, new int[] {1, 1, 1}));
    assertMessage("referenceLabels[2] must be 0 or 1, was 2", () -> b.fit(s, new int[] {0, 1, 2}));
    assertMessage("referenceLabels has 2 entries, expected one per score (3)", () -> b.fit(s, new int[] {0, 1}));
    assertMessage("threshold must be a probability in [0, 1], was -0.1", () -> b.threshold(-0.1));
    assertMessage("draws must be at least 20, was 5", () -> b.draws(5));
    assertMessage("bandSigmas must be positive and finite, was 0.0", () -> b.bandSigmas(0));
    assertMessage("metrics must be classification metrics", () -> b.metrics(PerformanceMetric.MAE));
    assertMessage("size must be positive, was 0", () -> Chunking.bySize(0));
    Cbpe cbpe = b.calibration(Cbpe.Calibration.NONE).draws(20).fit(s, y);
    assertMessage("scores[0] must be a probability in [0, 1], was -1.0",
        () -> cbpe.estimate(new double[] {-1}, Chunking.bySize(1)));
    assertMessage("scores must not be empty", () -> cbpe.estimate(new double[0], Chunking.bySize(1)));
    assertMessage("metric MAE was not estimated",
        () -> cbpe.estimate(s, Chunking.bySize(3)).get(0).metric(PerformanceMetric.MAE));

    double[][] x = new double[50][2];
    double[] pred = new double[50];
    double[] t = new double[50];
    Dle.Builder d = Dle.builder();
    assertMessage("features must not be empty", () -> d.fit(new double[0][], new double[0], new double[0]));
    assertMessage("features has 10 reference rows, expected at least 40",
        () -> d.fit(new double[10][2], new double[10], new double[10]));
    pred[7] = Double.NaN;
    assertMessage("predictions[7] must be finite, was NaN", () -> d.fit(x, pred, t));
    pred[7] = 0;
    t[3] = Double.POSITIVE_INFINITY;
    assertMessage("targets[3] must be finite, was Infinity", () -> d.fit(x, pred, t));
    t[3] = 0;
    Dle dle = d.trees(5).fit(x, pred, t);
    assertMessage("features[0] has 3 values, expected 2",
        () -> dle.estimate(new double[][] {{1, 2, 3}}, new double[] {0}, Chunking.bySize(1)));
    assertMessage("depth must be in [1, 8], was 9", () -> d.depth(9));
  }

  static void assertMessage(String expectedStart, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertTrue(e.getMessage().startsWith(expectedStart), "message was: " + e.getMessage());
  }
}
