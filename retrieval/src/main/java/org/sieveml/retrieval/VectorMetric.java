package org.sieveml.retrieval;

import org.sieveml.retrieval.internal.VectorOps;

/**
 * How the distance between two embeddings is measured. Every metric is a distance: smaller means
 * closer, which is what nearest-neighbour search minimises.
 *
 * <ul>
 *   <li>{@link #COSINE}: {@code 1 - cos(a, b)}, in [0, 2]; 0 for vectors pointing the same way. A zero
 *       vector is at distance 1 from everything here; the indexes refuse zero vectors under cosine and
 *       store unit-length copies, so their distance is one inner product.
 *   <li>{@link #INNER_PRODUCT}: {@code 1 - a·b}, the convention of hnswlib, so that a larger inner
 *       product is closer; meaningful for maximum-inner-product search over unnormalised vectors.
 *   <li>{@link #L2}: squared Euclidean distance {@code Σ (a_i - b_i)²} (the square root is monotone and
 *       skipped, as in hnswlib and Lucene).
 * </ul>
 *
 * <p>Distances are computed in {@code float}, as hnswlib does, by SIMD kernels on the JDK Vector API
 * when the JVM runs with {@code --add-modules jdk.incubator.vector} (the choice is made once and
 * logged), otherwise by scalar loops with independent accumulators; {@code -Dsieveml.simd=false}
 * forces the scalar ones. Stateless and thread-safe.
 */
public enum VectorMetric {
  /** One minus the cosine similarity. */
  COSINE {
    @Override
    public float distance(float[] a, float[] b) {
      check(a, b);
      return VectorOps.ACTIVE.cosineDistance(a, b);
    }
  },
  /** One minus the inner product. */
  INNER_PRODUCT {
    @Override
    public float distance(float[] a, float[] b) {
      return 1f - dot(a, b);
    }
  },
  /** Squared Euclidean distance. */
  L2 {
    @Override
    public float distance(float[] a, float[] b) {
      check(a, b);
      return VectorOps.ACTIVE.squareDistance(a, b);
    }
  };

  /**
   * The distance between two vectors of equal length.
   *
   * @param a a vector
   * @param b a vector of the same length
   * @return the distance; smaller is closer
   * @throws IllegalArgumentException if the lengths differ
   */
  public abstract float distance(float[] a, float[] b);

  /**
   * The inner product of two vectors of equal length.
   *
   * @param a a vector
   * @param b a vector of the same length
   * @return {@code Σ a_i b_i}
   * @throws IllegalArgumentException if the lengths differ
   */
  public static float dot(float[] a, float[] b) {
    check(a, b);
    return VectorOps.ACTIVE.dot(a, b);
  }

  private static void check(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "vectors must have the same dimension, got " + a.length + " and " + b.length);
    }
  }
}
