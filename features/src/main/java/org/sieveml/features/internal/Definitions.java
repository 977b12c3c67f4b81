package org.sieveml.features.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.regex.Pattern;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/** Shared validation and content hashing for feature definitions. Stateless and thread-safe. */
public final class Definitions {

  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private Definitions() {}

  /**
   * Checks a definition name.
   *
   * @param field what the name is, for the message
   * @param value the name
   * @return the name
   */
  public static String name(String field, String value) {
    if (value == null || !NAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          field + " must match " + NAME.pattern() + ", was " + (value == null ? "null" : "'" + value + "'"));
    }
    return value;
  }

  /**
   * The content-hash version of a canonical description: the first 16 hex digits of its SHA-256.
   *
   * @param canonical a deterministic description of everything in the definition
   * @return 16 lowercase hex digits
   */
  public static String hash(String canonical) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
      char[] out = new char[16];
      for (int i = 0; i < 8; i++) {
        out[2 * i] = HEX[(d[i] >> 4) & 0xF];
        out[2 * i + 1] = HEX[d[i] & 0xF];
      }
      return new String(out);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  /**
   * Checks that a default value fits a feature's type, and returns a defensive copy.
   *
   * @param owner the definition, for the message
   * @param spec the feature
   * @param value the default, or null for "missing"
   * @return the normalised default (Long for LONG, Double for DOUBLE, copied float[] for EMBEDDING)
   */
  public static Object checkDefault(String owner, FeatureSpec spec, Object value) {
    if (value == null) {
      return null;
    }
    String where = "default of feature '" + spec.name() + "' in " + owner;
    switch (spec.type()) {
      case DOUBLE:
        if (!(value instanceof Number)) {
          throw new IllegalArgumentException(where + " must be a number, was " + describe(value));
        }
        double d = ((Number) value).doubleValue();
        if (!Double.isFinite(d)) {
          throw new IllegalArgumentException(where + " must be finite, was " + d);
        }
        return d;
      case LONG:
        if (!(value instanceof Long || value instanceof Integer || value instanceof Short || value instanceof Byte)) {
          throw new IllegalArgumentException(where + " must be an integral number, was " + describe(value));
        }
        return ((Number) value).longValue();
      case BOOLEAN:
        if (!(value instanceof Boolean)) {
          throw new IllegalArgumentException(where + " must be a Boolean, was " + describe(value));
        }
        return value;
      case STRING:
        if (!(value instanceof String)) {
          throw new IllegalArgumentException(where + " must be a String, was " + describe(value));
        }
        return value;
      case EMBEDDING:
        if (!(value instanceof float[]) || ((float[]) value).length != spec.dimension()) {
          throw new IllegalArgumentException(
              where + " must be a float[" + spec.dimension() + "], was " + describe(value));
        }
        for (float f : (float[]) value) {
          if (!Float.isFinite(f)) {
            throw new IllegalArgumentException(where + " must have finite components, was " + f);
          }
        }
        return ((float[]) value).clone();
      default:
        throw new AssertionError(spec.type());
    }
  }

  /**
   * A deterministic text form of a default value for hashing.
   *
   * @param value a normalised default or null
   * @return its text
   */
  public static String canonical(Object value) {
    if (value == null) {
      return "null";
    }
    if (value instanceof float[]) {
      return Arrays.toString((float[]) value);
    }
    return value.getClass().getSimpleName() + ":" + value;
  }

  /**
   * The short text form of a duration used in feature names: the largest exact unit of d, h, m, s, ms.
   *
   * @param millis a positive duration in milliseconds
   * @return e.g. {@code 10m}, {@code 1h}, {@code 7d}
   */
  public static String durationName(long millis) {
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    String[] names = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < units.length; i++) {
      if (millis % units[i] == 0) {
        return (millis / units[i]) + names[i];
      }
    }
    throw new AssertionError(millis);
  }

  /**
   * Checks a positive duration and returns it in milliseconds.
   *
   * @param field what the duration is, for the message
   * @param d the duration
   * @return milliseconds, at least 1
   */
  public static long positiveMillis(String field, Duration d) {
    if (d == null || d.isNegative() || d.isZero() || d.compareTo(Duration.ofMillis(Long.MAX_VALUE)) > 0
        || d.toMillis() <= 0) {
      throw new IllegalArgumentException(field + " must be a positive duration of 1 ms to " + Long.MAX_VALUE
          + " ms, was " + d);
    }
    return d.toMillis();
  }

  /**
   * Whether a type can be aggregated (numbers and booleans).
   *
   * @param type a feature type
   * @return true for DOUBLE, LONG and BOOLEAN
   */
  public static boolean aggregatable(FeatureType type) {
    return type.isNumeric();
  }

  private static String describe(Object v) {
    return v instanceof float[] ? "float[" + ((float[]) v).length + "]" : v.getClass().getSimpleName() + " " + v;
  }
}
