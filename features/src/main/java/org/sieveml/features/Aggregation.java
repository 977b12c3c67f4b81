package org.sieveml.features;

/**
 * The functions an {@link AggregationView} computes over a sliding window of events.
 *
 * <p>On an empty window COUNT and SUM give 0 and MEAN, MIN and MAX give a missing value.
 */
public enum Aggregation {
  /** The number of events in the window (a LONG feature). */
  COUNT,
  /** The sum of a field over the window (a DOUBLE feature). */
  SUM,
  /** The arithmetic mean of a field over the window (a DOUBLE feature); a 0/1 field gives a rate such as CTR. */
  MEAN,
  /** The smallest value of a field in the window (a DOUBLE feature). */
  MIN,
  /** The largest value of a field in the window (a DOUBLE feature). */
  MAX;

  /**
   * The lowercase name used in feature names, e.g. {@code sum}.
   *
   * @return the short name
   */
  public String shortName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
