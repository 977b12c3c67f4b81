package org.sieveml.monitoring;

/**
 * Multiple-testing correction applied to the p-value tests of a dataset-level check (distance tests
 * are left alone).
 *
 * <p>Immutable and thread-safe.
 */
public enum Correction {
  /** Each feature is tested at its own significance level. */
  NONE,
  /** Bonferroni: each of the k p-value tests is run at level alpha / k (controls the family-wise error). */
  BONFERRONI,
  /**
   * Benjamini-Hochberg: with p-values sorted ascending, the tests up to the largest rank i with
   * {@code p(i) <= i * alpha / k} are flagged (controls the false discovery rate).
   */
  BENJAMINI_HOCHBERG
}
