package org.sieveml.retrieval.internal;

import org.sieveml.retrieval.VectorMetric;

/**
 * The distance an index computes between its stored vectors and a prepared query (see
 * {@link Checks#vector(String, float[], int, VectorMetric)}): under cosine both are unit length, so
 * the distance is {@code 1 - a·b}, one inner product instead of three. Uses {@link VectorOps#ACTIVE}.
 * Implementations are stateless and thread-safe.
 */
@FunctionalInterface
public interface IndexDistance {

  /**
   * The distance between two prepared vectors.
   *
   * @param a a prepared vector
   * @param b a prepared vector of the same length
   * @return the metric's distance
   */
  float distance(float[] a, float[] b);

  /**
   * The index distance of a metric.
   *
   * @param metric the metric
   * @return its distance on prepared vectors
   */
  static IndexDistance of(VectorMetric metric) {
    VectorOps ops = VectorOps.ACTIVE;
    switch (metric) {
      case COSINE:
      case INNER_PRODUCT:
        return (a, b) -> 1f - ops.dot(a, b);
      case L2:
        return ops::squareDistance;
      default:
        throw new IllegalArgumentException("metric was " + metric + ", expected COSINE, INNER_PRODUCT or L2");
    }
  }
}
