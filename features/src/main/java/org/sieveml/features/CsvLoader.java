package org.sieveml.features;

import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.csv.CsvFormat;
import org.sieveml.core.csv.CsvFrameReader;
import org.sieveml.core.csv.CsvReader;

/**
 * Reads a CSV file of events into a batch for {@link FeatureStore#ingestCsv} (format documented
 * there): the whole file is parsed and checked before anything is returned. Records come from core's
 * {@link CsvReader} and feature values follow {@link CsvFrameReader#parseValue}, the rules every CSV
 * reader of SieveML shares; this class adds the event columns (join keys, timestamps). Stateless,
 * thread-safe.
 */
final class CsvLoader {

  private CsvLoader() {}

  /**
   * Parses a file.
   *
   * @param v the view (for its entity and messages)
   * @param view the view's name
   * @param schema the event schema
   * @param file the file
   * @return the batch
   */
  static EventBatch read(ViewDefinition v, String view, FeatureSchema schema, java.nio.file.Path file) {
    EventBatch.Builder b = EventBatch.builder(schema);
    try (CsvReader csv = CsvFormat.defaults().open(file)) {
      List<String> header = csv.next();
      if (header == null) {
        throw new IllegalArgumentException(csv.source() + ": empty file, expected a header line");
      }
      List<String> keys = v.entity().joinKeys();
      int[] keyCol = new int[keys.size()];
      for (int k = 0; k < keyCol.length; k++) {
        keyCol[k] = requireColumn(csv, header, keys.get(k), "join key of entity '" + v.entity().name() + "'");
      }
      int eventCol = requireColumn(csv, header, FeatureStore.CSV_EVENT_TIME, "event time");
      int createdCol = header.indexOf(FeatureStore.CSV_CREATED_TIME);
      int[] featCol = new int[schema.size()];
      for (int f = 0; f < featCol.length; f++) {
        featCol[f] = requireColumn(csv, header, schema.get(f).name(), "feature of view '" + view + "'");
      }
      List<String> rec;
      while ((rec = csv.next()) != null) {
        String where = csv.source() + " line " + csv.line();
        if (rec.size() != header.size()) {
          throw new IllegalArgumentException(where + ": expected " + header.size() + " fields like the header, got "
              + rec.size());
        }
        EntityKey.Builder kb = EntityKey.builder();
        for (int k = 0; k < keyCol.length; k++) {
          String raw = rec.get(keyCol[k]);
          if (raw.isEmpty()) {
            throw new IllegalArgumentException(where + ": column '" + keys.get(k) + "': a join key must not be empty");
          }
          kb.put(keys.get(k), raw.matches("-?\\d{1,18}") ? (Object) Long.parseLong(raw) : raw);
        }
        long event = parseTime(where, FeatureStore.CSV_EVENT_TIME, rec.get(eventCol));
        long created = createdCol < 0 || rec.get(createdCol).isEmpty() ? event
            : parseTime(where, FeatureStore.CSV_CREATED_TIME, rec.get(createdCol));
        Object[] values = new Object[featCol.length];
        for (int f = 0; f < featCol.length; f++) {
          FeatureSpec spec = schema.get(f);
          try {
            values[f] = CsvFrameReader.parseValue(spec, rec.get(featCol[f]));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": column '" + spec.name() + "': " + e.getMessage(), e);
          }
        }
        try {
          b.add(kb.build(), event, created, values);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
      }
    }
    return b.build();
  }

  private static int requireColumn(CsvReader csv, List<String> header, String name, String what) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(csv.source() + " line " + csv.line() + ": missing column '" + name + "' ("
          + what + "); the header has " + header);
    }
    return i;
  }

  private static long parseTime(String where, String column, String raw) {
    try {
      if (raw.matches("-?\\d+")) {
        return Long.parseLong(raw);
      }
      return java.time.Instant.parse(raw).toEpochMilli();
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(where + ": column '" + column + "': value '" + raw
          + "' is not epoch milliseconds or an ISO-8601 instant");
    }
  }
}
