package org.sieveml.kafka;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.ViewDefinition;
import org.sieveml.kafka.internal.Schemas;

/**
 * Decodes records whose value is one JSON object, values by field name: the entity's join keys (an
 * integral number becomes a {@code Long} key, a string a {@code String} key), the event time (a field
 * holding epoch milliseconds or an ISO-8601 instant, or the record's timestamp), optionally a created
 * time, and the view's event fields by name. Types are checked: a DOUBLE takes any number, a LONG an
 * integral number, a BOOLEAN {@code true}/{@code false}, a STRING a string, an EMBEDDING an array of
 * numbers of its dimension; {@code null} or an absent field is a missing value. Other fields are
 * ignored. Anything else is a {@link PoisonRecordException} naming the field, the value and what was
 * expected.
 *
 * <pre>{@code
 * JsonDecoder d = JsonDecoder.forView(registry.view("card_txn")).eventTimeField("ts").build();
 * // {"card_id": 4711, "ts": "2024-05-01T12:00:00Z", "amount": 12.5}
 * }</pre>
 *
 * <p>Uses Jackson's streaming parser (jackson-core only: no data binding, no reflection), with input
 * limits: at most {@value #MAX_DEPTH} levels of nesting (ignored fields may nest) and strings of at
 * most 1 MiB. Immutable and thread-safe.
 */
public final class JsonDecoder implements RecordDecoder {

  /** The deepest nesting accepted in a record (ignored fields may hold objects and arrays). */
  public static final int MAX_DEPTH = 32;

  private static final JsonFactory JSON = JsonFactory.builder()
      .recyclerPool(com.fasterxml.jackson.core.util.JsonRecyclerPools.sharedConcurrentDequePool())
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxStringLength(1 << 20)
          .maxNumberLength(100).build())
      .build();

  private final String view;
  private final List<String> joinKeys;
  private final FeatureSchema schema;
  private final Map<String, Integer> featureIndex = new HashMap<>();
  private final String eventTimeField;
  private final String createdTimeField;

  private JsonDecoder(Builder b) {
    this.view = b.view.name();
    this.joinKeys = b.view.entity().joinKeys();
    this.schema = Schemas.eventSchema(b.view);
    for (int i = 0; i < schema.size(); i++) {
      featureIndex.put(schema.get(i).name(), i);
    }
    this.eventTimeField = b.eventTimeField;
    this.createdTimeField = b.createdTimeField;
  }

  /**
   * A builder for a view's records.
   *
   * @param view a feature view or aggregation view
   * @return a builder (event time from the field {@code event_timestamp})
   * @throws IllegalArgumentException for an on-demand view
   */
  public static Builder forView(ViewDefinition view) {
    Schemas.eventSchema(view);
    return new Builder(view);
  }

  @Override
  public DecodedEvent decode(ConsumerRecord<byte[], byte[]> record) {
    byte[] bytes = record.value();
    if (bytes == null) {
      throw new PoisonRecordException("record", null, "a JSON object (the record has no value)");
    }
    Object[] keys = new Object[joinKeys.size()];
    Object[] values = new Object[schema.size()];
    boolean[] seen = new boolean[schema.size()];
    boolean[] keySeen = new boolean[joinKeys.size()];
    Long event = eventTimeField == null ? Long.valueOf(record.timestamp()) : null;
    Long created = null;
    try (JsonParser p = JSON.createParser(bytes)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new PoisonRecordException("record", preview(bytes), "a JSON object");
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken v = p.nextToken();
        int k = joinKeys.indexOf(name);
        if (k >= 0) {
          if (keySeen[k]) {
            throw new PoisonRecordException(name, null, "one value (the field appears twice)",
                "join key '" + name + "' appears twice in a record for view '" + view + "'");
          }
          keySeen[k] = true;
          keys[k] = keyValue(name, p, v);
          continue;
        }
        if (name.equals(eventTimeField)) {
          if (event != null) {
            throw new PoisonRecordException(name, null, "one value (the field appears twice)",
                "field '" + name + "' appears twice in a record for view '" + view + "'");
          }
          event = time(name, p, v);
          continue;
        }
        if (name.equals(createdTimeField)) {
          if (created != null) {
            throw new PoisonRecordException(name, null, "one value (the field appears twice)",
                "field '" + name + "' appears twice in a record for view '" + view + "'");
          }
          created = time(name, p, v);
          continue;
        }
        Integer f = featureIndex.get(name);
        if (f == null) {
          p.skipChildren(); // not ours
          continue;
        }
        if (seen[f]) {
          throw new PoisonRecordException(name, null, "one value (the field appears twice)",
              "field '" + name + "' appears twice in a record for view '" + view + "'");
        }
        seen[f] = true;
        values[f] = value(schema.get(f), p, v);
      }
      if (t != JsonToken.END_OBJECT) {
        throw new PoisonRecordException("record", preview(bytes), "a JSON object with fields");
      }
      if (p.nextToken() != null) {
        throw new PoisonRecordException("record", preview(bytes), "one JSON object and nothing after it");
      }
    } catch (JsonParseException e) {
      throw new PoisonRecordException("record", preview(bytes), "valid JSON (" + e.getOriginalMessage() + ")");
    } catch (IOException e) {
      throw new PoisonRecordException("record", preview(bytes), "valid JSON (" + e.getMessage() + ")");
    }
    for (int k = 0; k < keys.length; k++) {
      if (keys[k] == null) {
        throw new PoisonRecordException(joinKeys.get(k), null, "a join key value (an integer or a string)");
      }
    }
    if (event == null) {
      throw new PoisonRecordException(eventTimeField, null, "the event time (epoch milliseconds or an ISO-8601 instant)");
    }
    EntityKey key;
    try {
      if (keys.length == 1) {
        key = keys[0] instanceof Long l ? EntityKey.of(joinKeys.get(0), l) : EntityKey.of(joinKeys.get(0),
            (String) keys[0]);
      } else {
        EntityKey.Builder kb = EntityKey.builder();
        for (int k = 0; k < keys.length; k++) {
          kb.put(joinKeys.get(k), keys[k]);
        }
        key = kb.build();
      }
    } catch (IllegalArgumentException e) {
      throw new PoisonRecordException(joinKeys.get(0), Schemas.shorten(Arrays.toString(keys)), "a valid entity key ("
          + e.getMessage() + ")");
    }
    FeatureVector.Builder vb = FeatureVector.builder(schema);
    for (int f = 0; f < values.length; f++) {
      if (values[f] != null) {
        try {
          vb.set(schema.get(f).name(), values[f]);
        } catch (IllegalArgumentException e) {
          throw new PoisonRecordException(schema.get(f).name(), Schemas.shorten(String.valueOf(values[f])),
              "a " + schema.get(f).type() + " (" + e.getMessage() + ")");
        }
      }
    }
    return new DecodedEvent(key, event, created == null ? event : created, vb.build());
  }

  private static Object keyValue(String name, JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT) {
      if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
        throw new PoisonRecordException(name, Schemas.shorten(p.getText()), "an integer key within 64 bits");
      }
      return p.getLongValue();
    }
    if (v == JsonToken.VALUE_STRING) {
      return Schemas.wellFormed(name, p.getText());
    }
    throw new PoisonRecordException(name, text(p, v), "a join key value (an integer or a string)");
  }

  private static long time(String name, JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
      return p.getLongValue();
    }
    if (v == JsonToken.VALUE_STRING) {
      return Schemas.time(name, p.getText());
    }
    throw new PoisonRecordException(name, text(p, v), "epoch milliseconds or an ISO-8601 instant");
  }

  private static Object value(FeatureSpec spec, JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.VALUE_NULL) {
      return null;
    }
    String name = spec.name();
    switch (spec.type()) {
      case DOUBLE:
        if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
          double d = p.getDoubleValue();
          if (Double.isInfinite(d)) {
            throw new PoisonRecordException(name, Schemas.shorten(p.getText()), "a finite DOUBLE");
          }
          return d;
        }
        throw new PoisonRecordException(name, text(p, v), "a number (DOUBLE)");
      case LONG:
        if (v == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
          return p.getLongValue();
        }
        throw new PoisonRecordException(name, text(p, v), "an integer within 64 bits (LONG)");
      case BOOLEAN:
        if (v == JsonToken.VALUE_TRUE || v == JsonToken.VALUE_FALSE) {
          return v == JsonToken.VALUE_TRUE;
        }
        throw new PoisonRecordException(name, text(p, v), "true or false (BOOLEAN)");
      case STRING:
        if (v == JsonToken.VALUE_STRING) {
          return Schemas.wellFormed(name, p.getText());
        }
        throw new PoisonRecordException(name, text(p, v), "a string (STRING)");
      case EMBEDDING: {
        if (v != JsonToken.START_ARRAY) {
          throw new PoisonRecordException(name, text(p, v), "an array of " + spec.dimension() + " numbers (EMBEDDING)");
        }
        float[] out = new float[spec.dimension()];
        int n = 0;
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          if ((e != JsonToken.VALUE_NUMBER_INT && e != JsonToken.VALUE_NUMBER_FLOAT) || n >= out.length) {
            throw new PoisonRecordException(name, n >= out.length ? "more than " + out.length + " components"
                : text(p, e), "an array of " + spec.dimension() + " numbers (EMBEDDING)");
          }
          out[n++] = p.getFloatValue();
          if (!Float.isFinite(out[n - 1])) {
            throw new PoisonRecordException(name, p.getText(), "finite components");
          }
        }
        if (n != out.length) {
          throw new PoisonRecordException(name, n + " components", "an array of " + spec.dimension()
              + " numbers (EMBEDDING)");
        }
        return out;
      }
      default:
        throw new IllegalStateException("unknown type " + spec.type());
    }
  }

  private static String text(JsonParser p, JsonToken v) throws IOException {
    if (v == JsonToken.START_OBJECT || v == JsonToken.START_ARRAY) {
      return v == JsonToken.START_OBJECT ? "an object" : "an array";
    }
    return Schemas.shorten(p.getText());
  }

  private static String preview(byte[] b) {
    return Schemas.shorten(new String(b, 0, Math.min(b.length, 400), java.nio.charset.StandardCharsets.UTF_8));
  }

  /** Configures a {@link JsonDecoder}. Not thread-safe. */
  public static final class Builder {
    private final ViewDefinition view;
    private String eventTimeField = "event_timestamp";
    private String createdTimeField;

    private Builder(ViewDefinition view) {
      this.view = view;
    }

    /**
     * Takes the event time from a field (epoch milliseconds or an ISO-8601 instant).
     *
     * @param field the field's name (default {@code event_timestamp})
     * @return this builder
     */
    public Builder eventTimeField(String field) {
      if (field == null || field.isEmpty()) {
        throw new IllegalArgumentException("eventTimeField must be a field name, was " + field);
      }
      this.eventTimeField = field;
      return this;
    }

    /**
     * Takes the event time from the record's timestamp (as the producer or the broker set it).
     *
     * @return this builder
     */
    public Builder eventTimeFromRecordTimestamp() {
      this.eventTimeField = null;
      return this;
    }

    /**
     * Takes the created time from a field (default: the created time is the event time).
     *
     * @param field the field's name
     * @return this builder
     */
    public Builder createdTimeField(String field) {
      this.createdTimeField = field;
      return this;
    }

    /**
     * Builds the decoder.
     *
     * @return the decoder
     */
    public JsonDecoder build() {
      return new JsonDecoder(this);
    }
  }
}
