package org.sieveml.monitoring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureType;
import org.sieveml.monitoring.internal.Checks;

/**
 * Compares features as served (logged at request time) with the same features recomputed offline
 * (e.g. by a point-in-time join), per feature, with the batch drift tests of a {@link DriftCheck} and,
 * when rows are paired, the exact share of mismatching values.
 *
 * <p>The frames usually come from a feature store that returns, for a sample of served requests, what
 * was served and what its offline (point-in-time) replay gives for the same keys and times, row for
 * row (in SieveML, {@code FeatureStore.servedVsOffline} in the features module: pass its
 * {@code served()} and {@code offline()}). This module does not depend on the feature store.
 *
 * <p>Stateless and thread-safe.
 */
public final class SkewCheck {

  private SkewCheck() {}

  /**
   * Runs the skew check with the default {@link DriftCheck} ({@code DriftCheck.builder().build()}).
   *
   * @param served the served features (tested as the current window)
   * @param offline the offline recomputation (the reference), row {@code i} for the same request as
   *     row {@code i} of {@code served} when the two have the same row count
   * @param tolerance relative tolerance for paired numeric values, {@code >= 0}
   * @return the report
   */
  public static SkewReport compare(FeatureFrame served, FeatureFrame offline, double tolerance) {
    return compare(served, offline, DriftCheck.builder().build(), tolerance);
  }

  /**
   * Runs the skew check.
   *
   * @param served the served features (tested as the current window)
   * @param offline the offline recomputation (the reference)
   * @param check the per-feature tests and decision rule
   * @param tolerance relative tolerance for paired numeric values, {@code >= 0}
   * @return the report
   */
  public static SkewReport compare(FeatureFrame served, FeatureFrame offline, DriftCheck check, double tolerance) {
    Checks.notNull("served", served);
    Checks.notNull("offline", offline);
    Checks.notNull("check", check);
    if (!(tolerance >= 0) || Double.isInfinite(tolerance)) {
      throw new IllegalArgumentException("tolerance must be finite and >= 0, was " + tolerance);
    }
    DriftReport dist = check.run("skew", offline, served);
    Map<String, Double> rates = new LinkedHashMap<>();
    long paired = 0;
    if (served.rowCount() == offline.rowCount() && served.rowCount() > 0) {
      paired = served.rowCount();
      for (FeatureDrift f : dist.features()) {
        String name = f.feature();
        int so = served.schema().require(name);
        int oo = offline.schema().require(name);
        boolean str = offline.schema().get(oo).type() == FeatureType.STRING;
        long diff = 0;
        for (int r = 0; r < paired; r++) {
          boolean sp = served.isPresent(r, so);
          boolean op = offline.isPresent(r, oo);
          if (sp != op) {
            diff++;
          } else if (sp) {
            if (str) {
              if (!served.getString(r, so).equals(offline.getString(r, oo))) {
                diff++;
              }
            } else {
              double a = served.asDouble(r, so);
              double b = offline.asDouble(r, oo);
              if (Math.abs(a - b) > tolerance * Math.max(1, Math.abs(b))) {
                diff++;
              }
            }
          }
        }
        rates.put(name, (double) diff / paired);
      }
    }
    return new SkewReport(dist, rates, paired);
  }
}
