package org.sieveml.kafka;

import org.sieveml.features.InvalidEventException;

/**
 * A record that cannot become an event of its view: undecodable bytes, a missing or wrongly typed
 * field, a key that does not fit the entity. Decoders throw it; the store's own refusals of an event
 * (e.g. an event time beyond its clock-skew tolerance) are the {@link InvalidEventException} it
 * extends. The runner sends such a record to the dead-letter topic with {@link #field()},
 * {@link #value()} and {@link #expected()} in its headers, counts it, and goes on; it never stops the
 * stream.
 *
 * <p>Immutable, thread-safe.
 */
public class PoisonRecordException extends InvalidEventException {

  /** Serialization version. */
  private static final long serialVersionUID = 1L;

  /**
   * A poison record.
   *
   * @param field the field at fault (e.g. {@code amount}), or {@code "record"} for the whole record
   * @param value the offending value as text (shortened by the caller if long), or null
   * @param expected what was expected
   */
  public PoisonRecordException(String field, String value, String expected) {
    super(field, value, expected, "field '" + field + "' is " + (value == null ? "missing" : "'" + value + "'")
        + ", expected " + expected);
  }

  /**
   * A poison record with a message of its own.
   *
   * @param field the field at fault
   * @param value the offending value, or null
   * @param expected what was expected
   * @param message the message
   */
  public PoisonRecordException(String field, String value, String expected, String message) {
    super(field, value, expected, message);
  }
}
