package org.sieveml.core.csv;

import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.internal.Checks;

/**
 * Reads a CSV text with a header line into a {@link FeatureFrame} of a given {@link FeatureSchema}.
 *
 * <p>The header names the columns; each feature of the schema is read from the column of its name, in
 * any order, and the frame's columns follow the schema. A feature without a column is refused naming
 * it; columns the schema does not declare are ignored, or refused with
 * {@link Builder#rejectUnknownColumns(boolean)}. Every record must have as many fields as the header.
 *
 * <p>Values, per {@link FeatureType} (see {@link #parseValue}): an empty field, quoted or not, is a
 * missing value (never an empty category, never 0); DOUBLE a finite decimal number ({@code -1.5},
 * {@code 2e-3}; no NaN, infinities or hexadecimal); LONG a decimal integer in the 64-bit range; BOOLEAN
 * {@code true}/{@code false} in any case, or {@code 1}/{@code 0}; STRING the field as is; EMBEDDING the
 * declared number of finite decimal floats separated by spaces. A value that does not parse is refused
 * with an {@link IllegalArgumentException} naming the source, the line, the column, the value and what
 * was expected, for example {@code "events.csv line 7: column 'ctr': value 'abc' is not a DOUBLE (a
 * finite decimal number such as -1.5 or 2e-3)"}.
 *
 * <pre>{@code
 * FeatureSchema schema = FeatureSchema.builder().addLong("clicks").addDouble("ctr").addString("country").build();
 * FeatureFrame frame = CsvFrameReader.builder(schema).build().read(Path.of("train.csv"));
 * }</pre>
 *
 * <p>The whole text is read before the frame is returned; memory is the frame's (a few bytes per value)
 * plus one record. Immutable and thread-safe: one instance may read many files at once, each call
 * opening its own {@link CsvReader}.
 */
public final class CsvFrameReader {

  private final FeatureSchema schema;
  private final CsvFormat format;
  private final boolean rejectUnknownColumns;

  private CsvFrameReader(Builder b) {
    this.schema = b.schema;
    this.format = b.format;
    this.rejectUnknownColumns = b.rejectUnknownColumns;
  }

  /**
   * Returns a builder for a reader of frames of {@code schema}, in the {@linkplain CsvFormat#defaults()
   * default format}, ignoring unknown columns.
   *
   * @param schema the schema of the frames read
   * @return a new builder
   */
  public static Builder builder(FeatureSchema schema) {
    return new Builder(Checks.notNull("schema", schema));
  }

  /**
   * The schema of the frames read.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The CSV format read.
   *
   * @return the format
   */
  public CsvFormat format() {
    return format;
  }

  /**
   * Whether a header column the schema does not declare is refused.
   *
   * @return true if refused, false if ignored
   */
  public boolean rejectsUnknownColumns() {
    return rejectUnknownColumns;
  }

  /**
   * Reads a UTF-8 file; messages name it by its file name.
   *
   * @param file the file
   * @return the frame, one row per record after the header
   * @throws IllegalArgumentException for a bad header, record or value (see the class comment)
   * @throws UncheckedIOException if the file cannot be read
   */
  public FeatureFrame read(Path file) {
    return read(format.open(file));
  }

  /**
   * Reads UTF-8 bytes; the stream is read to its end and not closed.
   *
   * @param in the bytes
   * @param source names the input in messages
   * @return the frame
   * @throws IllegalArgumentException for a bad header, record or value
   * @throws UncheckedIOException if the stream cannot be read
   */
  public FeatureFrame read(InputStream in, String source) {
    Checks.notNull("in", in);
    return read(format.open(new java.io.FilterInputStream(in) {
      @Override
      public void close() {
        // the caller's stream: left open
      }
    }, source));
  }

  /**
   * Reads decoded text; the reader is read to its end and not closed.
   *
   * @param in the text
   * @param source names the input in messages
   * @return the frame
   * @throws IllegalArgumentException for a bad header, record or value
   * @throws UncheckedIOException if the text cannot be read
   */
  public FeatureFrame read(Reader in, String source) {
    Checks.notNull("in", in);
    return read(format.open(new java.io.FilterReader(in) {
      @Override
      public void close() {
        // the caller's reader: left open
      }
    }, source));
  }

  /**
   * Parses one CSV field as a value of a feature: the rules of the class comment, shared by every
   * SieveML reader of CSV values.
   *
   * @param spec the feature
   * @param field the field as {@link CsvReader#next()} returns it
   * @return null for an empty field, else a {@code Double}, {@code Long}, {@code Boolean}, {@code String}
   *     or {@code float[]} by the feature's type
   * @throws IllegalArgumentException {@code "value '<field>' is not <what was expected>"}, for the caller
   *     to prefix with where the field stands
   */
  public static Object parseValue(FeatureSpec spec, String field) {
    Checks.notNull("spec", spec);
    Checks.notNull("field", field);
    if (field.isEmpty()) {
      return null;
    }
    switch (spec.type()) {
      case DOUBLE: {
        if (!isDecimal(field, 0, field.length())) {
          throw notA(field, "a DOUBLE (a finite decimal number such as -1.5 or 2e-3)");
        }
        double d = Double.parseDouble(field);
        if (!Double.isFinite(d)) {
          throw notA(field, "a finite DOUBLE (leave the field empty for a missing value)");
        }
        return d;
      }
      case LONG:
        if (isInteger(field)) {
          try {
            return Long.parseLong(field);
          } catch (NumberFormatException e) {
            // out of range: below
          }
        }
        throw notA(field, "a LONG (a decimal integer from " + Long.MIN_VALUE + " to " + Long.MAX_VALUE + ")");
      case BOOLEAN:
        if (field.equalsIgnoreCase("true") || field.equals("1")) {
          return Boolean.TRUE;
        }
        if (field.equalsIgnoreCase("false") || field.equals("0")) {
          return Boolean.FALSE;
        }
        throw notA(field, "a BOOLEAN (true, false, 1 or 0)");
      case STRING:
        return field;
      default:
        return parseEmbedding(spec, field);
    }
  }

  private FeatureFrame read(CsvReader r) {
    try (r) {
      List<String> header = r.next();
      if (header == null) {
        throw new IllegalArgumentException(r.source() + " line 1: no header line, expected the columns "
            + schema.names());
      }
      String at = r.source() + " line " + r.line();
      Map<String, Integer> columnOf = new HashMap<>();
      for (int i = 0; i < header.size(); i++) {
        String name = header.get(i);
        Integer prev = columnOf.putIfAbsent(name, i);
        boolean known = schema.contains(name);
        if (prev != null && known) {
          throw new IllegalArgumentException(at + ": column '" + name + "' appears twice in the header (fields "
              + (prev + 1) + " and " + (i + 1) + ")");
        }
        if (!known && rejectUnknownColumns) {
          throw new IllegalArgumentException(at + ": column " + describe(name) + " (field " + (i + 1)
              + ") is not in the schema " + schema.names() + ", and unknown columns are refused");
        }
      }
      int[] col = new int[schema.size()];
      for (int c = 0; c < col.length; c++) {
        Integer i = columnOf.get(schema.get(c).name());
        if (i == null) {
          throw new IllegalArgumentException(at + ": missing column '" + schema.get(c).name() + "' (feature "
              + schema.get(c) + "); the header has " + abbreviate(header.toString()));
        }
        col[c] = i;
      }
      FeatureFrame.RowBuilder frame = FeatureFrame.rowBuilder(schema);
      FeatureVector.Builder row = FeatureVector.builder(schema);
      List<String> rec;
      while ((rec = r.next()) != null) {
        if (rec.size() != header.size()) {
          throw new IllegalArgumentException(r.source() + " line " + r.line() + ": expected " + header.size()
              + " fields like the header, got " + rec.size());
        }
        for (int c = 0; c < col.length; c++) {
          FeatureSpec spec = schema.get(c);
          Object v;
          try {
            v = parseValue(spec, rec.get(col[c]));
          } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(r.source() + " line " + r.line() + ": column '" + spec.name() + "': "
                + e.getMessage(), e);
          }
          set(row, c, spec.type(), v);
        }
        frame.add(row.build());
      }
      return frame.build();
    }
  }

  private static void set(FeatureVector.Builder row, int c, FeatureType type, Object v) {
    if (v == null) {
      row.setMissing(c);
      return;
    }
    switch (type) {
      case DOUBLE:
        row.setDouble(c, (Double) v);
        break;
      case LONG:
        row.setLong(c, (Long) v);
        break;
      case BOOLEAN:
        row.setBoolean(c, (Boolean) v);
        break;
      case STRING:
        row.setString(c, (String) v);
        break;
      default:
        row.setEmbedding(c, (float[]) v);
    }
  }

  private static float[] parseEmbedding(FeatureSpec spec, String field) {
    String expected = spec.dimension() + " finite decimal floats separated by spaces (an EMBEDDING["
        + spec.dimension() + "])";
    float[] out = new float[spec.dimension()];
    int n = 0;
    int i = 0;
    int len = field.length();
    while (true) {
      while (i < len && (field.charAt(i) == ' ' || field.charAt(i) == '\t')) {
        i++;
      }
      if (i == len) {
        break;
      }
      int from = i;
      while (i < len && field.charAt(i) != ' ' && field.charAt(i) != '\t') {
        i++;
      }
      if (n == out.length) {
        throw notA(field, expected + ", found more");
      }
      if (!isDecimal(field, from, i)) {
        throw notA(field, expected + ", '" + abbreviate(field.substring(from, i)) + "' is not a number");
      }
      float f = Float.parseFloat(field.substring(from, i));
      if (!Float.isFinite(f)) {
        throw notA(field, expected + ", " + field.substring(from, i) + " overflows a float");
      }
      out[n++] = f;
    }
    if (n != out.length) {
      throw notA(field, expected + ", found " + n);
    }
    return out;
  }

  /** {@code [+-]?(digits[.digits?]|.digits)([eE][+-]?digits)?} over ASCII digits, without a regex. */
  private static boolean isDecimal(String s, int from, int to) {
    int i = from;
    if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
      i++;
    }
    int digits = 0;
    while (i < to && isDigit(s.charAt(i))) {
      i++;
      digits++;
    }
    if (i < to && s.charAt(i) == '.') {
      i++;
      while (i < to && isDigit(s.charAt(i))) {
        i++;
        digits++;
      }
    }
    if (digits == 0) {
      return false;
    }
    if (i < to && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
      i++;
      if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
        i++;
      }
      int exp = 0;
      while (i < to && isDigit(s.charAt(i))) {
        i++;
        exp++;
      }
      if (exp == 0) {
        return false;
      }
    }
    return i == to;
  }

  private static boolean isInteger(String s) {
    int i = s.startsWith("-") || s.startsWith("+") ? 1 : 0;
    if (i == s.length()) {
      return false;
    }
    for (; i < s.length(); i++) {
      if (!isDigit(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static IllegalArgumentException notA(String field, String expected) {
    return new IllegalArgumentException("value " + describe(field) + " is not " + expected);
  }

  private static String describe(String value) {
    return "'" + abbreviate(value) + "'";
  }

  /** A value cut for a message: at most 80 characters and the total length. */
  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 60) + "... (" + s.length() + " characters)";
  }

  /** Builds a {@link CsvFrameReader}. Not thread-safe. */
  public static final class Builder {
    private final FeatureSchema schema;
    private CsvFormat format = CsvFormat.defaults();
    private boolean rejectUnknownColumns;

    private Builder(FeatureSchema schema) {
      this.schema = schema;
    }

    /**
     * Sets the CSV format (delimiter, limits).
     *
     * @param format the format
     * @return this builder
     */
    public Builder format(CsvFormat format) {
      this.format = Checks.notNull("format", format);
      return this;
    }

    /**
     * Sets whether a header column that the schema does not declare is refused (default: ignored).
     *
     * @param reject true to refuse unknown columns
     * @return this builder
     */
    public Builder rejectUnknownColumns(boolean reject) {
      this.rejectUnknownColumns = reject;
      return this;
    }

    /**
     * Builds the reader.
     *
     * @return the immutable reader
     */
    public CsvFrameReader build() {
      return new CsvFrameReader(this);
    }
  }
}
