package org.sieveml.monitoring;

/**
 * The per-feature tests comparing a reference sample with a current one.
 *
 * <p>p-value tests ({@link #KOLMOGOROV_SMIRNOV}, {@link #CHI_SQUARE}) flag drift when the p-value is
 * below the threshold (a significance level, 0.05 by default); distance tests flag drift when the
 * distance is at or above the threshold. For numeric features p-value tests are the defaults on
 * small samples only, because on large samples they flag shifts too small to matter; for categorical
 * features chi-square is the default at every size, because no fixed distance threshold holds its
 * level on high-cardinality columns (see {@link DriftTests}).
 *
 * <p>Enum constants are immutable and thread-safe.
 */
public enum DriftMethod {
  /**
   * Two-sample Kolmogorov-Smirnov test for numeric features; statistic D, exact or asymptotic p-value,
   * or with ties a flag in the note and a permutation p-value (see {@link DriftTests}).
   */
  KOLMOGOROV_SMIRNOV(true, 0.05),
  /**
   * Chi-square test of homogeneity for categorical features (or numeric features with few distinct
   * values), over the categories of both samples pooled (missing values a category of their own,
   * rare ones merged); asymptotic p-value when the expected counts allow it, a seeded Monte-Carlo
   * permutation p-value otherwise (see {@link DriftTests}). The default for categorical features.
   */
  CHI_SQUARE(true, 0.05),
  /**
   * Population stability index, {@code sum (c - r) ln(c / r)} over reference-quantile bins (numeric)
   * or categories, proportions floored at 1e-4. Usual reading: below 0.1 stable, 0.1-0.25 moderate,
   * above 0.25 major shift.
   */
  PSI(false, 0.1),
  /** Jensen-Shannon distance (square root of the divergence, base 2, in [0, 1]) over the same buckets. */
  JENSEN_SHANNON(false, 0.1),
  /** Wasserstein-1 distance between the empirical distributions, divided by the reference's standard deviation. */
  WASSERSTEIN(false, 0.1);

  private final boolean pValueTest;
  private final double defaultThreshold;

  DriftMethod(boolean pValueTest, double defaultThreshold) {
    this.pValueTest = pValueTest;
    this.defaultThreshold = defaultThreshold;
  }

  /**
   * Whether the method decides on a p-value (true) or on a distance (false).
   *
   * @return true for KS and chi-square
   */
  public boolean isPValueTest() {
    return pValueTest;
  }

  /**
   * The default threshold: significance level for p-value tests, distance otherwise.
   *
   * @return the default threshold
   */
  public double defaultThreshold() {
    return defaultThreshold;
  }

  /**
   * Whether categorical (string) samples are supported.
   *
   * @return false only for KS and Wasserstein
   */
  public boolean supportsCategorical() {
    return this != KOLMOGOROV_SMIRNOV && this != WASSERSTEIN;
  }
}
