package org.sieveml.core.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;

/**
 * The served-log CSV format, shared by {@link CsvServedRequestSink} (writes) and {@link ServedLogReader}
 * (reads); see {@link CsvServedRequestSink} for the layout. Not public API.
 */
final class ServedLogFormat {
  private ServedLogFormat() {}

  static final String MAGIC = "sieveml-served-log";
  static final int VERSION = 1;

  static final String[] FIXED = {"request_id", "served_at_ms", "read_time_ms", "entity", "k", "pipeline",
      "feature_source", "scorer", "scorer_version", "degraded", "candidates", "row", "item_id", "source",
      "also_from", "retrieval_score", "key", "score", "rank", "served_score"};
  /** Columns 0 .. REQUEST_COLUMNS-1 hold the request's fields, the same on each of its rows. */
  static final int REQUEST_COLUMNS = 11;
  static final int ROW = 11;
  static final int ITEM_ID = 12;
  static final int SOURCE = 13;
  static final int ALSO_FROM = 14;
  static final int RETRIEVAL_SCORE = 15;
  static final int KEY = 16;
  static final int SCORE = 17;
  static final int RANK = 18;
  static final int SERVED_SCORE = 19;
  static final String CRC = "crc32c";
  static final String STATUS_SUFFIX = ":status";
  static final String MISSING = ";missing";

  /** The header column of a feature's value: {@code name:TYPE}, {@code name:EMBEDDING[d]} for embeddings. */
  static String valueColumn(FeatureSpec spec) {
    return spec.name() + ":" + (spec.type() == FeatureType.EMBEDDING ? "EMBEDDING[" + spec.dimension() + "]"
        : spec.type().name());
  }

  /** A double as the shortest decimal that reads back to the same bits, or Java's hexadecimal form. */
  static String formatDouble(double d) {
    String s = Double.toString(d);
    if (Double.doubleToRawLongBits(Double.parseDouble(s)) != Double.doubleToRawLongBits(d)) {
      s = Double.toHexString(d);
    }
    return s;
  }

  /** A float as the shortest decimal that reads back to the same bits, or Java's hexadecimal form. */
  static String formatFloat(float f) {
    String s = Float.toString(f);
    if (Float.floatToRawIntBits(Float.parseFloat(s)) != Float.floatToRawIntBits(f)) {
      s = Float.toHexString(f);
    }
    return s;
  }

  /**
   * An entity key: join keys in name order separated by {@code |}, each {@code name=value}; a long value
   * in decimal, a string value in double quotes with {@code \} and {@code |} escaped by a backslash.
   */
  static void appendKey(StringBuilder sb, EntityKey key) {
    for (int i = 0; i < key.size(); i++) {
      if (i > 0) {
        sb.append('|');
      }
      sb.append(key.names().get(i)).append('=');
      Object v = key.value(i);
      if (v instanceof Long) {
        sb.append((long) (Long) v);
      } else {
        sb.append('"');
        appendEscaped(sb, (String) v);
        sb.append('"');
      }
    }
  }

  static void appendEscaped(StringBuilder sb, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' || c == '|') {
        sb.append('\\');
      }
      sb.append(c);
    }
  }

  /** Splits on unescaped {@code |} and removes the escapes; refuses any escape but {@code \\} and {@code \|}. */
  static List<String> splitEscaped(String s, String what) {
    List<String> out = new ArrayList<>(4);
    StringBuilder cur = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') {
        if (i + 1 >= s.length() || (s.charAt(i + 1) != '\\' && s.charAt(i + 1) != '|')) {
          throw new IllegalArgumentException(what + " '" + s + "' has a backslash at position " + i
              + " that escapes neither \\ nor |");
        }
        cur.append(s.charAt(++i));
      } else if (c == '|') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }

  static EntityKey parseKey(String s, String what) {
    List<String> parts = splitEscaped(s, what);
    EntityKey.Builder b = EntityKey.builder();
    for (String p : parts) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(what + " '" + s + "' has a join key without 'name=': '" + p + "'");
      }
      String name = p.substring(0, eq);
      String v = p.substring(eq + 1);
      if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
        b.put(name, v.substring(1, v.length() - 1));
      } else {
        b.put(name, parseLong(v, what + " '" + s + "' join key '" + name + "'"));
      }
    }
    return b.build();
  }

  static long parseLong(String v, String what) {
    if (v.isEmpty() || v.length() > 20) {
      throw new IllegalArgumentException(what + ": value '" + v + "' is not a 64-bit decimal integer");
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": value '" + v + "' is not a 64-bit decimal integer");
    }
  }

  /** A double as {@link #formatDouble} writes it (decimal, hexadecimal, or an infinity); never NaN. */
  static double parseDouble(String v, String what) {
    if (!isNumberText(v)) {
      throw new IllegalArgumentException(what + ": value '" + v + "' is not a number (a decimal such as -1.5E-3, "
          + "a hexadecimal such as 0x1.8p1, or Infinity)");
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": value '" + v + "' is not a number (a decimal such as -1.5E-3, "
          + "a hexadecimal such as 0x1.8p1, or Infinity)");
    }
  }

  static float parseFloat(String v, String what) {
    if (!isNumberText(v)) {
      throw new IllegalArgumentException(what + ": value '" + v + "' is not a float");
    }
    try {
      return Float.parseFloat(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(what + ": value '" + v + "' is not a float");
    }
  }

  /** What the writer produces: no blanks, no type suffix (d, f), no NaN; at most 64 characters. */
  private static boolean isNumberText(String v) {
    if (v.isEmpty() || v.length() > 64) {
      return false;
    }
    if (v.equals("Infinity") || v.equals("-Infinity")) {
      return true;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      boolean ok = (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'E' || c == 'e' || c == 'x'
          || c == 'X' || c == 'p' || c == 'P' || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!ok) {
        return false;
      }
    }
    char last = v.charAt(v.length() - 1);
    boolean hex = v.indexOf('x') >= 0 || v.indexOf('X') >= 0;
    // Double.parseDouble accepts a trailing d/D/f/F type suffix on decimals; the writer never writes one
    return hex || !(last == 'd' || last == 'D' || last == 'f' || last == 'F');
  }

  /** The CRC32C of the fields, each as UTF-8 followed by a 0x1F byte, as 8 lower-case hex digits. */
  static String crc(List<String> fields, int count) {
    CRC32C c = new CRC32C();
    for (int i = 0; i < count; i++) {
      c.update(fields.get(i).getBytes(StandardCharsets.UTF_8));
      c.update(0x1F);
    }
    String h = Long.toHexString(c.getValue());
    return "00000000".substring(h.length()) + h;
  }
}
