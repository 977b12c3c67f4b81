package org.sieveml.retrieval;

/**
 * How the distance between two embeddings is measured. Every metric is a distance: smaller means
 * closer, which is what nearest-neighbour search minimises.
 *
 * <ul>
 *   <li>{@link #COSINE}: {@code 1 - cos(a, b)}, in [0, 2]; 0 for vectors pointing the same way. A zero
 *       vector is at distance 1 from everything.
 *   <li>{@link #INNER_PRODUCT}: {@code 1 - a·b}, the convention of hnswlib, so that a larger inner
 *       product is closer; meaningful for maximum-inner-product search over unnormalised vectors.
 *   <li>{@link #L2}: squared Euclidean distance {@code Σ (a_i - b_i)²} (the square root is monotone and
 *       skipped, as in hnswlib and Lucene).
 * </ul>
 *
 * <p>These are the scalar reference implementations: 4-way unrolled loops with independent
 * accumulators, accumulated in {@code float} as hnswlib does. Stateless and thread-safe.
 */
public enum VectorMetric {
  /** One minus the cosine similarity. */
  COSINE {
    @Override
    public float distance(float[] a, float[] b) {
      check(a, b);
      float dot0 = 0;
      float dot1 = 0;
      float na0 = 0;
      float na1 = 0;
      float nb0 = 0;
      float nb1 = 0;
      int i = 0;
      int bound = a.length & ~1;
      for (; i < bound; i += 2) {
        dot0 += a[i] * b[i];
        dot1 += a[i + 1] * b[i + 1];
        na0 += a[i] * a[i];
        na1 += a[i + 1] * a[i + 1];
        nb0 += b[i] * b[i];
        nb1 += b[i + 1] * b[i + 1];
      }
      for (; i < a.length; i++) {
        dot0 += a[i] * b[i];
        na0 += a[i] * a[i];
        nb0 += b[i] * b[i];
      }
      float denom = (float) Math.sqrt((double) (na0 + na1) * (nb0 + nb1));
      if (denom == 0f) {
        return 1f;
      }
      return 1f - (dot0 + dot1) / denom;
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
      float s0 = 0;
      float s1 = 0;
      float s2 = 0;
      float s3 = 0;
      int i = 0;
      int bound = a.length & ~3;
      for (; i < bound; i += 4) {
        float d0 = a[i] - b[i];
        float d1 = a[i + 1] - b[i + 1];
        float d2 = a[i + 2] - b[i + 2];
        float d3 = a[i + 3] - b[i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
      }
      for (; i < a.length; i++) {
        float d = a[i] - b[i];
        s0 += d * d;
      }
      return (s0 + s1) + (s2 + s3);
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
    float s0 = 0;
    float s1 = 0;
    float s2 = 0;
    float s3 = 0;
    int i = 0;
    int bound = a.length & ~3;
    for (; i < bound; i += 4) {
      s0 += a[i] * b[i];
      s1 += a[i + 1] * b[i + 1];
      s2 += a[i + 2] * b[i + 2];
      s3 += a[i + 3] * b[i + 3];
    }
    for (; i < a.length; i++) {
      s0 += a[i] * b[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static void check(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "vectors must have the same dimension, got " + a.length + " and " + b.length);
    }
  }
}
