package org.sieveml.retrieval.internal;

/** Input validation shared by the indexes. Stateless and thread-safe. */
public final class Checks {
  private Checks() {}

  /**
   * Validates a vector and returns a defensive copy.
   *
   * @param field field name for messages
   * @param v the vector
   * @param dimension expected dimension
   * @return a copy
   */
  public static float[] vector(String field, float[] v, int dimension) {
    if (v == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    if (v.length != dimension) {
      throw new IllegalArgumentException(
          field + " has dimension " + v.length + ", expected " + dimension);
    }
    for (int i = 0; i < v.length; i++) {
      if (!Float.isFinite(v[i])) {
        throw new IllegalArgumentException(
            field + "[" + i + "] is " + v[i] + ", expected a finite value");
      }
    }
    return v.clone();
  }

  /**
   * Validates a vector for an index of the given metric and returns the copy the index stores: under
   * {@link org.sieveml.retrieval.VectorMetric#COSINE} a zero vector is refused (its cosine is undefined)
   * and the copy is scaled to unit length, so the index's distance is {@code 1 - a·b}.
   *
   * @param field field name for messages
   * @param v the vector
   * @param dimension expected dimension
   * @param metric the index's metric
   * @return the validated (and, under cosine, normalized) copy
   */
  public static float[] vector(String field, float[] v, int dimension, org.sieveml.retrieval.VectorMetric metric) {
    float[] c = vector(field, v, dimension);
    if (metric == org.sieveml.retrieval.VectorMetric.COSINE) {
      double n = 0;
      for (float x : c) {
        n += (double) x * x;
      }
      if (n == 0) {
        throw new IllegalArgumentException(field + " is a zero vector, expected a non-zero vector under COSINE");
      }
      // divided in double precision: a tiny vector (e.g. {1e-39f, 0}) has a norm whose float inverse overflows
      double norm = Math.sqrt(n);
      for (int i = 0; i < c.length; i++) {
        c[i] = (float) (c[i] / norm);
      }
      return c;
    }
    // distances and dot products are summed in float: components this large would make them infinite
    double limit = Math.sqrt(Float.MAX_VALUE / (4.0 * dimension));
    for (int i = 0; i < c.length; i++) {
      if (Math.abs(c[i]) > limit) {
        throw new IllegalArgumentException(field + "[" + i + "] is " + c[i] + ", expected a magnitude of at most "
            + (float) limit + " under " + metric + " (dimension " + dimension + "), so that distances stay finite");
      }
    }
    return c;
  }

  /**
   * Validates an id.
   *
   * @param id the id
   * @return the id
   */
  public static String id(String id) {
    if (id == null) {
      throw new IllegalArgumentException("id must not be null");
    }
    return id;
  }

  /**
   * Validates a positive integer argument.
   *
   * @param field field name
   * @param value value
   * @return the value
   */
  public static int positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " is " + value + ", expected > 0");
    }
    return value;
  }

  /**
   * Estimated heap bytes of a string id.
   *
   * @param id the id
   * @return bytes
   */
  public static long idBytes(String id) {
    return 40L + id.length();
  }
}
