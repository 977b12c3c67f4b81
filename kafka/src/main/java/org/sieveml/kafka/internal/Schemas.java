package org.sieveml.kafka.internal;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.sieveml.core.FeatureSchema;
import org.sieveml.features.AggregationView;
import org.sieveml.features.FeatureView;
import org.sieveml.features.ViewDefinition;
import org.sieveml.kafka.PoisonRecordException;

/** What the decoders share: a view's event schema and how text becomes a time. Not part of the API. */
public final class Schemas {

  private Schemas() {}

  /**
   * The schema of a view's events: a feature view's schema, an aggregation view's input schema.
   *
   * @param view the view
   * @return the schema
   * @throws IllegalArgumentException for an on-demand view (nothing is stored for it)
   */
  public static FeatureSchema eventSchema(ViewDefinition view) {
    if (view instanceof FeatureView fv) {
      return fv.schema();
    }
    if (view instanceof AggregationView av) {
      return av.inputSchema();
    }
    throw new IllegalArgumentException("view '" + (view == null ? null : view.name())
        + "' is an on-demand view (or null): only feature views and aggregation views take events");
  }

  /**
   * Parses a time: epoch milliseconds (an integer) or an ISO-8601 instant such as
   * {@code 2024-05-01T12:00:00Z}.
   *
   * @param field the field's name, for the error
   * @param text the text
   * @return epoch milliseconds
   * @throws PoisonRecordException when it is neither
   */
  public static long time(String field, String text) {
    String t = text.trim();
    if (!t.isEmpty() && (Character.isDigit(t.charAt(0)) || t.charAt(0) == '-') && t.chars().skip(1)
        .allMatch(Character::isDigit)) {
      try {
        return Long.parseLong(t);
      } catch (NumberFormatException e) {
        throw new PoisonRecordException(field, shorten(text),
            "epoch milliseconds or an ISO-8601 instant");
      }
    }
    try {
      return Instant.parse(t).toEpochMilli();
    } catch (DateTimeParseException | ArithmeticException e) {
      throw new PoisonRecordException(field, shorten(text),
          "epoch milliseconds or an ISO-8601 instant such as 2024-05-01T12:00:00Z");
    }
  }

  /**
   * Refuses text with an unpaired surrogate (a JSON {@code \\uD800} escape): it has no UTF-8 form, and
   * stores that encode keys as UTF-8 would merge it with another key.
   *
   * @param field the field, for the error
   * @param s the text
   * @return the text
   * @throws PoisonRecordException on an unpaired surrogate
   */
  public static String wellFormed(String field, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new PoisonRecordException(field, shorten(s.replace(c, '?')), "text without unpaired surrogates (\\u"
            + Integer.toHexString(c) + " at " + i + ")");
      }
    }
    return s;
  }

  /**
   * Shortens a value for a message or a header: at most 200 characters.
   *
   * @param s the value, or null
   * @return it, shortened
   */
  public static String shorten(String s) {
    if (s == null || s.length() <= 200) {
      return s;
    }
    return s.substring(0, 197) + "...";
  }
}
