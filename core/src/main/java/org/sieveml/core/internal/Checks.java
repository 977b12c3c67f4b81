package org.sieveml.core.internal;

import java.util.Objects;

/** Argument checks whose messages name the field, the value and what was expected. Not public API. */
public final class Checks {
  private Checks() {}

  /** Fails with {@code "<field> must not be null"} when {@code value} is null. */
  public static <T> T notNull(String field, T value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    return value;
  }

  /** Fails unless {@code value} is non-null and has at least one non-whitespace character. */
  public static String notBlank(String field, String value) {
    if (value == null) {
      throw new IllegalArgumentException(field + " must not be null");
    }
    if (value.isBlank()) {
      throw new IllegalArgumentException(field + " must not be blank, was '" + value + "'");
    }
    return value;
  }

  /** Fails unless {@code value > 0}. */
  public static int positive(String field, int value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be positive, was " + value);
    }
    return value;
  }

  /** Fails unless {@code value > 0}. */
  public static long positive(String field, long value) {
    if (value <= 0) {
      throw new IllegalArgumentException(field + " must be positive, was " + value);
    }
    return value;
  }

  /** Fails with an {@link IllegalStateException} carrying {@code message} unless {@code condition}. */
  public static void state(boolean condition, String message) {
    if (!condition) {
      throw new IllegalStateException(message);
    }
  }

  /** Renders a value for an error message: strings quoted, null as {@code null}. */
  public static String describe(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof CharSequence) {
      return "'" + value + "'";
    }
    if (value instanceof float[]) {
      return "float[" + ((float[]) value).length + "]";
    }
    return value.getClass().getSimpleName() + " " + Objects.toString(value);
  }
}
