package org.sieveml.kafka;

import java.util.Objects;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;

/**
 * One event decoded from a record: the entity key, event and created time (epoch milliseconds) and the
 * values of the view's event schema (a feature view's schema, an aggregation view's input schema).
 *
 * @param key the entity key
 * @param eventTime when the event happened
 * @param createdTime when the row was created (often the event time)
 * @param values the values
 */
public record DecodedEvent(EntityKey key, long eventTime, long createdTime, FeatureVector values) {
  /**
   * Checks for nulls.
   *
   * @param key the entity key
   * @param eventTime when the event happened
   * @param createdTime when the row was created
   * @param values the values
   */
  public DecodedEvent {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(values, "values");
  }
}
