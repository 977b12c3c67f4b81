package org.sieveml.features;

import java.util.BitSet;
import org.sieveml.core.FeatureFrame;

/**
 * The result of {@link OfflineStore#join}: one row per entity row, holding the requested features of
 * the matched feature row (missing where there was no match) and whether there was a match.
 *
 * <p>Immutable and thread-safe.
 */
public final class JoinedRows {
  private final FeatureFrame values;
  private final BitSet matched;

  /**
   * A result.
   *
   * @param values the requested features, one row per entity row
   * @param matched which entity rows had a match (not copied)
   */
  public JoinedRows(FeatureFrame values, BitSet matched) {
    this.values = values;
    this.matched = matched;
  }

  /**
   * The values.
   *
   * @return the frame
   */
  public FeatureFrame values() {
    return values;
  }

  /**
   * The number of entity rows that had a match.
   *
   * @return the count
   */
  public int matchCount() {
    return matched.cardinality();
  }

  /**
   * Whether an entity row had a match.
   *
   * @param row the entity row
   * @return true when a feature row matched
   */
  public boolean matched(int row) {
    return matched.get(row);
  }
}
