package org.sieveml.core.pipeline;

import static org.sieveml.core.pipeline.ServedLogFormat.FIXED;

import java.io.Closeable;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.csv.CsvFormat;
import org.sieveml.core.csv.CsvReader;
import org.sieveml.core.internal.ReadOnlyArrayList;

/**
 * Reads a served log that {@link CsvServedRequestSink} wrote, back into {@link ServedRequest}s equal
 * to those logged (every double and float bit for bit), or into a {@link FeatureFrame} of the served
 * vectors (training data, skew checks).
 *
 * <pre>{@code
 * List<ServedRequest> served = ServedLogReader.readAll(Path.of("served-0001.csv"));
 * FeatureFrame frame = ServedLogReader.servedFrame(served);
 * }</pre>
 *
 * <p>Validation: the first line must name the format and a version this reader reads (1), the second
 * must be the version's column header with a valid schema; every line must have the header's number of
 * fields and a matching checksum, and every value must parse as its column's type; a request's lines
 * must be consecutive and complete and agree on the request's columns. Every failure is an
 * {@link IllegalArgumentException} whose message starts with {@code "<source> line <n>:"} and names the
 * column, the value and what was expected; a failure to read is an {@link UncheckedIOException}. Memory
 * is bounded by the CSV limits of {@link CsvFormat#defaults()} and by the file: an embedding's field is
 * counted before its array is allocated, and no count read from the file sizes an allocation. The reader
 * never uses Java deserialization.
 *
 * <p>After a crash: a log may end with a torn line (cut while being written), or in the middle of a
 * request's lines. Both are reported, never read as a wrong value: the message says the log ends inside
 * a record and how many requests were read intact before it. A caller that wants those requests reads
 * with {@link #next()} until the exception.
 *
 * <p>Not thread-safe: a reader is a single-threaded cursor; the static methods are thread-safe.
 */
public final class ServedLogReader implements Closeable {

  private final CsvReader csv;
  private final String source;
  private final FeatureSchema schema;
  private final int columns;
  private long requests;
  /** The first line of the next request, read ahead; null at the end. */
  private List<String> pending;
  private long pendingLine;
  private boolean failed;

  private ServedLogReader(CsvReader csv, String source) {
    this.csv = csv;
    this.source = source;
    try {
      List<String> magic = csv.next();
      if (magic == null) {
        throw error(1, "the file is empty; expected the line '" + ServedLogFormat.MAGIC + ","
            + ServedLogFormat.VERSION + "'");
      }
      if (magic.size() != 2 || !magic.get(0).equals(ServedLogFormat.MAGIC)) {
        throw error(csv.line(), "expected the line '" + ServedLogFormat.MAGIC + "," + ServedLogFormat.VERSION
            + "' (a served log), found " + abbreviate(String.join(",", magic)));
      }
      if (!magic.get(1).equals(Integer.toString(ServedLogFormat.VERSION))) {
        throw error(csv.line(), "served log format version " + abbreviate(magic.get(1))
            + " is not supported; this reader reads version " + ServedLogFormat.VERSION);
      }
      List<String> header = csv.next();
      if (header == null) {
        throw error(csv.line() + 1, "the column header is missing (the log ends after its first line)");
      }
      this.schema = parseHeader(header, csv.line());
      this.columns = header.size();
      readAhead();
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Opens a log file.
   *
   * @param file the file
   * @return a reader positioned before the first request; the caller closes it
   * @throws IllegalArgumentException if the header lines are not a served log's
   * @throws UncheckedIOException if the file cannot be read
   */
  public static ServedLogReader open(Path file) {
    if (file == null) {
      throw new IllegalArgumentException("file must not be null");
    }
    Path name = file.getFileName();
    return new ServedLogReader(CsvFormat.defaults().open(file), name == null ? file.toString() : name.toString());
  }

  /**
   * Reads a log from UTF-8 bytes.
   *
   * @param in the bytes; closing the reader closes the stream
   * @param source names the input in messages
   * @return a reader positioned before the first request; the caller closes it
   * @throws IllegalArgumentException if the header lines are not a served log's
   */
  public static ServedLogReader open(InputStream in, String source) {
    if (in == null || source == null) {
      throw new IllegalArgumentException("in and source must not be null");
    }
    return new ServedLogReader(CsvFormat.defaults().open(in, source), source);
  }

  /**
   * Reads every request of a log file.
   *
   * @param file the file
   * @return the requests in the order they were written
   * @throws IllegalArgumentException for anything but a complete, intact log (see the class comment)
   * @throws UncheckedIOException if the file cannot be read
   */
  public static List<ServedRequest> readAll(Path file) {
    try (ServedLogReader r = open(file)) {
      List<ServedRequest> out = new ArrayList<>();
      for (ServedRequest q = r.next(); q != null; q = r.next()) {
        out.add(q);
      }
      return out;
    }
  }

  /**
   * The served vectors of the requests that served features, one row per candidate in request order: the
   * frame to train on or to compare with an offline replay.
   *
   * @param requests records of one schema
   * @param schema the frame's schema (the log's {@link #schema()})
   * @return the frame
   * @throws IllegalArgumentException if a record has another schema
   */
  public static FeatureFrame servedFrame(List<ServedRequest> requests, FeatureSchema schema) {
    if (requests == null || schema == null) {
      throw new IllegalArgumentException("requests and schema must not be null");
    }
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(schema);
    for (ServedRequest r : requests) {
      if (!r.schema().equals(schema)) {
        throw new IllegalArgumentException("request '" + r.requestId() + "' has schema " + r.schema()
            + ", expected " + schema);
      }
      for (FeatureVector v : r.vectors()) {
        b.add(v);
      }
    }
    return b.build();
  }

  /**
   * The schema of the logged vectors, from the column header.
   *
   * @return the schema
   */
  public FeatureSchema schema() {
    return schema;
  }

  /**
   * The number of requests returned so far.
   *
   * @return the count
   */
  public long requestCount() {
    return requests;
  }

  /**
   * Reads the next request.
   *
   * @return the request, or null at the end of the log
   * @throws IllegalArgumentException if the next request's lines are malformed, torn or incomplete; the
   *     reader is spent then
   * @throws UncheckedIOException if the input cannot be read
   */
  public ServedRequest next() {
    if (failed) {
      throw new IllegalStateException(source + ": the reader failed before; open a new one");
    }
    if (pending == null) {
      return null;
    }
    try {
      ServedRequest r = readRequest();
      requests++;
      return r;
    } catch (RuntimeException e) {
      failed = true;
      throw e;
    }
  }

  private void readAhead() {
    pending = csv.next();
    pendingLine = csv.line();
    if (pending != null) {
      checkLine(pending, pendingLine);
    }
  }

  /** Field count and checksum; a failure on the last line of the input is a torn tail. */
  private void checkLine(List<String> f, long line) {
    String problem = null;
    if (f.size() != columns) {
      problem = "it has " + f.size() + " fields, the header has " + columns;
    } else {
      String crc = f.get(columns - 1);
      String expected = ServedLogFormat.crc(f, columns - 1);
      if (!crc.equals(expected)) {
        problem = "its checksum is " + abbreviate(crc) + " but its fields give " + expected;
      }
    }
    if (problem == null) {
      return;
    }
    boolean last;
    try {
      last = csv.next() == null;
    } catch (IllegalArgumentException e) {
      last = false;
    }
    if (last) {
      throw error(line, "the log ends with a torn line (" + problem + "): the last record was cut while being "
          + "written (a crash?); the " + requests + " requests before it are intact");
    }
    throw error(line, "the line is corrupted: " + problem);
  }

  private ServedRequest readRequest() {
    List<String> first = pending;
    long firstLine = pendingLine;
    String requestId = first.get(0);
    if (requestId.isEmpty()) {
      throw error(firstLine, "column 'request_id' is empty");
    }
    long servedAt = ServedLogFormat.parseLong(first.get(1), at(firstLine, 1));
    long readTime = first.get(2).isEmpty() ? FeatureFetch.UNKNOWN_TIME
        : ServedLogFormat.parseLong(first.get(2), at(firstLine, 2));
    EntityKey entity = key(first.get(3), firstLine, 3);
    long k = ServedLogFormat.parseLong(first.get(4), at(firstLine, 4));
    if (k <= 0 || k > Integer.MAX_VALUE) {
      throw error(firstLine, "column 'k': value " + k + " is not a positive int");
    }
    Set<Stage> degraded = EnumSet.noneOf(Stage.class);
    if (!first.get(9).isEmpty()) {
      for (String s : first.get(9).split("\\|", -1)) {
        degraded.add(stage(s, firstLine));
      }
    }
    long n = ServedLogFormat.parseLong(first.get(10), at(firstLine, 10));
    if (n < 0 || n > Integer.MAX_VALUE - 1) {
      throw error(firstLine, "column 'candidates': value " + n + " is not a count of candidates");
    }
    List<Candidate> candidates = new ArrayList<>();
    List<EntityKey> keys = new ArrayList<>();
    List<FeatureVector> vectors = new ArrayList<>();
    byte[] status = new byte[0];
    double[] scores = new double[16];
    int keyed = 0;
    int scored = 0;
    int withFeatures = 0;
    String[] rankedIds = new String[0];
    double[] rankedScores = new double[0];
    int ranked = 0;
    FeatureVector.Builder vb = FeatureVector.builder(schema);
    int f0 = FIXED.length;
    long rows = Math.max(1, n);
    for (long row = 0; row < rows; row++) {
      List<String> f;
      long line;
      if (row == 0) {
        f = first;
        line = firstLine;
      } else {
        readAhead();
        f = pending;
        line = pendingLine;
        if (f == null) {
          throw error(csv.line() + 1, "the log ends inside request '" + requestId + "' after " + row + " of its " + n
              + " lines: the last record was cut while being written (a crash?); the " + requests
              + " requests before it are intact");
        }
        for (int c = 0; c < ServedLogFormat.REQUEST_COLUMNS; c++) {
          if (!f.get(c).equals(first.get(c))) {
            throw error(line, "column '" + FIXED[c] + "' is " + abbreviate(f.get(c)) + " but request '" + requestId
                + "' (line " + firstLine + ") has " + abbreviate(first.get(c)) + "; a request's lines must agree"
                + (c == 0 ? " (the previous request ended after " + row + " of its " + n + " lines)" : ""));
          }
        }
      }
      long r = ServedLogFormat.parseLong(f.get(ServedLogFormat.ROW), at(line, ServedLogFormat.ROW));
      if (r != row) {
        throw error(line, "column 'row': value " + r + ", expected " + row + " (line " + (row + 1) + " of request '"
            + requestId + "')");
      }
      if (n == 0) {
        for (int c = ServedLogFormat.ITEM_ID; c < columns - 1; c++) {
          if (!f.get(c).isEmpty()) {
            throw error(line, "column '" + columnName(c) + "' is " + abbreviate(f.get(c))
                + "; a request without candidates has empty candidate columns");
          }
        }
        break;
      }
      String item = f.get(ServedLogFormat.ITEM_ID);
      String src = f.get(ServedLogFormat.SOURCE);
      double retrieval = ServedLogFormat.parseDouble(f.get(ServedLogFormat.RETRIEVAL_SCORE),
          at(line, ServedLogFormat.RETRIEVAL_SCORE));
      Candidate c;
      try {
        c = Candidate.of(item, retrieval, src);
        if (!f.get(ServedLogFormat.ALSO_FROM).isEmpty()) {
          for (String also : ServedLogFormat.splitEscaped(f.get(ServedLogFormat.ALSO_FROM), "also_from")) {
            c = c.withAlsoFrom(also);
          }
        }
      } catch (IllegalArgumentException | NullPointerException e) {
        throw error(line, "candidate: " + e.getMessage());
      }
      candidates.add(c);
      String key = f.get(ServedLogFormat.KEY);
      if (!key.isEmpty()) {
        keys.add(key(key, line, ServedLogFormat.KEY));
        keyed++;
      }
      String score = f.get(ServedLogFormat.SCORE);
      if (!score.isEmpty()) {
        if (scored == scores.length) {
          scores = Arrays.copyOf(scores, scores.length * 2);
        }
        scores[scored++] = ServedLogFormat.parseDouble(score, at(line, ServedLogFormat.SCORE));
      }
      String rank = f.get(ServedLogFormat.RANK);
      if (!rank.isEmpty()) {
        long rk = ServedLogFormat.parseLong(rank, at(line, ServedLogFormat.RANK));
        if (rk < 0 || rk >= Math.min(k, n)) {
          throw error(line, "column 'rank': value " + rk + " is outside [0, " + Math.min(k, n) + ")");
        }
        int rki = (int) rk;
        if (rki >= rankedIds.length) {
          rankedIds = Arrays.copyOf(rankedIds, Math.max(rki + 1, rankedIds.length * 2));
          rankedScores = Arrays.copyOf(rankedScores, rankedIds.length);
        }
        if (rankedIds[rki] != null) {
          throw error(line, "column 'rank': rank " + rk + " is also held by item '" + rankedIds[rki] + "'");
        }
        rankedIds[rki] = item;
        String ss = f.get(ServedLogFormat.SERVED_SCORE);
        rankedScores[rki] = ss.isEmpty() ? Double.NaN
            : ServedLogFormat.parseDouble(ss, at(line, ServedLogFormat.SERVED_SCORE));
        ranked++;
      } else if (!f.get(ServedLogFormat.SERVED_SCORE).isEmpty()) {
        throw error(line, "column 'served_score' is set for an item that was not returned (no rank)");
      }
      boolean hasStatus = schema.size() > 0 && !f.get(f0 + 1).isEmpty();
      if (hasStatus) {
        long need = (long) (withFeatures + 1) * schema.size();
        if (need > Integer.MAX_VALUE - 16) {
          throw error(line, "request '" + requestId + "' holds more feature values than an array can");
        }
        if (status.length < need) {
          status = Arrays.copyOf(status, (int) Math.min(Integer.MAX_VALUE - 16, Math.max(need, 2L * status.length)));
        }
        vectors.add(vector(vb, f, line, status, withFeatures * schema.size()));
        withFeatures++;
      } else if (schema.size() > 0) {
        for (int j = 0; j < schema.size(); j++) {
          if (!f.get(f0 + 2 * j).isEmpty() || !f.get(f0 + 2 * j + 1).isEmpty()) {
            throw error(line, "column '" + columnName(f0 + 2 * j + (f.get(f0 + 2 * j).isEmpty() ? 1 : 0))
                + "' is set but the first feature's status is empty (no features served)");
          }
        }
      }
    }
    int cn = candidates.size();
    if (keyed != 0 && keyed != cn) {
      throw error(firstLine, "request '" + requestId + "' has a key on " + keyed + " of its " + cn
          + " lines; expected all or none");
    }
    if (scored != 0 && scored != cn) {
      throw error(firstLine, "request '" + requestId + "' has a score on " + scored + " of its " + cn
          + " lines; expected all or none");
    }
    if (withFeatures != 0 && withFeatures != cn) {
      throw error(firstLine, "request '" + requestId + "' has features on " + withFeatures + " of its " + cn
          + " lines; expected all or none");
    }
    List<ScoredItem> items = new ArrayList<>(ranked);
    for (int i = 0; i < ranked; i++) {
      if (i >= rankedIds.length || rankedIds[i] == null) {
        throw error(firstLine, "request '" + requestId + "' returns " + ranked + " items but no line has rank " + i);
      }
    }
    if (ranked > 0) {
      Map<String, Candidate> byId = new HashMap<>(cn * 2);
      for (Candidate c : candidates) {
        if (byId.put(c.itemId(), c) != null) {
          throw error(firstLine, "request '" + requestId + "' has item '" + c.itemId() + "' twice");
        }
      }
      for (int i = 0; i < ranked; i++) {
        items.add(ScoredItem.of(byId.get(rankedIds[i]), rankedScores[i]));
      }
    }
    readAhead();
    String pipeline = first.get(5);
    byte[] st = withFeatures == 0 ? new byte[0] : Arrays.copyOf(status, withFeatures * schema.size());
    return new ServedRequest(requestId, servedAt, entity, (int) k, pipeline, first.get(6), schema, first.get(7),
        first.get(8), readTime, degraded, list(candidates), keyed == 0 ? List.of() : list(keys),
        withFeatures == 0 ? List.of() : list(vectors), st,
        scored == 0 ? null : Arrays.copyOf(scores, scored), list(items));
  }

  private static <T> List<T> list(List<T> l) {
    Object[] a = l.toArray();
    return new ReadOnlyArrayList<>(a, a.length);
  }

  private FeatureVector vector(FeatureVector.Builder vb, List<String> f, long line, byte[] status, int at) {
    int f0 = FIXED.length;
    for (int j = 0; j < schema.size(); j++) {
      FeatureSpec spec = schema.get(j);
      String value = f.get(f0 + 2 * j);
      String st = f.get(f0 + 2 * j + 1);
      int col = f0 + 2 * j;
      boolean missing = st.endsWith(ServedLogFormat.MISSING);
      ServedStatus s;
      try {
        s = ServedStatus.parse(missing ? st.substring(0, st.length() - ServedLogFormat.MISSING.length()) : st);
      } catch (IllegalArgumentException e) {
        throw error(line, "column '" + columnName(col + 1) + "': value " + abbreviate(st) + " is not a status "
            + "(UNKNOWN, PRESENT, NOT_FOUND, EXPIRED or VERSION_MISMATCH, optionally followed by ;missing)");
      }
      status[at + j] = (byte) s.ordinal();
      if (missing) {
        if (!value.isEmpty()) {
          throw error(line, "column '" + columnName(col) + "': value " + abbreviate(value)
              + " is set but its status says missing");
        }
        vb.setMissing(j);
        continue;
      }
      if (value.isEmpty() && spec.type() != FeatureType.STRING) {
        throw error(line, "column '" + columnName(col) + "' is empty but its status " + st
            + " does not say missing");
      }
      String what = at(line, col);
      switch (spec.type()) {
        case DOUBLE:
          vb.setDouble(j, ServedLogFormat.parseDouble(value, what));
          break;
        case LONG:
          vb.setLong(j, ServedLogFormat.parseLong(value, what));
          break;
        case BOOLEAN:
          if (!value.equals("true") && !value.equals("false")) {
            throw error(line, "column '" + columnName(col) + "': value " + abbreviate(value)
                + " is not a BOOLEAN (true or false)");
          }
          vb.setBoolean(j, value.equals("true"));
          break;
        case STRING:
          vb.setString(j, value);
          break;
        default:
          vb.setEmbedding(j, embedding(value, spec, line, col));
      }
    }
    return vb.build();
  }

  private float[] embedding(String value, FeatureSpec spec, long line, int col) {
    int count = 1;
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) == ' ') {
        count++;
      }
    }
    if (count != spec.dimension()) {
      throw error(line, "column '" + columnName(col) + "' holds " + count + " space-separated values, expected "
          + spec.dimension());
    }
    float[] out = new float[count];
    int start = 0;
    for (int j = 0; j < count; j++) {
      int end = value.indexOf(' ', start);
      if (end < 0) {
        end = value.length();
      }
      float x = ServedLogFormat.parseFloat(value.substring(start, end), at(line, col) + " position " + j);
      if (Float.isNaN(x)) {
        throw error(line, "column '" + columnName(col) + "' position " + j + " is NaN");
      }
      out[j] = x;
      start = end + 1;
    }
    return out;
  }

  private EntityKey key(String s, long line, int col) {
    try {
      return ServedLogFormat.parseKey(s, "entity key");
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw error(line, "column '" + FIXED[col] + "': " + e.getMessage());
    }
  }

  private Stage stage(String s, long line) {
    for (Stage st : Stage.values()) {
      if (st.metricName().equals(s)) {
        return st;
      }
    }
    throw error(line, "column 'degraded': " + abbreviate(s) + " is not a stage (candidates, features, scoring or "
        + "reranking)");
  }

  private FeatureSchema parseHeader(List<String> h, long line) {
    int fixed = FIXED.length;
    if (h.size() < fixed + 1 || (h.size() - fixed - 1) % 2 != 0) {
      throw error(line, "the column header has " + h.size() + " columns; expected the " + fixed + " fixed columns, "
          + "two per feature and crc32c");
    }
    for (int i = 0; i < fixed; i++) {
      if (!h.get(i).equals(FIXED[i])) {
        throw error(line, "header column " + (i + 1) + " is " + abbreviate(h.get(i)) + ", expected '" + FIXED[i] + "'");
      }
    }
    if (!h.get(h.size() - 1).equals(ServedLogFormat.CRC)) {
      throw error(line, "the last header column is " + abbreviate(h.get(h.size() - 1)) + ", expected '"
          + ServedLogFormat.CRC + "'");
    }
    int features = (h.size() - fixed - 1) / 2;
    List<FeatureSpec> specs = new ArrayList<>(Math.min(features, 1024));
    for (int j = 0; j < features; j++) {
      String vc = h.get(fixed + 2 * j);
      String sc = h.get(fixed + 2 * j + 1);
      int colon = vc.lastIndexOf(':');
      if (colon <= 0) {
        throw error(line, "header column " + (fixed + 2 * j + 1) + " is " + abbreviate(vc)
            + ", expected '<feature>:<TYPE>'");
      }
      String name = vc.substring(0, colon);
      String type = vc.substring(colon + 1);
      if (!sc.equals(name + ServedLogFormat.STATUS_SUFFIX)) {
        throw error(line, "header column " + (fixed + 2 * j + 2) + " is " + abbreviate(sc) + ", expected '" + name
            + ServedLogFormat.STATUS_SUFFIX + "'");
      }
      try {
        if (type.startsWith("EMBEDDING[") && type.endsWith("]")) {
          String d = type.substring("EMBEDDING[".length(), type.length() - 1);
          long dim = ServedLogFormat.parseLong(d, "dimension of feature '" + name + "'");
          // each float takes at least one character and a separator: a longer one cannot fit in a line
          if (dim <= 0 || dim > CsvFormat.DEFAULT_MAX_FIELD_CHARS / 2) {
            throw new IllegalArgumentException("dimension of feature '" + name + "' is " + dim + ", expected 1 to "
                + CsvFormat.DEFAULT_MAX_FIELD_CHARS / 2);
          }
          specs.add(FeatureSpec.embedding(name, (int) dim));
        } else {
          FeatureType t = null;
          for (FeatureType ft : FeatureType.values()) {
            if (ft != FeatureType.EMBEDDING && ft.name().equals(type)) {
              t = ft;
            }
          }
          if (t == null) {
            throw new IllegalArgumentException("type of feature '" + name + "' is " + abbreviate(type)
                + ", expected DOUBLE, LONG, BOOLEAN, STRING or EMBEDDING[d]");
          }
          specs.add(FeatureSpec.of(name, t));
        }
      } catch (IllegalArgumentException e) {
        throw error(line, "header column " + (fixed + 2 * j + 1) + ": " + e.getMessage());
      }
    }
    try {
      return FeatureSchema.of(specs);
    } catch (IllegalArgumentException e) {
      throw error(line, "the header's features: " + e.getMessage());
    }
  }

  private String columnName(int c) {
    if (c < FIXED.length) {
      return FIXED[c];
    }
    if (c >= columns - 1) {
      return ServedLogFormat.CRC;
    }
    int f = (c - FIXED.length) / 2;
    return (c - FIXED.length) % 2 == 0 ? ServedLogFormat.valueColumn(schema.get(f))
        : schema.get(f).name() + ServedLogFormat.STATUS_SUFFIX;
  }

  private String at(long line, int col) {
    return source + " line " + line + ": column '" + columnName(col) + "'";
  }

  private IllegalArgumentException error(long line, String message) {
    return new IllegalArgumentException(message.startsWith(source + " line ") ? message
        : source + " line " + line + ": " + message);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? "'" + s + "'" : "'" + s.substring(0, 57) + "...' (" + s.length() + " characters)";
  }

  /**
   * Closes the input.
   *
   * @throws UncheckedIOException if closing fails
   */
  @Override
  public void close() {
    csv.close();
  }

  @Override
  public String toString() {
    return "ServedLogReader{" + source + ", " + schema.size() + " features, " + requests + " requests read}";
  }
}
