package org.sieveml.monitoring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.sieveml.monitoring.internal.BinaryMetrics;
import org.sieveml.monitoring.internal.Checks;
import org.sieveml.monitoring.internal.DoubleSort;
import org.sieveml.monitoring.internal.Isotonic;

/**
 * Confidence-based performance estimation (CBPE, as in NannyML): estimates a binary classifier's
 * ROC-AUC, precision, recall, F1 and accuracy on chunks of rows whose labels have not arrived, from
 * the model's scores alone.
 *
 * <h2>Method</h2>
 * <ol>
 *   <li><b>Fit</b> on a labelled reference set (scores and 0/1 labels, typically the model's test set or
 *       a recent labelled period). Scores are calibrated with isotonic regression fitted on the
 *       reference ({@link Calibration}): by default ({@link Calibration#AUTO}, NannyML's behaviour) only
 *       when it helps, that is when isotonic calibration cross-fitted over 10 stratified folds of the
 *       reference lowers the expected calibration error (10 equal-frequency score bins) below that of
 *       the raw scores.
 *   <li><b>Estimate</b> per chunk: with p_i the calibrated probability of row i, the expected confusion
 *       matrix at the threshold (a row is predicted positive when its raw score is {@code >= threshold})
 *       gives precision E[TP]/(E[TP]+E[FP]), recall E[TP]/(E[TP]+E[FN]), F1 2E[TP]/(2E[TP]+E[FP]+E[FN])
 *       and accuracy (E[TP]+E[TN])/n (see {@link ExpectedConfusionMatrix}); ROC-AUC is the area under
 *       the expected ROC curve over the raw scores, TPR(t) = sum_{s_i >= t} p_i / sum p_i,
 *       FPR(t) = sum_{s_i >= t} (1 - p_i) / sum (1 - p_i), by the trapezoid rule.
 *   <li><b>Bands and alerts</b>: the sampling error of each metric for a chunk of n rows is the standard
 *       deviation of the realized metric over {@code draws} samples of n rows drawn with replacement
 *       from the reference (seeded). The band is estimate ± {@code bandSigmas} (3 by default) sampling
 *       errors, the alert thresholds are the reference mean ± {@code alertSigmas} (3) sampling errors,
 *       all clipped to [0, 1]. NannyML derives the same quantity analytically (its SEM-style sampling
 *       error); a bootstrap gives it for any metric and any chunk size. It does not depend on the chunk,
 *       so it understates the error of a chunk that drifted towards fewer positives;
 *       {@link SamplingError#CHUNK} takes the band's sampling error from the chunk itself instead.
 * </ol>
 *
 * <p>The estimate is consistent under covariate shift (the inputs' distribution moves, P(label | score)
 * does not) when the calibrated probabilities are right. It cannot see concept shift (the same score
 * now means another label rate); {@link #evaluate} compares estimates with labels once they arrive.
 *
 * <p>Costs: fitting O(n log n) in the reference size n; a chunk of m rows O(m log m) plus
 * {@code draws} reference samples of m rows (computed once per distinct chunk size and call).
 *
 * <p>Instances are immutable and thread-safe; they record their configuration, the reference size and
 * whether calibration was applied ({@link #toString()}). Builders are not thread-safe.
 */
public final class Cbpe {

  /** Whether reference scores are calibrated before estimating. */
  public enum Calibration {
    /** Isotonic calibration when cross-fitting on the reference shows it lowers the calibration error. */
    AUTO,
    /** Always isotonic calibration on the reference. */
    ISOTONIC,
    /** Scores are used as probabilities as they are. */
    NONE
  }

  /** Where the sampling error behind each band comes from. */
  public enum SamplingError {
    /**
     * NannyML's choice: the standard deviation of the realized metric over reference samples of the
     * chunk's size. It does not depend on the chunk, so it understates the error of a chunk that has
     * drifted towards fewer positives or harder rows.
     */
    REFERENCE,
    /**
     * The standard deviation of the realized metric over {@code draws} label vectors simulated from the
     * chunk's own calibrated probabilities (label i ~ Bernoulli(p_i), the chunk's scores fixed): how much
     * the realized metric of exactly these rows would vary if the calibrated model is right. It follows
     * the chunk's class balance and score distribution; it does not cover calibration error.
     */
    CHUNK,
    /**
     * {@link #CHUNK}'s error combined with the calibration's: the standard deviation of the chunk's estimate
     * over {@value #CALIBRATION_REFITS} isotonic calibrators refitted on bootstrap resamples of the reference
     * (how much the estimate owes to which reference rows happened to be labelled), added in quadrature. With
     * a small reference the isotonic step function is over-confident and the estimate biased by about as much
     * as it varies between refits; this is the band that covers it. Without calibration it equals
     * {@link #CHUNK}.
     */
    CHUNK_AND_CALIBRATION
  }

  /** How many bootstrap refits of the calibrator {@link SamplingError#CHUNK_AND_CALIBRATION} uses. */
  public static final int CALIBRATION_REFITS = 50;

  private static final Set<PerformanceMetric> CLASSIFICATION = EnumSet.of(PerformanceMetric.ROC_AUC,
      PerformanceMetric.PRECISION, PerformanceMetric.RECALL, PerformanceMetric.F1, PerformanceMetric.ACCURACY);

  private final double threshold;
  private final Calibration calibration;
  private final SamplingError samplingError;
  private final Set<PerformanceMetric> metrics;
  private final double bandSigmas;
  private final double alertSigmas;
  private final int draws;
  private final long seed;
  private final Isotonic calibrator;
  /** Calibrators refitted on bootstrap resamples of the reference, or null. */
  private final Isotonic[] refits;
  private final double[] refScoresDesc;
  private final double[] refLabelsDesc;

  private Cbpe(Builder b, Isotonic calibrator, Isotonic[] refits, double[] refScoresDesc, double[] refLabelsDesc) {
    this.refits = refits;
    this.threshold = b.threshold;
    this.calibration = b.calibration;
    this.samplingError = b.samplingError;
    this.metrics = Set.copyOf(b.metrics);
    this.bandSigmas = b.bandSigmas;
    this.alertSigmas = b.alertSigmas;
    this.draws = b.draws;
    this.seed = b.seed;
    this.calibrator = calibrator;
    this.refScoresDesc = refScoresDesc;
    this.refLabelsDesc = refLabelsDesc;
  }

  /**
   * A builder with the defaults: threshold 0.5, {@link Calibration#AUTO}, all five metrics, bands and
   * alerts at 3 sampling errors, 500 reference draws, seed 42.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Estimates every chunk of unlabelled rows.
   *
   * @param scores the model's scores (probabilities of the positive class), each in [0, 1]
   * @param chunking how rows form chunks
   * @return one estimate per chunk, realized values NaN
   */
  public List<ChunkEstimate> estimate(double[] scores, Chunking chunking) {
    checkScores("scores", scores);
    Checks.notNull("chunking", chunking);
    return run(scores, null, chunking);
  }

  /**
   * Estimates every chunk and records the realized metric from labels that have since arrived, to check
   * the estimate ({@link MetricEstimate#realizedWithinBand()}).
   *
   * @param scores the model's scores, each in [0, 1]
   * @param labels the labels, 0 or 1, one per score
   * @param chunking how rows form chunks
   * @return one estimate per chunk with realized values
   */
  public List<ChunkEstimate> evaluate(double[] scores, int[] labels, Chunking chunking) {
    checkScores("scores", scores);
    checkLabels("labels", labels, scores.length);
    Checks.notNull("chunking", chunking);
    return run(scores, labels, chunking);
  }

  /**
   * The expected confusion matrix of some unlabelled rows at this estimator's threshold.
   *
   * @param scores the model's scores, each in [0, 1]
   * @return E[TP], E[FP], E[FN], E[TN]
   */
  public ExpectedConfusionMatrix expectedConfusion(double[] scores) {
    checkScores("scores", scores);
    double tp = 0;
    double fp = 0;
    double fn = 0;
    double tn = 0;
    for (double s : scores) {
      double p = calibrate(s);
      if (s >= threshold) {
        tp += p;
        fp += 1 - p;
      } else {
        fn += p;
        tn += 1 - p;
      }
    }
    return new ExpectedConfusionMatrix(tp, fp, fn, tn);
  }

  /**
   * The calibrated probability CBPE uses for a score (the score itself when no calibration applies).
   *
   * @param score a score in [0, 1]
   * @return the probability that the row is positive
   */
  public double calibrate(double score) {
    checkScore("score", score);
    return calibrator == null ? score : calibrator.apply(score);
  }

  /**
   * Whether isotonic calibration was fitted and is applied.
   *
   * @return true when scores are calibrated
   */
  public boolean calibrated() {
    return calibrator != null;
  }

  /**
   * The number of reference rows the estimator was fitted on.
   *
   * @return the reference size
   */
  public int referenceRows() {
    return refScoresDesc.length;
  }

  /**
   * The metrics estimated.
   *
   * @return an immutable set
   */
  public Set<PerformanceMetric> metrics() {
    return metrics;
  }

  /**
   * The configuration and reference summary.
   *
   * @return a one-line description
   */
  @Override
  public String toString() {
    double[] ref = BinaryMetrics.of(refScoresDesc, refLabelsDesc, refScoresDesc.length, threshold);
    return String.format(Locale.ROOT,
        "Cbpe[threshold=%s, calibration=%s (applied: %s), samplingError=%s, metrics=%s, bandSigmas=%s, alertSigmas=%s, draws=%d,"
            + " seed=%d, referenceRows=%d, referenceAuc=%.4f]",
        threshold, calibration, calibrator != null, samplingError, EnumSet.copyOf(metrics), bandSigmas, alertSigmas, draws, seed,
        refScoresDesc.length, ref[BinaryMetrics.AUC]);
  }

  private List<ChunkEstimate> run(double[] scores, int[] labels, Chunking chunking) {
    Map<Integer, double[][]> bands = new HashMap<>();
    List<ChunkEstimate> out = new ArrayList<>();
    for (Chunking.Chunk c : chunking.split(scores.length)) {
      int[] rows = c.rows();
      int m = rows.length;
      int[] order = DoubleSort.argsort(scores, rows, true);
      double[] s = new double[m];
      double[] p = new double[m];
      double[] y = new double[m];
      for (int i = 0; i < m; i++) {
        s[i] = scores[order[i]];
        p[i] = calibrator == null ? s[i] : calibrator.apply(s[i]);
        y[i] = labels == null ? 0 : labels[order[i]];
      }
      double[] est = BinaryMetrics.of(s, p, m, threshold);
      double[] real = labels == null ? null : BinaryMetrics.of(s, y, m, threshold);
      double[][] ref = bands.computeIfAbsent(m, this::referenceBands);
      double[] bandSd = samplingError == SamplingError.REFERENCE ? ref[1] : chunkSamplingError(s, p, m);
      if (samplingError == SamplingError.CHUNK_AND_CALIBRATION && refits != null) {
        double[] cal = calibrationError(s, m);
        for (int k = 0; k < bandSd.length; k++) {
          bandSd[k] = Math.sqrt(bandSd[k] * bandSd[k] + cal[k] * cal[k]);
        }
      }
      Map<PerformanceMetric, MetricEstimate> byMetric = new EnumMap<>(PerformanceMetric.class);
      for (PerformanceMetric pm : PerformanceMetric.values()) {
        if (metrics.contains(pm)) {
          int k = pm.ordinal(); // ROC_AUC..ACCURACY are BinaryMetrics' indices 0..4
          byMetric.put(pm, Bands.estimate(pm, est[k], ref[0][k], ref[1][k], bandSd[k], bandSigmas, alertSigmas,
              real == null ? Double.NaN : real[k]));
        }
      }
      out.add(new ChunkEstimate(c.key(), m, byMetric));
    }
    return out;
  }

  /** Standard deviation of each realized metric over label vectors drawn from the chunk's probabilities. */
  private double[] chunkSamplingError(double[] sDesc, double[] p, int m) {
    double[] y = new double[m];
    SplittableRandom rnd = new SplittableRandom(seed ^ (m * 0xC2B2AE3D27D4EB4FL));
    return Bands.moments(draws, BinaryMetrics.COUNT, () -> {
      for (int i = 0; i < m; i++) {
        y[i] = rnd.nextDouble() < p[i] ? 1 : 0;
      }
      return BinaryMetrics.of(sDesc, y, m, threshold);
    })[1];
  }

  /** Standard deviation of each estimated metric over the bootstrap refits of the calibrator. */
  private double[] calibrationError(double[] sDesc, int m) {
    double[] p = new double[m];
    int[] next = {0};
    return Bands.moments(refits.length, BinaryMetrics.COUNT, () -> {
      Isotonic iso = refits[next[0]++];
      for (int i = 0; i < m; i++) {
        p[i] = iso.apply(sDesc[i]);
      }
      return BinaryMetrics.of(sDesc, p, m, threshold);
    })[1];
  }

  private double[][] referenceBands(int n) {
    double[] s = new double[n];
    double[] y = new double[n];
    return Bands.reference(refScoresDesc.length, n, draws, seed, BinaryMetrics.COUNT, sample -> {
      Arrays.sort(sample); // reference rows are stored by descending score
      for (int i = 0; i < n; i++) {
        s[i] = refScoresDesc[sample[i]];
        y[i] = refLabelsDesc[sample[i]];
      }
      return BinaryMetrics.of(s, y, n, threshold);
    });
  }

  private static void checkScore(String field, double v) {
    if (!(v >= 0 && v <= 1)) {
      throw new IllegalArgumentException(field + " must be a probability in [0, 1], was " + v);
    }
  }

  private static void checkScores(String field, double[] scores) {
    Checks.notNull(field, scores);
    if (scores.length == 0) {
      throw new IllegalArgumentException(field + " must not be empty");
    }
    for (int i = 0; i < scores.length; i++) {
      if (!(scores[i] >= 0 && scores[i] <= 1)) {
        throw new IllegalArgumentException(field + "[" + i + "] must be a probability in [0, 1], was " + scores[i]);
      }
    }
  }

  private static void checkLabels(String field, int[] labels, int n) {
    Checks.notNull(field, labels);
    if (labels.length != n) {
      throw new IllegalArgumentException(field + " has " + labels.length + " entries, expected one per score (" + n
          + ")");
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] != 0 && labels[i] != 1) {
        throw new IllegalArgumentException(field + "[" + i + "] must be 0 or 1, was " + labels[i]);
      }
    }
  }

  /** Expected calibration error over 10 equal-frequency bins of rows sorted by score. */
  private static double ece(double[] p, double[] y, int[] order) {
    int n = order.length;
    int bins = Math.min(10, n);
    double e = 0;
    for (int b = 0; b < bins; b++) {
      int from = (int) ((long) b * n / bins);
      int to = (int) ((long) (b + 1) * n / bins);
      double sp = 0;
      double sy = 0;
      for (int k = from; k < to; k++) {
        sp += p[order[k]];
        sy += y[order[k]];
      }
      e += Math.abs(sp - sy) / n;
    }
    return e;
  }

  /**
   * Builds a {@link Cbpe}. Every setter validates at once; {@link #fit} may be called more than once.
   * Not thread-safe.
   */
  public static final class Builder extends EstimatorBuilder<Builder> {
    private double threshold = 0.5;
    private Calibration calibration = Calibration.AUTO;
    private SamplingError samplingError = SamplingError.REFERENCE;
    private Set<PerformanceMetric> metrics = EnumSet.copyOf(CLASSIFICATION);

    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /**
     * The decision threshold: a row is predicted positive when its score is {@code >= threshold}.
     *
     * @param threshold in [0, 1]; 0.5 by default
     * @return this builder
     */
    public Builder threshold(double threshold) {
      checkScore("threshold", threshold);
      this.threshold = threshold;
      return this;
    }

    /**
     * Whether to calibrate scores on the reference.
     *
     * @param calibration the policy; {@link Calibration#AUTO} by default
     * @return this builder
     */
    public Builder calibration(Calibration calibration) {
      this.calibration = Checks.notNull("calibration", calibration);
      return this;
    }

    /**
     * Where each band's sampling error comes from (alert thresholds always use the reference's).
     *
     * @param samplingError the source; {@link SamplingError#REFERENCE} (NannyML's) by default
     * @return this builder
     */
    public Builder samplingError(SamplingError samplingError) {
      this.samplingError = Checks.notNull("samplingError", samplingError);
      return this;
    }

    /**
     * The metrics to estimate (classification metrics only).
     *
     * @param first a metric
     * @param more further metrics
     * @return this builder
     */
    public Builder metrics(PerformanceMetric first, PerformanceMetric... more) {
      Checks.notNull("first", first);
      Checks.notNull("more", more);
      Set<PerformanceMetric> s = EnumSet.of(first, more);
      for (PerformanceMetric m : s) {
        if (!CLASSIFICATION.contains(m)) {
          throw new IllegalArgumentException("metrics must be classification metrics " + CLASSIFICATION + ", was "
              + m);
        }
      }
      this.metrics = s;
      return this;
    }

    /**
     * Fits on the labelled reference.
     *
     * @param referenceScores the model's scores on the reference, each in [0, 1], at least one
     * @param referenceLabels their labels, 0 or 1, both classes present
     * @return the fitted estimator
     */
    public Cbpe fit(double[] referenceScores, int[] referenceLabels) {
      checkScores("referenceScores", referenceScores);
      checkLabels("referenceLabels", referenceLabels, referenceScores.length);
      int n = referenceScores.length;
      int positives = 0;
      for (int v : referenceLabels) {
        positives += v;
      }
      if (positives == 0 || positives == n) {
        throw new IllegalArgumentException("referenceLabels must contain both classes, all " + n + " were "
            + (positives == 0 ? 0 : 1));
      }
      double[] y = new double[n];
      for (int i = 0; i < n; i++) {
        y[i] = referenceLabels[i];
      }
      Isotonic iso = switch (calibration) {
        case NONE -> null;
        case ISOTONIC -> Isotonic.fit(referenceScores, y);
        case AUTO -> calibrationHelps(referenceScores, referenceLabels, y) ? Isotonic.fit(referenceScores, y) : null;
      };
      int[] order = DoubleSort.argsort(referenceScores, true);
      double[] sDesc = new double[n];
      double[] yDesc = new double[n];
      for (int i = 0; i < n; i++) {
        sDesc[i] = referenceScores[order[i]];
        yDesc[i] = y[order[i]];
      }
      Isotonic[] refits = null;
      if (iso != null && samplingError == SamplingError.CHUNK_AND_CALIBRATION) {
        refits = new Isotonic[CALIBRATION_REFITS];
        SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 7);
        double[] bs = new double[n];
        double[] by = new double[n];
        for (int r = 0; r < refits.length; r++) {
          for (int i = 0; i < n; i++) {
            int j = rnd.nextInt(n);
            bs[i] = referenceScores[j];
            by[i] = y[j];
          }
          refits[r] = Isotonic.fit(bs, by);
        }
      }
      return new Cbpe(this, iso, refits, sDesc, yDesc);
    }

    /** NannyML's check: does isotonic calibration, cross-fitted on stratified folds, lower the ECE? */
    private boolean calibrationHelps(double[] s, int[] labels, double[] y) {
      int n = s.length;
      int folds = 10;
      int[] fold = new int[n];
      SplittableRandom rnd = new SplittableRandom(seed);
      for (int cls = 0; cls <= 1; cls++) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          if (labels[i] == cls) {
            idx.add(i);
          }
        }
        for (int i = idx.size() - 1; i > 0; i--) {
          int j = rnd.nextInt(i + 1);
          Integer t = idx.get(i);
          idx.set(i, idx.get(j));
          idx.set(j, t);
        }
        for (int k = 0; k < idx.size(); k++) {
          fold[idx.get(k)] = k % folds;
        }
      }
      double[] oof = new double[n];
      for (int f = 0; f < folds; f++) {
        int m = 0;
        for (int i = 0; i < n; i++) {
          if (fold[i] != f) {
            m++;
          }
        }
        if (m == 0 || m == n) {
          continue;
        }
        double[] fs = new double[m];
        double[] fy = new double[m];
        int k = 0;
        for (int i = 0; i < n; i++) {
          if (fold[i] != f) {
            fs[k] = s[i];
            fy[k++] = y[i];
          }
        }
        Isotonic iso = Isotonic.fit(fs, fy);
        for (int i = 0; i < n; i++) {
          if (fold[i] == f) {
            oof[i] = iso.apply(s[i]);
          }
        }
      }
      int[] order = DoubleSort.argsort(s, false);
      return ece(oof, y, order) < ece(s, y, order);
    }
  }
}
