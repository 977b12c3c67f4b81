package org.sieveml.monitoring;

import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The sampling error behind every {@link MetricEstimate}'s band and alert thresholds: the realized
 * metric is computed on {@code draws} samples of the chunk's size drawn with replacement from the
 * labelled reference (seeded), and their mean and standard deviation are kept. Package-private.
 */
final class Bands {

  /** Computes the realized metrics of one reference sample (row indices, with repeats). */
  interface SampleMetrics {
    double[] of(int[] sample);
  }

  private Bands() {}

  /**
   * Mean and standard deviation of each metric over {@code draws} samples of {@code n} reference rows
   * drawn with replacement ({@code result[0]} means, {@code result[1]} standard deviations).
   */
  static double[][] reference(int referenceRows, int n, int draws, long seed, int metrics, SampleMetrics f) {
    SplittableRandom rnd = new SplittableRandom(seed ^ (n * 0x9E3779B97F4A7C15L));
    int[] sample = new int[n];
    return moments(draws, metrics, () -> {
      for (int i = 0; i < n; i++) {
        sample[i] = rnd.nextInt(referenceRows);
      }
      return f.of(sample);
    });
  }

  /**
   * Mean and standard deviation of each metric over {@code draws} calls of {@code draw}; calls where a
   * metric is undefined (NaN) are skipped for it.
   */
  static double[][] moments(int draws, int metrics, Supplier<double[]> draw) {
    double[] sum = new double[metrics];
    double[] sumSq = new double[metrics];
    int[] count = new int[metrics];
    for (int d = 0; d < draws; d++) {
      double[] v = draw.get();
      for (int k = 0; k < metrics; k++) {
        if (!Double.isNaN(v[k])) {
          sum[k] += v[k];
          sumSq[k] += v[k] * v[k];
          count[k]++;
        }
      }
    }
    double[][] r = new double[2][metrics];
    for (int k = 0; k < metrics; k++) {
      if (count[k] < 2) {
        r[0][k] = Double.NaN;
        r[1][k] = Double.NaN;
      } else {
        double mean = sum[k] / count[k];
        r[0][k] = mean;
        r[1][k] = Math.sqrt(Math.max(0, (sumSq[k] - count[k] * mean * mean) / (count[k] - 1)));
      }
    }
    return r;
  }

  /** One estimate with its band and alert thresholds (both from the reference's sampling error). */
  static MetricEstimate estimate(PerformanceMetric m, double value, double refMean, double sd,
      double bandSigmas, double alertSigmas, double realized) {
    return estimate(m, value, refMean, sd, sd, bandSigmas, alertSigmas, realized);
  }

  /**
   * One estimate with its band ({@code bandSd}) and alert thresholds (the reference's {@code alertSd}),
   * all clipped to the metric's range.
   */
  static MetricEstimate estimate(PerformanceMetric m, double value, double refMean, double alertSd, double bandSd,
      double bandSigmas, double alertSigmas, double realized) {
    if (Double.isNaN(value) || Double.isNaN(bandSd) || Double.isNaN(alertSd)) {
      return new MetricEstimate(m, value, Double.NaN, Double.NaN, bandSd, refMean, Double.NaN, Double.NaN, false,
          realized);
    }
    double lowerAlert = m.clip(refMean - alertSigmas * alertSd);
    double upperAlert = m.clip(refMean + alertSigmas * alertSd);
    return new MetricEstimate(m, value, m.clip(value - bandSigmas * bandSd), m.clip(value + bandSigmas * bandSd),
        bandSd, refMean, lowerAlert, upperAlert, value < lowerAlert || value > upperAlert, realized);
  }

  static double positiveFinite(String field, double v) {
    if (!(v > 0) || Double.isInfinite(v)) {
      throw new IllegalArgumentException(field + " must be positive and finite, was " + v);
    }
    return v;
  }
}
