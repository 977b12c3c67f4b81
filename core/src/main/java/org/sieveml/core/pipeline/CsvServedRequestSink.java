package org.sieveml.core.pipeline;

import static org.sieveml.core.pipeline.ServedLogFormat.FIXED;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.csv.CsvFormat;

/**
 * A {@link ServedRequestSink} that writes a served log as a CSV file (UTF-8, RFC 4180, LF line
 * breaks), one line per candidate, read back by {@link ServedLogReader}.
 *
 * <h2>Format, version 1</h2>
 * Line 1: {@code sieveml-served-log,1} (the format's name and version). Line 2: the column header,
 * fixed columns then two per feature of the schema, then the checksum:
 * <pre>
 * request_id,served_at_ms,read_time_ms,entity,k,pipeline,feature_source,scorer,scorer_version,degraded,
 * candidates,row,item_id,source,also_from,retrieval_score,key,score,rank,served_score,
 * &lt;feature&gt;:&lt;TYPE&gt;,&lt;feature&gt;:status, ... ,crc32c
 * </pre>
 * with {@code TYPE} one of {@code DOUBLE}, {@code LONG}, {@code BOOLEAN}, {@code STRING},
 * {@code EMBEDDING[d]}. Then each request as {@code candidates} consecutive lines ({@code row} 0 to
 * {@code candidates - 1}, in retrieval order; one line with empty per-candidate columns when it had no
 * candidates). The first eleven columns are the request's and repeat on each of its lines.
 * <ul>
 *   <li>Times are epoch milliseconds; an empty {@code read_time_ms} is unknown.
 *   <li>{@code entity} and {@code key} (the key the feature source read for the row; empty when it does
 *       not report keys): join keys in name order separated by {@code |}, each {@code name=value}, a
 *       long value in decimal, a string value in double quotes with {@code \} and {@code |} escaped by a
 *       backslash ({@code item_id=7|user_id="a\|b"}).
 *   <li>{@code degraded}: the degraded stages' metric names separated by {@code |}; {@code also_from}:
 *       the other sources, escaped like key strings.
 *   <li>Doubles ({@code retrieval_score}, {@code score}, {@code served_score}, DOUBLE features) are
 *       written as {@link Double#toString(double)} when that reads back to the same bits, else as
 *       {@link Double#toHexString(double)}; floats of embeddings likewise, separated by single spaces.
 *       Every value reads back bit for bit. {@code Infinity} and {@code -Infinity} may appear; NaN never
 *       does (a missing value is an empty field).
 *   <li>{@code score}: the model's score, empty when scoring did not succeed. {@code rank}: the row's
 *       position in the response (0 is first), empty when not returned; {@code served_score}: its score
 *       in the response (after re-ranking), empty when unscored.
 *   <li>A feature's value column holds the value (LONG in decimal, BOOLEAN {@code true}/{@code false},
 *       STRING as is), empty when missing; its status column holds the {@link ServedStatus} name,
 *       followed by {@code ;missing} when the value is missing (which tells a missing STRING from an
 *       empty one), or is empty on every row of a request whose features were not served.
 *   <li>{@code crc32c}: 8 lower-case hex digits, the CRC32C of the other fields of the line as parsed,
 *       each as UTF-8 followed by the byte 0x1F. A line cut short is caught by its field count or its
 *       checksum.
 * </ul>
 * Fields are quoted when they hold a comma, a quote, a line break or surrounding blanks. A record whose
 * line would exceed the limits of {@link CsvFormat#defaults()} (fields of 1 Mi characters, lines of 8 Mi)
 * or holds a lone surrogate is refused with an {@link IllegalArgumentException} and nothing of it is
 * written.
 *
 * <h2>Durability</h2>
 * Each request's lines are written together into a buffer, and {@link #flush()} (which a
 * {@link ServingLog} calls whenever its queue runs empty) hands them to the operating system; there is
 * no fsync. A crash loses what was buffered since the last flush, and may leave a torn last line, which
 * {@link ServedLogReader} reports (naming the line) instead of reading a wrong value.
 *
 * <p>Thread-safety: not thread-safe; a {@link ServingLog} calls it from one thread at a time.
 */
public final class CsvServedRequestSink implements ServedRequestSink {

  private static final int MAX_FIELD = CsvFormat.DEFAULT_MAX_FIELD_CHARS;
  private static final int MAX_LINE = CsvFormat.DEFAULT_MAX_RECORD_CHARS;

  private final Path file;
  private final FeatureSchema schema;
  private final Writer out;
  private final List<String> fields = new ArrayList<>();
  private final StringBuilder field = new StringBuilder();
  private final StringBuilder lines = new StringBuilder();
  private long records;
  private boolean closed;

  private CsvServedRequestSink(Path file, FeatureSchema schema, Writer out) {
    this.file = file;
    this.schema = schema;
    this.out = out;
  }

  /**
   * Creates a new log file and writes its two header lines.
   *
   * @param file the file; must not exist (one file per log; rotate by naming a new file)
   * @param schema the schema of every record's vectors (the pipeline's feature source's)
   * @return the sink; {@link #close()} closes the file
   * @throws IllegalArgumentException if an argument is null
   * @throws UncheckedIOException if the file exists or cannot be created
   */
  public static CsvServedRequestSink create(Path file, FeatureSchema schema) {
    if (file == null || schema == null) {
      throw new IllegalArgumentException("file and schema must not be null");
    }
    Writer w;
    try {
      w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE), StandardCharsets.UTF_8.newEncoder()), 1 << 16);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create served log " + file + ": " + e, e);
    }
    CsvServedRequestSink s = new CsvServedRequestSink(file, schema, w);
    try {
      w.write(header(schema));
      w.flush();
    } catch (IOException e) {
      s.closeQuietly();
      throw new UncheckedIOException("cannot write the header of served log " + file + ": " + e, e);
    }
    return s;
  }

  /** The two header lines of a log of this schema. */
  static String header(FeatureSchema schema) {
    StringBuilder sb = new StringBuilder();
    sb.append(ServedLogFormat.MAGIC).append(',').append(ServedLogFormat.VERSION).append('\n');
    for (String c : FIXED) {
      sb.append(c).append(',');
    }
    for (FeatureSpec s : schema.specs()) {
      sb.append(ServedLogFormat.valueColumn(s)).append(',').append(s.name()).append(ServedLogFormat.STATUS_SUFFIX)
          .append(',');
    }
    return sb.append(ServedLogFormat.CRC).append('\n').toString();
  }

  /**
   * The file written.
   *
   * @return the path
   */
  public Path file() {
    return file;
  }

  /**
   * The schema of the logged vectors.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * Records written so far.
   *
   * @return the count
   */
  public long recordCount() {
    return records;
  }

  /**
   * Writes one request's lines (into the buffer; see {@link #flush()}).
   *
   * @param r the record
   * @throws IllegalArgumentException if its schema is not this sink's, or a line exceeds the format's
   *     limits or holds a lone surrogate; nothing is written then
   * @throws UncheckedIOException if the file cannot be written
   * @throws IllegalStateException if the sink is closed
   */
  @Override
  public void write(ServedRequest r) {
    if (closed) {
      throw new IllegalStateException("served log " + file + " is closed");
    }
    if (!r.schema().equals(schema)) {
      throw new IllegalArgumentException("request '" + r.requestId() + "' has feature schema " + r.schema()
          + ", expected this log's " + schema);
    }
    lines.setLength(0);
    int n = r.candidates().size();
    for (int row = 0; row < Math.max(1, n); row++) {
      line(r, row, n);
    }
    try {
      out.write(lines.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write to served log " + file + ": " + e, e);
    }
    records++;
  }

  private void line(ServedRequest r, int row, int n) {
    fields.clear();
    add(r.requestId());
    add(Long.toString(r.servedAtMillis()));
    add(r.readTimeMillis() == FeatureFetch.UNKNOWN_TIME ? "" : Long.toString(r.readTimeMillis()));
    field.setLength(0);
    ServedLogFormat.appendKey(field, r.entity());
    add(field.toString());
    add(Integer.toString(r.k()));
    add(r.pipeline());
    add(r.featureSource());
    add(r.scorer());
    add(r.scorerVersion());
    field.setLength(0);
    for (Stage s : r.degradedStages()) {
      if (field.length() > 0) {
        field.append('|');
      }
      field.append(s.metricName());
    }
    add(field.toString());
    add(Integer.toString(n));
    add(Integer.toString(row));
    if (n == 0) {
      for (int c = ServedLogFormat.ITEM_ID; c < FIXED.length; c++) {
        add("");
      }
      for (int f = 0; f < schema.size(); f++) {
        add("");
        add("");
      }
    } else {
      Candidate c = r.candidates().get(row);
      add(c.itemId());
      add(c.source());
      field.setLength(0);
      for (String s : c.alsoFrom()) {
        if (field.length() > 0) {
          field.append('|');
        }
        ServedLogFormat.appendEscaped(field, s);
      }
      add(field.toString());
      add(ServedLogFormat.formatDouble(c.retrievalScore()));
      if (r.keys().isEmpty()) {
        add("");
      } else {
        field.setLength(0);
        ServedLogFormat.appendKey(field, r.keys().get(row));
        add(field.toString());
      }
      double[] scores = r.scoresOrNull();
      add(scores == null ? "" : ServedLogFormat.formatDouble(scores[row]));
      int rank = -1;
      List<ScoredItem> items = r.items();
      for (int i = 0; i < items.size(); i++) {
        if (items.get(i).itemId().equals(c.itemId())) {
          rank = i;
          break;
        }
      }
      add(rank < 0 ? "" : Integer.toString(rank));
      double served = rank < 0 ? Double.NaN : items.get(rank).score();
      add(Double.isNaN(served) ? "" : ServedLogFormat.formatDouble(served));
      features(r, row);
    }
    String crc = ServedLogFormat.crc(fields, fields.size());
    int start = lines.length();
    for (String f : fields) {
      appendField(f);
      lines.append(',');
    }
    lines.append(crc).append('\n');
    if (lines.length() - start > MAX_LINE) {
      throw new IllegalArgumentException("request '" + r.requestId() + "' row " + row + " needs a line of "
          + (lines.length() - start) + " characters; the served log's limit is " + MAX_LINE);
    }
  }

  private void features(ServedRequest r, int row) {
    if (!r.hasFeatures()) {
      for (int f = 0; f < schema.size(); f++) {
        add("");
        add("");
      }
      return;
    }
    FeatureVector v = r.vectors().get(row);
    for (int f = 0; f < schema.size(); f++) {
      FeatureSpec spec = schema.get(f);
      boolean present = v.isPresent(f);
      if (!present) {
        add("");
      } else {
        switch (spec.type()) {
          case DOUBLE:
            add(ServedLogFormat.formatDouble(v.asDouble(f)));
            break;
          case LONG:
            add(Long.toString(v.getLong(f, 0)));
            break;
          case BOOLEAN:
            add(v.getLong(f, 0) != 0 ? "true" : "false");
            break;
          case STRING:
            add(v.getString(f));
            break;
          default:
            float[] e = v.getEmbedding(f);
            field.setLength(0);
            for (int j = 0; j < e.length; j++) {
              if (j > 0) {
                field.append(' ');
              }
              field.append(ServedLogFormat.formatFloat(e[j]));
            }
            add(field.toString());
        }
      }
      ServedStatus st = r.status(row, f);
      add(present ? st.name() : st.name() + ServedLogFormat.MISSING);
    }
  }

  private void add(String value) {
    if (value.length() > MAX_FIELD) {
      throw new IllegalArgumentException("column '" + column(fields.size()) + "' holds " + value.length()
          + " characters; the served log's limit is " + MAX_FIELD);
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isSurrogate(c)) {
        boolean paired = Character.isHighSurrogate(c) && i + 1 < value.length()
            && Character.isLowSurrogate(value.charAt(i + 1));
        if (!paired) {
          throw new IllegalArgumentException("column '" + column(fields.size()) + "' holds a lone surrogate at "
              + "position " + i + "; it cannot be written as UTF-8");
        }
        i++;
      }
    }
    fields.add(value);
  }

  private String column(int i) {
    if (i < FIXED.length) {
      return FIXED[i];
    }
    int f = (i - FIXED.length) / 2;
    return (i - FIXED.length) % 2 == 0 ? ServedLogFormat.valueColumn(schema.get(f))
        : schema.get(f).name() + ServedLogFormat.STATUS_SUFFIX;
  }

  private void appendField(String f) {
    boolean quote = false;
    for (int i = 0; i < f.length() && !quote; i++) {
      char c = f.charAt(i);
      quote = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    if (!quote && !f.isEmpty()) {
      char first = f.charAt(0);
      char last = f.charAt(f.length() - 1);
      quote = first == ' ' || first == '\t' || last == ' ' || last == '\t' || first == '\uFEFF';
    }
    if (!quote) {
      lines.append(f);
      return;
    }
    lines.append('"');
    for (int i = 0; i < f.length(); i++) {
      char c = f.charAt(i);
      if (c == '"') {
        lines.append('"');
      }
      lines.append(c);
    }
    lines.append('"');
  }

  /**
   * Hands the buffered lines to the operating system.
   *
   * @throws UncheckedIOException if the file cannot be written
   */
  @Override
  public void flush() {
    if (closed) {
      return;
    }
    try {
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot flush served log " + file + ": " + e, e);
    }
  }

  /**
   * Flushes and closes the file. Idempotent.
   *
   * @throws UncheckedIOException if the file cannot be written
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close served log " + file + ": " + e, e);
    }
  }

  private void closeQuietly() {
    closed = true;
    try {
      out.close();
    } catch (IOException ignored) {
      // the original failure is reported
    }
  }

  @Override
  public String toString() {
    return "CsvServedRequestSink{" + file + ", " + records + " records}";
  }
}
