package org.sieveml.kafka;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.io.StringReader;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.csv.CsvFormat;
import org.sieveml.core.csv.CsvFrameReader;
import org.sieveml.core.csv.CsvReader;
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

  /** A field's value by core's CSV value rules ({@link CsvFrameReader#parseValue}); a bad one is poison. */
  private static Object value(FeatureSpec spec, String v) {
    try {
      return CsvFrameReader.parseValue(spec, v);
    } catch (IllegalArgumentException e) {
      String m = e.getMessage() == null ? "" : e.getMessage();
      int at = m.indexOf("is not ");
      throw new PoisonRecordException(spec.name(), Schemas.shorten(v), at >= 0 ? m.substring(at + 7) : m);
    }
  }

  /**
   * Splits one record with core's CSV reader (RFC 4180: quotes, doubled quotes, line breaks inside quotes;
   * spaces around unquoted fields trimmed; a trailing line break dropped), the parser every SieveML reader of
   * CSV uses. A record holding more than one CSV line is poison.
   */
  static List<String> split(String line) {
    List<String> first;
    boolean more;
    try (CsvReader r = CsvFormat.defaults().open(new StringReader(line), "record")) {
      first = r.next();
      more = first != null && r.next() != null;
    } catch (IllegalArgumentException e) {
      throw new PoisonRecordException("record", Schemas.shorten(line), "one CSV line (" + e.getMessage() + ")");
    }
    if (more) {
      throw new PoisonRecordException("record", Schemas.shorten(line), "one CSV line, found a line break outside "
          + "quotes");
    }
    return first == null ? List.of("") : first;
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
