package org.sieveml.features;

import java.util.Collections;
import java.util.Map;
import org.sieveml.core.FeatureFrame;

/**
 * The answer to {@link FeatureStore#getHistoricalFeatures}: a training frame with exactly one row per
 * entity row, in the entity rows' order, plus how many values had no matching feature row (and so hold
 * the view's default, or a missing value).
 *
 * <p>Immutable and thread-safe.
 *
 * @param frame the columns: {@value FeatureStore#TIMESTAMP_COLUMN} (the entity rows' timestamps), the
 *     entity rows' extra columns (e.g. labels), then the feature service's features
 * @param unmatched per output feature, the number of rows whose value came from no feature row
 */
public record TrainingData(FeatureFrame frame, Map<String, Long> unmatched) {

  /**
   * Wraps.
   *
   * @param frame the frame
   * @param unmatched the miss counts
   */
  public TrainingData {
    unmatched = Collections.unmodifiableMap(unmatched);
  }

  /**
   * The number of rows without a match for a feature.
   *
   * @param feature an output feature's name
   * @return the count
   */
  public long unmatched(String feature) {
    Long n = unmatched.get(feature);
    if (n == null) {
      throw new IllegalArgumentException("unknown output feature '" + feature + "'; known " + unmatched.keySet());
    }
    return n;
  }
}
