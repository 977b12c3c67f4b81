package org.sieveml.monitoring;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Training/serving skew between features as served and the same features recomputed offline.
 *
 * <p>{@code distribution} holds the per-feature distribution tests (served = current, offline =
 * reference). When both frames have the same rows in the same order (row i of each describes the same
 * request), {@code mismatchRate} gives, per feature, the share of rows whose served and offline values
 * differ (missing on one side only counts as a difference; numbers differ when
 * {@code |served - offline| > tolerance * max(1, |offline|)}); otherwise it is empty and
 * {@code pairedRows} is 0.
 *
 * <p>Immutable and thread-safe.
 *
 * @param distribution per-feature distribution tests
 * @param mismatchRate per-feature share of differing paired rows (insertion-ordered)
 * @param pairedRows rows compared pairwise
 */
public record SkewReport(DriftReport distribution, Map<String, Double> mismatchRate, long pairedRows) {

  /**
   * Validates and copies.
   *
   * @param distribution distribution tests
   * @param mismatchRate mismatch rates
   * @param pairedRows paired rows
   */
  public SkewReport {
    Objects.requireNonNull(distribution, "distribution");
    mismatchRate = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(mismatchRate));
  }

  /**
   * The distribution report followed by the paired mismatch rates.
   *
   * @return the text
   */
  public String toText() {
    StringBuilder sb = new StringBuilder(distribution.toText());
    if (pairedRows > 0) {
      sb.append(String.format(Locale.ROOT, "  paired rows: %d%n", pairedRows));
      mismatchRate.forEach((k, v) -> sb.append(String.format(Locale.ROOT, "  %-24s mismatch %.4f%n", k, v)));
    }
    return sb.toString();
  }
}
