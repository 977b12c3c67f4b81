package org.sieveml.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.ViewDefinition;
import org.sieveml.kafka.internal.Schemas;

/**
 * Decodes records whose value is one CSV line (RFC 4180 quoting, UTF-8) with columns in a fixed order
 * the builder names: the entity's join keys, the event time column (epoch milliseconds or an ISO-8601
 * instant) unless the record timestamp is used, optionally a created time column, and the view's
 * fields; a column named {@code "-"} is ignored. Values as {@code FeatureStore.ingestCsv} reads them:
 * decimal numbers, {@code true}/{@code false}, text, embeddings as space-separated floats; an empty
 * field is a missing value; an integral join key becomes a {@code Long} key, any other a {@code String}.
 * A line with another number of fields, or a value of the wrong type, is a {@link PoisonRecordException}.
 *
 * <pre>{@code
 * CsvDecoder d = CsvDecoder.forView(registry.view("card_txn"))
 *     .columns("card_id", "event_timestamp", "amount").build();
 * // 4711,2024-05-01T12:00:00Z,12.5
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class CsvDecoder implements RecordDecoder {

  private final String view;
  private final List<String> joinKeys;
  private final FeatureSchema schema;
  private final String[] columns;
  private final int[] role; // -1 - k: join key k; 0..: feature; EVENT, CREATED, IGNORED
  private final boolean recordTime;

  private static final int EVENT = -1_000_000;
  private static final int CREATED = -1_000_001;
  private static final int IGNORED = -1_000_002;

  private CsvDecoder(Builder b) {
    this.view = b.view.name();
    this.joinKeys = b.view.entity().joinKeys();
    this.schema = Schemas.eventSchema(b.view);
    this.columns = b.columns;
    this.recordTime = b.eventTimeColumn == null;
    this.role = new int[columns.length];
    boolean[] keySeen = new boolean[joinKeys.size()];
    boolean eventSeen = false;
    for (int c = 0; c < columns.length; c++) {
      String n = columns[c];
      int k = joinKeys.indexOf(n);
      if (k >= 0) {
        keySeen[k] = true;
        role[c] = -1 - k;
      } else if (n.equals(b.eventTimeColumn)) {
        role[c] = EVENT;
        eventSeen = true;
      } else if (n.equals(b.createdTimeColumn)) {
        role[c] = CREATED;
      } else if (n.equals("-")) {
        role[c] = IGNORED;
      } else if (schema.indexOf(n) >= 0) {
        role[c] = schema.indexOf(n);
      } else {
        throw new IllegalArgumentException("column '" + n + "' is neither a join key " + joinKeys + ", the time columns"
            + " nor a field of view '" + view + "' " + schema.names() + " (name it \"-\" to ignore it)");
      }
    }
    for (int k = 0; k < keySeen.length; k++) {
      if (!keySeen[k]) {
        throw new IllegalArgumentException("columns " + List.of(columns) + " lack join key '" + joinKeys.get(k) + "'");
      }
    }
    if (!recordTime && !eventSeen) {
      throw new IllegalArgumentException("columns " + List.of(columns) + " lack the event time column '"
          + b.eventTimeColumn + "' (or use eventTimeFromRecordTimestamp())");
    }
  }

  /**
   * A builder for a view's records.
   *
   * @param view a feature view or aggregation view
   * @return a builder (event time from the column {@code event_timestamp})
   */
  public static Builder forView(ViewDefinition view) {
    Schemas.eventSchema(view);
    return new Builder(view);
  }

  @Override
  public DecodedEvent decode(ConsumerRecord<byte[], byte[]> record) {
    byte[] bytes = record.value();
    if (bytes == null) {
      throw new PoisonRecordException("record", null, "a CSV line (the record has no value)");
    }
    String line;
    try {
      line = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
    } catch (CharacterCodingException e) {
      throw new PoisonRecordException("record", null, "UTF-8 text");
    }
    List<String> fields = split(line);
    if (fields.size() != columns.length) {
      throw new PoisonRecordException("record", Schemas.shorten(line), columns.length + " fields " + List.of(columns)
          + ", found " + fields.size());
    }
    EntityKey.Builder kb = EntityKey.builder();
    FeatureVector.Builder vb = FeatureVector.builder(schema);
    long event = record.timestamp();
    Long created = null;
    for (int c = 0; c < columns.length; c++) {
      String v = fields.get(c);
      int r = role[c];
      if (r == IGNORED) {
        continue;
      }
      if (r == EVENT || r == CREATED) {
        if (v.isEmpty()) {
          throw new PoisonRecordException(columns[c], null, "a time (epoch milliseconds or an ISO-8601 instant)");
        }
        long t = Schemas.time(columns[c], v);
        if (r == EVENT) {
          event = t;
        } else {
          created = t;
        }
      } else if (r < 0) {
        if (v.isEmpty()) {
          throw new PoisonRecordException(columns[c], null, "a join key value");
        }
        Object key = v;
        if (v.matches("-?[0-9]{1,18}")) {
          key = Long.parseLong(v);
        }
        try {
          kb.put(columns[c], key);
        } catch (IllegalArgumentException e) {
          throw new PoisonRecordException(columns[c], Schemas.shorten(v), "a valid join key (" + e.getMessage() + ")");
        }
      } else if (!v.isEmpty()) {
        vb.set(columns[c], value(schema.get(r), v));
      }
    }
    EntityKey key;
    try {
      key = kb.build();
    } catch (IllegalArgumentException e) {
      throw new PoisonRecordException(joinKeys.get(0), null, "a valid entity key (" + e.getMessage() + ")");
    }
    return new DecodedEvent(key, event, created == null ? event : created, vb.build());
  }

  private static Object value(FeatureSpec spec, String v) {
    String name = spec.name();
    switch (spec.type()) {
      case DOUBLE:
        try {
          double d = Double.parseDouble(v.trim());
          if (Double.isInfinite(d) || v.trim().matches("(?i)[+-]?(nan|infinity).*")) {
            throw new NumberFormatException();
          }
          return d;
        } catch (NumberFormatException e) {
          throw new PoisonRecordException(name, Schemas.shorten(v), "a finite decimal number (DOUBLE)");
        }
      case LONG:
        try {
          return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
          throw new PoisonRecordException(name, Schemas.shorten(v), "an integer within 64 bits (LONG)");
        }
      case BOOLEAN:
        if (v.equals("true") || v.equals("false")) {
          return Boolean.parseBoolean(v);
        }
        throw new PoisonRecordException(name, Schemas.shorten(v), "true or false (BOOLEAN)");
      case STRING:
        return v;
      case EMBEDDING: {
        String[] parts = v.trim().split(" +");
        if (parts.length != spec.dimension()) {
          throw new PoisonRecordException(name, Schemas.shorten(v), spec.dimension()
              + " space-separated numbers (EMBEDDING), found " + parts.length);
        }
        float[] out = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
          try {
            out[i] = Float.parseFloat(parts[i]);
          } catch (NumberFormatException e) {
            out[i] = Float.NaN;
          }
          if (!Float.isFinite(out[i])) {
            throw new PoisonRecordException(name, Schemas.shorten(parts[i]), "finite numbers (EMBEDDING component " + i
                + ")");
          }
        }
        return out;
      }
      default:
        throw new IllegalStateException("unknown type " + spec.type());
    }
  }

  /** Splits one RFC 4180 line (quotes, doubled quotes inside); a trailing CR or LF is dropped. */
  static List<String> split(String line) {
    int end = line.length();
    while (end > 0 && (line.charAt(end - 1) == '\n' || line.charAt(end - 1) == '\r')) {
      end--;
    }
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    for (int i = 0; i < end; i++) {
      char ch = line.charAt(i);
      if (quoted) {
        if (ch == '"') {
          if (i + 1 < end && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else {
            quoted = false;
          }
        } else {
          cur.append(ch);
        }
      } else if (ch == ',') {
        out.add(cur.toString());
        cur.setLength(0);
        wasQuoted = false;
      } else if (ch == '"' && cur.length() == 0 && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
      } else if (wasQuoted) {
        throw new PoisonRecordException("record", Schemas.shorten(line), "nothing between a closing quote and the next"
            + " comma");
      } else {
        cur.append(ch);
      }
    }
    if (quoted) {
      throw new PoisonRecordException("record", Schemas.shorten(line), "a closing quote");
    }
    out.add(cur.toString());
    return out;
  }

  /** Configures a {@link CsvDecoder}. Not thread-safe. */
  public static final class Builder {
    private final ViewDefinition view;
    private String[] columns;
    private String eventTimeColumn = "event_timestamp";
    private String createdTimeColumn;

    private Builder(ViewDefinition view) {
      this.view = view;
    }

    /**
     * The columns of a line, in order.
     *
     * @param names join keys, time columns, fields, or {@code "-"} for a column to ignore
     * @return this builder
     */
    public Builder columns(String... names) {
      if (names == null || names.length == 0) {
        throw new IllegalArgumentException("columns must name at least the join keys and the event time");
      }
      this.columns = names.clone();
      return this;
    }

    /**
     * The event time column's name (default {@code event_timestamp}).
     *
     * @param name the name
     * @return this builder
     */
    public Builder eventTimeColumn(String name) {
      this.eventTimeColumn = name;
      return this;
    }

    /**
     * Takes the event time from the record's timestamp instead of a column.
     *
     * @return this builder
     */
    public Builder eventTimeFromRecordTimestamp() {
      this.eventTimeColumn = null;
      return this;
    }

    /**
     * A created time column (default: the created time is the event time).
     *
     * @param name the name
     * @return this builder
     */
    public Builder createdTimeColumn(String name) {
      this.createdTimeColumn = name;
      return this;
    }

    /**
     * Builds the decoder.
     *
     * @return the decoder
     * @throws IllegalArgumentException when the columns lack a join key or the event time, or name an
     *     unknown field
     */
    public CsvDecoder build() {
      if (columns == null) {
        throw new IllegalArgumentException("columns(...) must be set");
      }
      return new CsvDecoder(this);
    }
  }
}
