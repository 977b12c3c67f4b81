package org.sieveml.monitoring;

import java.util.Locale;
import java.util.Objects;

/**
 * One metric estimated without labels for one chunk, with its confidence band and alert thresholds.
 *
 * <p>{@code samplingError} is the standard deviation of the realized metric over reference samples of
 * the chunk's size (how much the metric of a chunk this small moves by chance alone); the band is
 * {@code value ± bandSigmas x samplingError} and the alert thresholds are
 * {@code referenceMean ± alertSigmas x samplingError}, all clipped to the metric's range. {@code alert}
 * is true when the estimate lies outside the alert thresholds. {@code realized} is the metric computed
 * from labels when they were supplied ({@link Cbpe#evaluate}, {@link Dle#evaluate}) and NaN otherwise.
 * A value that is undefined for the chunk (precision with no expected positive prediction, ...) is NaN,
 * and so are its band and alert flag (false).
 *
 * <p>Immutable and thread-safe.
 *
 * @param metric the metric
 * @param value the estimate
 * @param lowerBand lower end of the confidence band
 * @param upperBand upper end of the confidence band
 * @param samplingError standard deviation of the metric over reference samples of the chunk's size
 * @param referenceMean mean of the realized metric over those reference samples
 * @param lowerAlert lower alert threshold
 * @param upperAlert upper alert threshold
 * @param alert whether the estimate is outside the alert thresholds
 * @param realized the metric from labels, or NaN
 */
public record MetricEstimate(
    PerformanceMetric metric,
    double value,
    double lowerBand,
    double upperBand,
    double samplingError,
    double referenceMean,
    double lowerAlert,
    double upperAlert,
    boolean alert,
    double realized) {

  /**
   * Validates.
   *
   * @param metric the metric
   * @param value the estimate
   * @param lowerBand lower band
   * @param upperBand upper band
   * @param samplingError sampling error
   * @param referenceMean reference mean
   * @param lowerAlert lower alert threshold
   * @param upperAlert upper alert threshold
   * @param alert the alert flag
   * @param realized the realized value or NaN
   */
  public MetricEstimate {
    Objects.requireNonNull(metric, "metric");
    if (lowerBand > upperBand) {
      throw new IllegalArgumentException("lowerBand must be <= upperBand, was " + lowerBand + " > " + upperBand);
    }
  }

  /**
   * The band's width, {@code upperBand - lowerBand}.
   *
   * @return the width (NaN when the estimate is undefined)
   */
  public double bandWidth() {
    return upperBand - lowerBand;
  }

  /**
   * Whether the realized metric lies within the band (inclusive). False when no realized value is
   * known or the estimate is undefined.
   *
   * @return true when {@code lowerBand <= realized <= upperBand}
   */
  public boolean realizedWithinBand() {
    return realized >= lowerBand && realized <= upperBand;
  }

  /**
   * One line: metric, estimate, band, alert thresholds and realized value.
   *
   * @return the text
   */
  public String toText() {
    return String.format(Locale.ROOT, "%-9s %.4f [%.4f, %.4f] alert outside [%.4f, %.4f]%s%s", metric,
        value, lowerBand, upperBand, lowerAlert, upperAlert, alert ? " ALERT" : "",
        Double.isNaN(realized) ? "" : String.format(Locale.ROOT, " realized %.4f", realized));
  }
}
