package org.sieveml.core;

/**
 * The value type of a feature.
 *
 * <p>{@link #DOUBLE}, {@link #LONG} and {@link #BOOLEAN} are numeric and readable through
 * {@link FeatureVector#asDouble(int)}; {@link #STRING} holds categorical values; {@link #EMBEDDING} holds
 * a {@code float[]} of the fixed dimension declared by its {@link FeatureSpec}.
 */
public enum FeatureType {
  /** A 64-bit floating point value. */
  DOUBLE,
  /** A 64-bit integer (counts, ids used as numbers). */
  LONG,
  /** A boolean flag, read numerically as 1 or 0. */
  BOOLEAN,
  /** A string, typically a categorical value. */
  STRING,
  /** A dense float vector of a fixed dimension. */
  EMBEDDING;

  /**
   * Whether values of this type have a numeric reading.
   *
   * @return true for DOUBLE, LONG and BOOLEAN
   */
  public boolean isNumeric() {
    return this == DOUBLE || this == LONG || this == BOOLEAN;
  }
}
