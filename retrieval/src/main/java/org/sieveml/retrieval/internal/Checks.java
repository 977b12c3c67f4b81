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
