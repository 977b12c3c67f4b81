package org.sieveml.kafka;

/**
 * A record that cannot become an event of its view: undecodable bytes, a missing or wrongly typed
 * field, a key that does not fit the entity, an event time beyond the store's clock-skew tolerance.
 * The runner sends such a record to the dead-letter topic with {@link #field()}, {@link #value()} and
 * {@link #expected()} in its headers, counts it, and goes on; it never stops the stream.
 *
 * <p>Immutable, thread-safe.
 */
public class PoisonRecordException extends IllegalArgumentException {

  /** Serialization version. */
  private static final long serialVersionUID = 1L;

  /** The field at fault. */
  private final String field;
  /** The offending value, or null. */
  private final String value;
  /** What was expected. */
  private final String expected;

  /**
   * A poison record.
   *
   * @param field the field at fault (e.g. {@code amount}), or {@code "record"} for the whole record
   * @param value the offending value as text (shortened by the caller if long), or null
   * @param expected what was expected
   */
  public PoisonRecordException(String field, String value, String expected) {
    super("field '" + field + "' is " + (value == null ? "missing" : "'" + value + "'") + ", expected " + expected);
    this.field = field;
    this.value = value;
    this.expected = expected;
  }

  /**
   * A poison record with a message of its own (e.g. the store's check).
   *
   * @param field the field at fault
   * @param value the offending value, or null
   * @param expected what was expected
   * @param message the message
   */
  public PoisonRecordException(String field, String value, String expected, String message) {
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
