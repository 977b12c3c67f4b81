package org.sieveml.features;

import java.util.List;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * Reads a CSV file of events into a batch for {@link FeatureStore#ingestCsv} (format documented
 * there): the whole file is parsed and checked before anything is returned. Stateless, thread-safe.
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
    try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(file,
        java.nio.charset.StandardCharsets.UTF_8)) {
      org.sieveml.features.internal.Csv csv = new org.sieveml.features.internal.Csv(r);
      List<String> header = next(csv, file);
      if (header == null) {
        throw new IllegalArgumentException(file + ": empty file, expected a header line");
      }
      List<String> keys = v.entity().joinKeys();
      int[] keyCol = new int[keys.size()];
      for (int k = 0; k < keyCol.length; k++) {
        keyCol[k] = requireColumn(file, header, keys.get(k), "join key of entity '" + v.entity().name() + "'");
      }
      int eventCol = requireColumn(file, header, FeatureStore.CSV_EVENT_TIME, "event time");
      int createdCol = header.indexOf(FeatureStore.CSV_CREATED_TIME);
      int[] featCol = new int[schema.size()];
      for (int f = 0; f < featCol.length; f++) {
        featCol[f] = requireColumn(file, header, schema.get(f).name(), "feature of view '" + view + "'");
      }
      List<String> rec;
      while ((rec = next(csv, file)) != null) {
        String where = file.getFileName() + " line " + csv.line();
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
          values[f] = parseValue(where, schema.get(f), rec.get(featCol[f]));
        }
        try {
          b.add(kb.build(), event, created, values);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return b.build();
  }

  /** The next record; bad text (an unclosed quote, bytes that are not UTF-8) is refused naming the line. */
  private static List<String> next(org.sieveml.features.internal.Csv csv, java.nio.file.Path file)
      throws java.io.IOException {
    try {
      return csv.next();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file.getFileName() + " " + e.getMessage(), e);
    } catch (java.nio.charset.CharacterCodingException e) {
      // the reader decodes ahead of the lines it returns: find the bytes again to name their line
      throw new IllegalArgumentException(file.getFileName() + " " + firstBadUtf8(file) + ": bytes that are not "
          + "UTF-8, expected a UTF-8 file", e);
    }
  }

  /** Where a file's first bytes that are not UTF-8 are, as "line L (byte B)"; read only on that error. */
  private static String firstBadUtf8(java.nio.file.Path file) throws java.io.IOException {
    java.nio.charset.CharsetDecoder d = java.nio.charset.StandardCharsets.UTF_8.newDecoder(); // reports errors
    java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(1 << 13);
    java.nio.CharBuffer out = java.nio.CharBuffer.allocate(1 << 13);
    long offset = 0;
    long line = 1;
    try (java.nio.channels.ReadableByteChannel ch = java.nio.file.Files.newByteChannel(file)) {
      boolean end = false;
      while (true) {
        end = end || ch.read(in) < 0;
        in.flip();
        int from = in.position();
        java.nio.charset.CoderResult r = d.decode(in, out, end);
        for (int i = from; i < in.position(); i++) {
          if (in.get(i) == '\n') {
            line++;
          }
        }
        offset += in.position() - from;
        if (r.isError()) {
          return "line " + line + " (byte " + offset + ")";
        }
        if (end && !in.hasRemaining()) {
          return "line " + line + " (byte " + offset + ")"; // not found again: the file changed meanwhile
        }
        out.clear();
        in.compact();
      }
    }
  }

  private static int requireColumn(java.nio.file.Path file, List<String> header, String name, String what) {
    int i = header.indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException(file.getFileName() + " line 1: missing column '" + name + "' (" + what
          + "); the header has " + header);
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

  private static Object parseValue(String where, FeatureSpec spec, String raw) {
    if (raw.isEmpty()) {
      return null;
    }
    try {
      switch (spec.type()) {
        case DOUBLE:
          double d = Double.parseDouble(raw);
          if (!Double.isFinite(d)) {
            throw new IllegalArgumentException(where + ": column '" + spec.name() + "': value '" + raw
                + "' is not a finite DOUBLE (leave the field empty for a missing value)");
          }
          return d;
        case LONG:
          return Long.parseLong(raw);
        case BOOLEAN:
          if (raw.equalsIgnoreCase("true") || raw.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(raw);
          }
          throw new IllegalArgumentException();
        case STRING:
          return raw;
        default:
          String[] parts = raw.trim().split("\\s+");
          if (parts.length != spec.dimension()) {
            throw new IllegalArgumentException();
          }
          float[] e = new float[parts.length];
          for (int i = 0; i < parts.length; i++) {
            e[i] = Float.parseFloat(parts[i]);
          }
          return e;
      }
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith(where)) {
        throw e;
      }
      String expected = spec.type() == FeatureType.EMBEDDING ? spec.dimension() + " space-separated floats"
          : spec.type() == FeatureType.BOOLEAN ? "true or false" : "a " + spec.type();
      throw new IllegalArgumentException(where + ": column '" + spec.name() + "': value '" + raw + "' is not "
          + expected);
    }
  }

}
