package org.sieveml.features;

/**
 * An event that cannot be stored, with what is wrong as data: the field at fault, the offending value
 * and what was expected (a stream consumer puts them into a dead letter's headers). Thrown by
 * {@link FeatureStore#checkEvent}.
 *
 * <p>Immutable, thread-safe.
 */
public class InvalidEventException extends IllegalArgumentException {

  /** Serialization version. */
  private static final long serialVersionUID = 1L;

  /** The field at fault. */
  private final String field;
  /** The offending value, or null. */
  private final String value;
  /** What was expected. */
  private final String expected;

  /**
   * An invalid event.
   *
   * @param field the field at fault (e.g. {@code amount}, {@code eventTime}, {@code key}), or
   *     {@code "record"} for the whole event
   * @param value the offending value as text, or null when it is missing
   * @param expected what was expected
   * @param message the message
   */
  public InvalidEventException(String field, String value, String expected, String message) {
    super(message);
    this.field = field;
    this.value = value;
    this.expected = expected;
  }

  /**
   * The field at fault.
   *
   * @return its name
   */
  public String field() {
    return field;
  }

  /**
   * The offending value.
   *
   * @return the value as text, or null when missing
   */
  public String value() {
    return value;
  }

  /**
   * What was expected.
   *
   * @return a description
   */
  public String expected() {
    return expected;
  }
}
