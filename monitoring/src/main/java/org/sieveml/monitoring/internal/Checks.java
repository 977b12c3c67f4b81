package org.sieveml.monitoring.internal;

/**
 * Argument checks whose messages name the field, the value and what was expected (the same messages as
 * core's). Not public API.
 */
public final class Checks {
  private Checks() {}

  /**
   * Fails with {@code "<field> must not be null"} when {@code value} is null.
   *
   * @param field the argument's name
   * @param value the argument
   * @param <T> its type
   * @return {@code value}
   */
  public static <T> T notNull(String field, T value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    return value;
  }

  /**
   * Fails unless {@code value} is non-null and has at least one non-whitespace character.
   *
   * @param field the argument's name
   * @param value the argument
   * @return {@code value}
   */
  public static String notBlank(String field, String value) {
    notNull(field, value);
    if (value.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank, was '" + value + "'");
    }
    return value;
  }

  /**
   * Fails unless {@code value > 0}.
   *
   * @param field the argument's name
   * @param value the argument
   * @return {@code value}
   */
  public static int positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be positive, was " + value);
    }
    return value;
  }
}
