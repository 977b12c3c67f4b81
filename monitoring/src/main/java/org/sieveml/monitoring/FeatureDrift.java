package org.sieveml.monitoring;

import java.util.Objects;

/**
 * The result of one per-feature drift test: the effect size, the p-value where the method defines
 * one, the threshold applied and the decision.
 *
 * <p>{@code statistic} is the effect size: D for Kolmogorov-Smirnov, Cramér's V ({@code sqrt(chi2 / N)})
 * for chi-square, and the distance itself for PSI, Jensen-Shannon and
 * Wasserstein. {@code pValue} is NaN for distance methods. When a window is empty (after dropping
 * missing values) the statistic and p-value are NaN, {@code drifted} is false and {@code note} says
 * why. Otherwise {@code note} says how a p-value was obtained when it is not the textbook one
 * ({@code "Monte-Carlo p-value (l permutations)"}; for Kolmogorov-Smirnov a note starting with
 * {@code "ties"} flags repeated values), and is empty else.
 *
 * <p>Immutable and thread-safe.
 *
 * @param feature the feature's name
 * @param method the test applied
 * @param statistic the effect size (see above)
 * @param pValue the p-value, NaN for distances
 * @param threshold the threshold the decision used (after any multiple-testing correction)
 * @param drifted whether drift was flagged
 * @param referenceCount non-missing reference values
 * @param currentCount non-missing current values
 * @param referenceMissing missing (NaN or null) reference values
 * @param currentMissing missing current values
 * @param note why a result is undefined, how its p-value was obtained, or empty
 */
public record FeatureDrift(
    String feature,
    DriftMethod method,
    double statistic,
    double pValue,
    double threshold,
    boolean drifted,
    long referenceCount,
    long currentCount,
    long referenceMissing,
    long currentMissing,
    String note) {

  /**
   * Validates the fields.
   *
   * @param feature the feature's name
   * @param method the test applied
   * @param statistic the effect size
   * @param pValue the p-value
   * @param threshold the threshold
   * @param drifted the decision
   * @param referenceCount non-missing reference values
   * @param currentCount non-missing current values
   * @param referenceMissing missing reference values
   * @param currentMissing missing current values
   * @param note explanation or empty
   */
  public FeatureDrift {
    Objects.requireNonNull(feature, "feature");
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(note, "note");
  }

  /**
   * A copy with another threshold and decision (used by multiple-testing corrections).
   *
   * @param newThreshold the threshold
   * @param newDrifted the decision
   * @return a new result
   */
  public FeatureDrift withDecision(double newThreshold, boolean newDrifted) {
    return new FeatureDrift(feature, method, statistic, pValue, newThreshold, newDrifted,
        referenceCount, currentCount, referenceMissing, currentMissing, note);
  }

  /**
   * The value compared with the threshold: the p-value for p-value tests, the statistic otherwise.
   *
   * @return the decision value
   */
  public double score() {
    return method.isPValueTest() ? pValue : statistic;
  }
}
