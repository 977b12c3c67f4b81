package org.sieveml.ranking;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * Turns core feature vectors (online reads) and feature frames (training data) into the numeric rows every
 * ranker in this module trains and scores on. Training and serving go through the same private row routine,
 * so the two cannot diverge.
 *
 * <p>Encoding, per input feature in schema order:
 * <ul>
 *   <li>DOUBLE, LONG, BOOLEAN (numeric, the default): one column holding the value (BOOLEAN as 1/0). A
 *       column declared {@link Builder#standardize(String...) standardized} holds {@code (x - mean) / sd},
 *       with mean and standard deviation fitted on training data ({@link #fit}) and stored with the model.
 *   <li>STRING or LONG declared {@link Builder#hashed(String, int) hashed}: the hashing trick. The value's
 *       seeded MurmurHash3 picks one of {@code buckets} columns and a sign: the column holds +1 or -1
 *       (signed buckets make collisions cancel out in expectation). No vocabulary is needed.
 *   <li>STRING or LONG declared {@link Builder#oneHot(String, List) one-hot}: one column per listed
 *       category holding 1; a category not in the list sets no column.
 *   <li>EMBEDDING: {@code dimension} columns.
 * </ul>
 * <b>Missing means missing.</b> A missing value — and for categories also the empty string — sets no
 * hashed or one-hot column and leaves numeric and embedding columns missing: {@link Double#NaN} in dense
 * rows, absent in {@link SparseRows}. Tree models route missing values along their learned default branch;
 * linear models and factorization machines add nothing for them. A present value that is NaN or infinite
 * is refused with an {@link IllegalArgumentException} naming the feature and the value.
 *
 * <p><b>Dense or sparse.</b> An encoder with hashed or one-hot columns is {@linkplain #sparse() sparse}: its
 * models train and score on {@link SparseRows}, so rows of 2^20 buckets x 26 features cost what their
 * present values cost, not 27 million slots. Tree models read a column absent from a sparse row as missing
 * (XGBoost's rule for CSR input), so a sparse encoder's tree model sees "category not present" as missing.
 *
 * <p><b>Compatibility.</b> {@link #signature()} is a stable text holding the whole encoding (including
 * fitted statistics); models store it and are rebuilt with {@link #fromSignature}. Encoders stored by
 * earlier versions ({@code sieveml-encoder-v1}: unsigned one-hot hashing with seed 0, dense rows, the empty
 * string hashed as a category) keep that encoding bit for bit, so stored models score as they did.
 *
 * <p>Feature names must not contain {@code |} or {@code :} (the signature's separators).
 *
 * <p>Thread-safety: immutable and safe for concurrent use.
 */
public final class FeatureEncoder {
  /** The most columns an encoder's rows may have (every column is a slot of a Java array). */
  static final int MAX_WIDTH = Integer.MAX_VALUE - 8;
  /** The widest rows {@link #encode(FeatureFrame)} builds densely; wider encoders use sparse rows. */
  static final int MAX_DENSE_NAMES = 1 << 22;
  private static final java.util.regex.Pattern COUNT = java.util.regex.Pattern.compile("[1-9][0-9]{0,9}");
  private static final java.util.regex.Pattern INT = java.util.regex.Pattern.compile("-?[0-9]{1,10}");
  private static final String V1 = "sieveml-encoder-v1";
  private static final String V2 = "sieveml-encoder-v2";

  private enum Kind { NUMERIC, EMBEDDING, HASHED, ONE_HOT }

  private final FeatureSchema schema;
  private final boolean legacy;
  private final int seed;
  private final Kind[] kinds;
  private final int[] sizes;
  private final int[] offsets;
  private final Map<String, Integer>[] vocab;
  private final String[][] categories;
  private final boolean[] standardized;
  private final double[] means;
  private final double[] sds;
  private final boolean fitted;
  private final int width;
  private final boolean sparse;
  /** Built on first use: a model that never asks for them pays nothing for wide encoders. */
  private volatile List<String> columnNames;
  private final String signature;
  private final boolean scalarOnly;
  private volatile Mapping lastMapping;

  @SuppressWarnings("unchecked")
  private FeatureEncoder(FeatureSchema schema, boolean legacy, int seed, Map<String, Integer> hashed,
      Map<String, List<String>> oneHot, Set<String> standardize, double[] means, double[] sds) {
    this.schema = schema;
    this.legacy = legacy;
    this.seed = seed;
    int n = schema.size();
    this.kinds = new Kind[n];
    this.sizes = new int[n];
    this.offsets = new int[n];
    this.vocab = new Map[n];
    this.categories = new String[n][];
    this.standardized = new boolean[n];
    this.means = means == null ? new double[n] : means;
    this.sds = sds == null ? new double[n] : sds;
    StringBuilder sig = new StringBuilder(legacy ? V1 : V2);
    if (!legacy) {
      sig.append("|seed=").append(seed);
    }
    long w = 0;
    boolean anyStd = false;
    boolean anyCat = false;
    for (int i = 0; i < n; i++) {
      FeatureSpec spec = schema.get(i);
      offsets[i] = (int) Math.min(w, Integer.MAX_VALUE);
      sig.append('|').append(spec.name()).append(':').append(spec.type());
      Integer buckets = hashed.get(spec.name());
      List<String> cats = oneHot.get(spec.name());
      if (buckets != null) {
        kinds[i] = Kind.HASHED;
        sizes[i] = buckets;
        sig.append(":hash").append(buckets);
        anyCat = true;
      } else if (cats != null) {
        kinds[i] = Kind.ONE_HOT;
        sizes[i] = cats.size();
        categories[i] = cats.toArray(new String[0]);
        vocab[i] = new HashMap<>();
        sig.append(":onehot(");
        for (int c = 0; c < cats.size(); c++) {
          vocab[i].put(cats.get(c), c);
          sig.append(c == 0 ? "" : ",").append(URLEncoder.encode(cats.get(c), StandardCharsets.UTF_8));
        }
        sig.append(')');
        anyCat = true;
      } else if (spec.type() == FeatureType.EMBEDDING) {
        kinds[i] = Kind.EMBEDDING;
        sizes[i] = spec.dimension();
        sig.append(':').append(spec.dimension());
      } else {
        kinds[i] = Kind.NUMERIC;
        sizes[i] = 1;
        if (standardize.contains(spec.name())) {
          standardized[i] = true;
          anyStd = true;
          sig.append(":std");
          if (means != null) {
            sig.append('(').append(this.means[i]).append(',').append(this.sds[i]).append(')');
          }
        }
      }
      w += sizes[i];
    }
    if (w > MAX_WIDTH) {
      throw new IllegalArgumentException("the encoder's rows would have " + w + " columns; expected at most "
          + MAX_WIDTH + " (fewer hashed buckets or smaller embeddings)");
    }
    this.fitted = !anyStd || means != null;
    this.width = (int) w;
    this.sparse = !legacy && anyCat;
    this.signature = sig.toString();
    boolean scalar = width == n && !anyStd;
    for (int i = 0; i < n && scalar; i++) {
      scalar = kinds[i] == Kind.NUMERIC && schema.get(i).type().isNumeric();
    }
    this.scalarOnly = scalar;
  }

  /**
   * Starts an encoder over the given input features.
   *
   * @param schema the features the model reads, in the order they are encoded
   * @return a builder
   */
  public static Builder builder(FeatureSchema schema) {
    return new Builder(schema);
  }

  /**
   * The features this encoder reads.
   *
   * @return the input schema
   */
  public FeatureSchema inputSchema() {
    return schema;
  }

  /**
   * The number of encoded columns.
   *
   * @return the row width
   */
  public int width() {
    return width;
  }

  /**
   * Whether this encoder's models train and score on {@link SparseRows} (it has hashed or one-hot columns).
   *
   * @return true when sparse
   */
  public boolean sparse() {
    return sparse;
  }

  /**
   * Whether standardized columns still need their statistics: {@link #fit} them on training data (the
   * trainers do it themselves).
   *
   * @return true when statistics are missing
   */
  public boolean needsFit() {
    return !fitted;
  }

  /**
   * An encoder equal to this one with the mean and standard deviation of each standardized column fitted on a
   * frame (over its present values; a constant or absent column gets mean 0 or its value and sd 1). Returns
   * this encoder when nothing is standardized.
   *
   * @param frame training data providing every input feature
   * @return the fitted encoder
   */
  public FeatureEncoder fit(FeatureFrame frame) {
    Objects.requireNonNull(frame, "frame");
    boolean any = false;
    for (boolean s : standardized) {
      any |= s;
    }
    if (!any) {
      return this;
    }
    int[] cols = mappingFor(frame.schema()).columns;
    double[] m = new double[schema.size()];
    double[] s = new double[schema.size()];
    for (int i = 0; i < cols.length; i++) {
      if (!standardized[i]) {
        continue;
      }
      long count = 0;
      double mean = 0;
      double m2 = 0;
      for (int r = 0; r < frame.rowCount(); r++) {
        if (!frame.isPresent(r, cols[i])) {
          continue;
        }
        double x = frame.asDouble(r, cols[i]);
        if (!Double.isFinite(x)) {
          throw notFinite(i, x);
        }
        count++;
        double d = x - mean;
        mean += d / count;
        m2 += d * (x - mean);
      }
      double sd = count > 1 ? Math.sqrt(m2 / count) : 0;
      m[i] = mean;
      s[i] = sd > 0 && Double.isFinite(sd) ? sd : 1;
    }
    return new FeatureEncoder(schema, legacy, seed, hashedMap(), oneHotMap(), standardizedSet(), m, s);
  }

  private Map<String, Integer> hashedMap() {
    Map<String, Integer> h = new LinkedHashMap<>();
    for (int i = 0; i < kinds.length; i++) {
      if (kinds[i] == Kind.HASHED) {
        h.put(schema.get(i).name(), sizes[i]);
      }
    }
    return h;
  }

  private Map<String, List<String>> oneHotMap() {
    Map<String, List<String>> h = new LinkedHashMap<>();
    for (int i = 0; i < kinds.length; i++) {
      if (kinds[i] == Kind.ONE_HOT) {
        h.put(schema.get(i).name(), List.of(categories[i]));
      }
    }
    return h;
  }

  private Set<String> standardizedSet() {
    Set<String> s = new LinkedHashSet<>();
    for (int i = 0; i < kinds.length; i++) {
      if (standardized[i]) {
        s.add(schema.get(i).name());
      }
    }
    return s;
  }

  /**
   * The name of an encoded column: {@code name}, {@code name#bucket}, {@code name=category} or
   * {@code name[d]}.
   *
   * @param column in {@code [0, width())}
   * @return the name
   */
  public String columnName(int column) {
    if (column < 0 || column >= width) {
      throw new IllegalArgumentException("column is " + column + "; expected 0.." + (width - 1));
    }
    int i = inputOf(column);
    String name = schema.get(i).name();
    int k = column - offsets[i];
    switch (kinds[i]) {
      case HASHED:
        return name + "#" + k;
      case ONE_HOT:
        return name + "=" + categories[i][k];
      case EMBEDDING:
        return name + "[" + k + "]";
      default:
        return name;
    }
  }

  /** The input feature a column belongs to (offsets strictly increase: every input has a column). */
  private int inputOf(int column) {
    int k = Arrays.binarySearch(offsets, column);
    return k >= 0 ? k : -k - 2;
  }

  /**
   * The column a {@link #columnName(int) column name} stands for, or -1 if it names none.
   *
   * @param name a column name
   * @return the column, or -1
   */
  public int columnOf(String name) {
    if (name == null) {
      return -1;
    }
    int idx = schema.indexOf(name);
    if (idx >= 0 && sizes[idx] == 1 && kinds[idx] == Kind.NUMERIC) {
      return offsets[idx];
    }
    int hash = name.lastIndexOf('#');
    if (hash > 0) {
      int i = schema.indexOf(name.substring(0, hash));
      if (i >= 0 && kinds[i] == Kind.HASHED) {
        int k = parseIndex(name.substring(hash + 1));
        return k >= 0 && k < sizes[i] ? offsets[i] + k : -1;
      }
    }
    if (name.endsWith("]")) {
      int open = name.lastIndexOf('[');
      if (open > 0) {
        int i = schema.indexOf(name.substring(0, open));
        if (i >= 0 && kinds[i] == Kind.EMBEDDING) {
          int k = parseIndex(name.substring(open + 1, name.length() - 1));
          return k >= 0 && k < sizes[i] ? offsets[i] + k : -1;
        }
      }
    }
    for (int eq = name.indexOf('='); eq > 0; eq = name.indexOf('=', eq + 1)) {
      int i = schema.indexOf(name.substring(0, eq));
      if (i >= 0 && kinds[i] == Kind.ONE_HOT) {
        Integer k = vocab[i].get(name.substring(eq + 1));
        return k == null ? -1 : offsets[i] + k;
      }
    }
    return -1;
  }

  private static int parseIndex(String s) {
    if (s.isEmpty() || s.length() > 9) {
      return -1;
    }
    int v = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  /**
   * The names of the encoded columns, in column order (see {@link #columnName(int)}).
   *
   * @return an unmodifiable list of {@link #width()} names
   * @throws IllegalStateException when the encoder is wider than {@value #MAX_DENSE_NAMES} columns (use
   *     {@link #columnName(int)})
   */
  public List<String> columnNames() {
    List<String> names = columnNames;
    if (names == null) {
      if (width > MAX_DENSE_NAMES) {
        throw new IllegalStateException("the encoder has " + width + " columns; name them one at a time with "
            + "columnName(column)");
      }
      List<String> n = new ArrayList<>(width);
      for (int c = 0; c < width; c++) {
        n.add(columnName(c));
      }
      names = Collections.unmodifiableList(n);
      columnNames = names; // a race builds equal lists; either is kept
    }
    return names;
  }

  /**
   * A stable description of the input schema and encoding (fitted statistics included), stored with models.
   *
   * @return the signature
   */
  public String signature() {
    return signature;
  }

  /**
   * Rebuilds an encoder from its {@link #signature()} (as stored with a model).
   *
   * @param signature the signature
   * @return an encoder equal in behaviour to the one that produced it
   * @throws IllegalArgumentException if the text is not a signature this version understands
   */
  public static FeatureEncoder fromSignature(String signature) {
    if (signature == null) {
      throw new IllegalArgumentException("encoder signature is null");
    }
    String[] parts = signature.split("\\|", -1);
    boolean legacy = parts[0].equals(V1);
    if (parts.length < 2 || !(legacy || parts[0].equals(V2))) {
      throw new IllegalArgumentException("encoder signature '" + abbreviate(signature) + "' is not " + V1 + " or "
          + V2);
    }
    int first = 1;
    int seed = 0;
    if (!legacy) {
      if (!parts[1].startsWith("seed=") || !INT.matcher(parts[1].substring(5)).matches()) {
        throw new IllegalArgumentException("encoder signature part '" + abbreviate(parts[1])
            + "' is malformed; expected seed=<int>");
      }
      try {
        seed = Integer.parseInt(parts[1].substring(5));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("encoder signature part '" + parts[1] + "' has a seed out of range");
      }
      first = 2;
      if (parts.length < 3) {
        throw new IllegalArgumentException("encoder signature '" + abbreviate(signature) + "' names no feature");
      }
    }
    List<FeatureSpec> specs = new ArrayList<>();
    Map<String, Integer> hashed = new LinkedHashMap<>();
    Map<String, List<String>> oneHot = new LinkedHashMap<>();
    Set<String> std = new LinkedHashSet<>();
    List<double[]> stats = new ArrayList<>();
    boolean anyStats = false;
    for (int i = first; i < parts.length; i++) {
      String part = parts[i];
      int c1 = part.indexOf(':');
      int c2 = c1 < 0 ? -1 : part.indexOf(':', c1 + 1);
      if (c1 <= 0) {
        throw new IllegalArgumentException("encoder signature part '" + abbreviate(part) + "' is malformed");
      }
      String name = part.substring(0, c1);
      String typeText = c2 < 0 ? part.substring(c1 + 1) : part.substring(c1 + 1, c2);
      String option = c2 < 0 ? null : part.substring(c2 + 1);
      FeatureType type;
      try {
        type = FeatureType.valueOf(typeText);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("encoder signature part '" + abbreviate(part) + "' has the unknown type '"
            + abbreviate(typeText) + "'");
      }
      double[] st = null;
      if (type == FeatureType.EMBEDDING) {
        if (option == null) {
          throw new IllegalArgumentException("encoder signature part '" + part + "' lacks the dimension");
        }
        specs.add(FeatureSpec.embedding(name, positive(option, part)));
      } else {
        specs.add(FeatureSpec.of(name, type));
        if (option != null) {
          if (option.startsWith("hash")) {
            hashed.put(name, positive(option.substring(4), part));
          } else if (!legacy && option.startsWith("onehot(") && option.endsWith(")")) {
            String body = option.substring(7, option.length() - 1);
            List<String> cats = new ArrayList<>();
            {
              for (String c : body.split(",", -1)) {
                try {
                  cats.add(URLDecoder.decode(c, StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                  throw new IllegalArgumentException("encoder signature part '" + abbreviate(part)
                      + "' has a malformed category '" + abbreviate(c) + "'");
                }
              }
            }
            oneHot.put(name, cats);
          } else if (!legacy && option.equals("std")) {
            std.add(name);
          } else if (!legacy && option.startsWith("std(") && option.endsWith(")")) {
            std.add(name);
            String[] ms = option.substring(4, option.length() - 1).split(",", -1);
            st = new double[2];
            try {
              if (ms.length != 2) {
                throw new NumberFormatException();
              }
              st[0] = Double.parseDouble(ms[0]);
              st[1] = Double.parseDouble(ms[1]);
            } catch (NumberFormatException e) {
              st[1] = -1;
            }
            if (!Double.isFinite(st[0]) || !(st[1] > 0) || Double.isInfinite(st[1])) {
              throw new IllegalArgumentException("encoder signature part '" + abbreviate(part)
                  + "' has statistics '" + abbreviate(option) + "'; expected std(<finite mean>,<positive sd>)");
            }
            anyStats = true;
          } else {
            throw new IllegalArgumentException("encoder signature part '" + abbreviate(part) + "' is malformed");
          }
        }
      }
      stats.add(st);
    }
    Builder b;
    try {
      b = builder(FeatureSchema.of(specs));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("encoder signature '" + abbreviate(signature) + "' is not valid: "
          + e.getMessage(), e);
    }
    hashed.forEach(b::hashed);
    oneHot.forEach(b::oneHot);
    b.standardize(std.toArray(new String[0]));
    b.seed = seed;
    b.legacy = legacy;
    double[] m = null;
    double[] s = null;
    if (anyStats) {
      m = new double[specs.size()];
      s = new double[specs.size()];
      for (int i = 0; i < specs.size(); i++) {
        if (std.contains(specs.get(i).name())) {
          double[] st = stats.get(i);
          if (st == null) {
            throw new IllegalArgumentException("encoder signature '" + abbreviate(signature)
                + "' fits some standardized columns but not '" + specs.get(i).name() + "'");
          }
          m[i] = st[0];
          s[i] = st[1];
        }
      }
    }
    FeatureEncoder e = b.build(m, s);
    if (!e.signature().equals(signature)) {
      throw new IllegalArgumentException("encoder signature '" + abbreviate(signature) + "' does not round-trip");
    }
    return e;
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...(" + s.length() + " chars)";
  }

  /** A positive decimal count of a signature part (a dimension or a bucket count). */
  private static int positive(String digits, String part) {
    int v;
    try {
      v = COUNT.matcher(digits).matches() ? Integer.parseInt(digits) : -1;
    } catch (NumberFormatException e) {
      v = -1;
    }
    if (v <= 0) {
      throw new IllegalArgumentException("encoder signature part '" + abbreviate(part) + "' has the count '"
          + abbreviate(digits) + "'; expected a positive integer");
    }
    return v;
  }

  /**
   * Checks that a feature provider (a feature service's schema) supplies every input feature with the same
   * type and dimension.
   *
   * @param provider the provider's schema
   * @throws IllegalArgumentException naming the first missing or mistyped feature
   */
  public void checkProvidedBy(FeatureSchema provider) {
    Objects.requireNonNull(provider, "provider");
    schema.checkProvidedBy(provider, "encoder", "feature source");
  }

  private void requireFitted() {
    if (!fitted) {
      throw new IllegalStateException("the encoder standardizes " + standardizedSet()
          + " but was not fitted; call fit(trainingFrame) first (trainers do it themselves)");
    }
  }

  /**
   * Encodes one feature vector into a dense row (serving path).
   *
   * @param vector the features; its schema must provide every input feature (it may hold more)
   * @param out the destination, at least {@code offset + width()} long
   * @param offset where the row starts in {@code out}
   * @throws IllegalArgumentException if a feature is absent from the vector's schema, mistyped or not finite
   */
  public void encode(FeatureVector vector, double[] out, int offset) {
    requireFitted();
    Mapping m = mappingFor(vector.schema());
    encodeRow(new VectorRow(vector), m.columns, out, offset);
  }

  /**
   * Encodes one feature vector into a new dense row.
   *
   * @param vector the features
   * @return a row of {@link #width()} values
   */
  public double[] encode(FeatureVector vector) {
    double[] out = new double[width];
    encode(vector, out, 0);
    return out;
  }

  /**
   * Encodes every row of a frame densely (training path of dense encoders); the same routine as
   * {@link #encode(FeatureVector, double[], int)}.
   *
   * @param frame the frame; its schema must provide every input feature
   * @return {@code frame.rowCount()} rows of {@link #width()} values
   * @throws IllegalArgumentException when the dense rows would exceed 2^28 values (use {@link #encodeSparse})
   */
  public double[][] encode(FeatureFrame frame) {
    requireFitted();
    if ((long) frame.rowCount() * width > (1L << 28)) {
      throw new IllegalArgumentException("dense rows of " + frame.rowCount() + " x " + width
          + " values are too large; expected at most 2^28 values (use encodeSparse)");
    }
    Mapping m = mappingFor(frame.schema());
    double[][] rows = new double[frame.rowCount()][width];
    FrameRow acc = new FrameRow(frame);
    for (int r = 0; r < rows.length; r++) {
      acc.row = r;
      encodeRow(acc, m.columns, rows[r], 0);
    }
    return rows;
  }

  /**
   * Encodes every row of a frame as sparse rows: present values only (a present numeric zero is kept);
   * missing values, hashed and one-hot columns not set are absent.
   *
   * @param frame the frame; its schema must provide every input feature
   * @return the rows
   */
  public SparseRows encodeSparse(FeatureFrame frame) {
    requireFitted();
    Mapping m = mappingFor(frame.schema());
    SparseRows.Builder b = new SparseRows.Builder(width, frame.rowCount(), frame.rowCount() * schema.size());
    FrameRow acc = new FrameRow(frame);
    for (int r = 0; r < frame.rowCount(); r++) {
      acc.row = r;
      encodeSparseRow(acc, m.columns, b);
      b.endRow();
    }
    return b.build();
  }

  /** Sparse rows of many vectors (the serving path of sparse encoders). */
  SparseRows encodeSparse(List<FeatureVector> vectors) {
    requireFitted();
    SparseRows.Builder b = new SparseRows.Builder(width, vectors.size(), vectors.size() * schema.size());
    for (FeatureVector v : vectors) {
      Mapping m = mappingFor(v.schema());
      encodeSparseRow(new VectorRow(v), m.columns, b);
      b.endRow();
    }
    return b.build();
  }

  /**
   * Whether every input is a plain numeric column (no hashing, one-hot, embedding or standardization): then
   * column {@code j} of a row is input {@code j}, and scorers may read {@link FeatureVector#asDouble}.
   */
  boolean scalarOnly() {
    return scalarOnly;
  }

  /** The positions in {@code source} of the inputs, in input order (validated and cached). */
  int[] columnsIn(FeatureSchema source) {
    return mappingFor(source).columns;
  }

  /**
   * Encodes many vectors into one row-major float matrix ({@code out[i * width + j]}), the serving
   * path of dense tree models. Numeric-only encoders read each value once, straight into the matrix; the
   * checks and the missing-value rule are those of {@link #encode(FeatureVector, double[], int)}.
   */
  void encodeAll(List<FeatureVector> vectors, float[] out) {
    int n = vectors.size();
    if (scalarOnly() && n > 0) {
      FeatureSchema source = vectors.get(0).schema();
      int[] cols = columnsIn(source);
      int w = cols.length;
      for (int i = 0; i < n; i++) {
        FeatureVector v = vectors.get(i);
        if (v.schema() != source) {
          source = v.schema();
          cols = columnsIn(source);
        }
        int o = i * w;
        double sum = 0;
        for (int j = 0; j < w; j++) {
          double x = v.asDouble(cols[j]);
          sum += x;
          out[o + j] = (float) x;
        }
        if (sum - sum != 0) {
          // a missing value (NaN, allowed), or a non-finite input (refused), or an overflow of the sum
          for (int j = 0; j < w; j++) {
            checkedValue(v, cols[j], j);
          }
        }
      }
      return;
    }
    double[] row = new double[width];
    for (int i = 0; i < n; i++) {
      encode(vectors.get(i), row, 0);
      for (int j = 0; j < width; j++) {
        out[i * width + j] = (float) row[j];
      }
    }
  }

  /**
   * Input {@code input} of a vector, read at its column {@code col} of the vector's schema, under the
   * encoder's rule: NaN when missing; a present NaN or an infinite value is refused.
   */
  double checkedValue(FeatureVector v, int col, int input) {
    double x = v.asDouble(col);
    if (x - x != 0 && (x == x || v.isPresent(col))) {
      throw notFinite(input, x);
    }
    return x;
  }

  /** The encoder's error for a non-finite input value. */
  private IllegalArgumentException notFinite(int input, double v) {
    return new IllegalArgumentException(
        "feature '" + schema.get(input).name() + "' is " + v + "; expected a finite value (or missing)");
  }

  private Mapping mappingFor(FeatureSchema source) {
    Mapping m = lastMapping;
    if (m != null && m.source == source) {
      return m;
    }
    checkProvidedBy(source);
    int[] cols = new int[schema.size()];
    for (int i = 0; i < cols.length; i++) {
      cols[i] = source.require(schema.get(i).name());
    }
    m = new Mapping(source, cols);
    lastMapping = m;
    return m;
  }

  /** The column within input {@code i}'s block set by a present category, or -1 (none); sign in {@code sign[0]}. */
  private int categoryColumn(Row row, int c, int i, double[] sign) {
    FeatureSpec spec = schema.get(i);
    sign[0] = 1;
    if (kinds[i] == Kind.ONE_HOT) {
      String key = spec.type() == FeatureType.STRING ? row.string(c) : Long.toString(row.longValue(c));
      Integer k = vocab[i].get(key);
      return k == null ? -1 : k;
    }
    int h;
    if (spec.type() == FeatureType.STRING) {
      String s = row.string(c);
      if (!legacy && s.isEmpty()) {
        return -1; // the empty string is missing, not a category
      }
      h = hash(s, seed);
    } else {
      h = hash(row.longValue(c), seed);
    }
    if (legacy) {
      return Math.floorMod(h, sizes[i]);
    }
    sign[0] = h < 0 ? -1 : 1;
    return Math.floorMod(h & 0x7fffffff, sizes[i]);
  }

  /**
   * Where a row's values go: a dense row (absent = the value {@code fill} writes) or sparse rows (only the values
   * {@code set} writes).
   */
  private interface Sink {
    void set(int column, double value);

    /** Columns {@code [from, to)} hold {@code value} unless set (0 for categories, NaN for missing). */
    void fill(int from, int to, double value);
  }

  private void encodeRow(Row row, int[] cols, double[] out, int offset) {
    encodeRow(row, cols, new Sink() {
      @Override
      public void set(int column, double value) {
        out[offset + column] = value;
      }

      @Override
      public void fill(int from, int to, double value) {
        Arrays.fill(out, offset + from, offset + to, value);
      }
    });
  }

  private void encodeSparseRow(Row row, int[] cols, SparseRows.Builder out) {
    encodeRow(row, cols, new Sink() {
      @Override
      public void set(int column, double value) {
        out.add(column, value);
      }

      @Override
      public void fill(int from, int to, double value) {
        // absent from a sparse row: a category not set, a missing value
      }
    });
  }

  /** The one encoding routine of dense and sparse rows: checks, categories, standardization. */
  private void encodeRow(Row row, int[] cols, Sink out) {
    double[] sign = new double[1];
    for (int i = 0; i < cols.length; i++) {
      int c = cols[i];
      int o = offsets[i];
      FeatureSpec spec = schema.get(i);
      switch (kinds[i]) {
        case HASHED:
        case ONE_HOT: {
          out.fill(o, o + sizes[i], 0.0);
          if (row.isPresent(c)) {
            int k = categoryColumn(row, c, i, sign);
            if (k >= 0) {
              out.set(o + k, sign[0]);
            }
          }
          break;
        }
        case EMBEDDING: {
          int d = spec.dimension();
          if (!row.isPresent(c)) {
            out.fill(o, o + d, Double.NaN);
          } else {
            float[] e = row.embedding(c);
            for (int k = 0; k < d; k++) {
              if (!Float.isFinite(e[k])) {
                throw new IllegalArgumentException(
                    "feature '" + spec.name() + "' component " + k + " is " + e[k] + "; expected a finite value");
              }
              out.set(o + k, e[k]);
            }
          }
          break;
        }
        default: {
          double v = row.number(c);
          if (Double.isInfinite(v) || (Double.isNaN(v) && row.isPresent(c))) {
            throw notFinite(i, v);
          }
          if (v == v) {
            out.set(o, standardized[i] ? (v - means[i]) / sds[i] : v);
          } else {
            out.fill(o, o + 1, Double.NaN);
          }
        }
      }
    }
  }

  /** MurmurHash3 x86_32 of the UTF-8 bytes with seed 0 (the v1 encoding). */
  static int hash(String s) {
    return hash(s, 0);
  }

  /** MurmurHash3 x86_32 of the UTF-8 bytes. */
  static int hash(String s, int seed) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int h = seed;
    int n = b.length & ~3;
    for (int i = 0; i < n; i += 4) {
      int k = (b[i] & 0xff) | (b[i + 1] & 0xff) << 8 | (b[i + 2] & 0xff) << 16 | (b[i + 3] & 0xff) << 24;
      h = mixH(h, mixK(k));
    }
    int k = 0;
    switch (b.length & 3) {
      case 3:
        k ^= (b[n + 2] & 0xff) << 16;
        // fall through
      case 2:
        k ^= (b[n + 1] & 0xff) << 8;
        // fall through
      case 1:
        k ^= b[n] & 0xff;
        h ^= mixK(k);
        break;
      default:
        break;
    }
    return fmix(h ^ b.length);
  }

  /** MurmurHash3 x86_32 of a long's 8 little-endian bytes with seed 0 (the v1 encoding). */
  static int hash(long v) {
    return hash(v, 0);
  }

  static int hash(long v, int seed) {
    int h = mixH(seed, mixK((int) v));
    h = mixH(h, mixK((int) (v >>> 32)));
    return fmix(h ^ 8);
  }

  private static int mixK(int k) {
    k *= 0xcc9e2d51;
    k = Integer.rotateLeft(k, 15);
    return k * 0x1b873593;
  }

  private static int mixH(int h, int k) {
    h ^= k;
    h = Integer.rotateLeft(h, 13);
    return h * 5 + 0xe6546b64;
  }

  private static int fmix(int h) {
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    return h ^ (h >>> 16);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureEncoder && ((FeatureEncoder) o).signature.equals(signature);
  }

  @Override
  public int hashCode() {
    return signature.hashCode();
  }

  @Override
  public String toString() {
    return "FeatureEncoder{width=" + width + ", " + abbreviate(signature) + "}";
  }

  private static final class Mapping {
    final FeatureSchema source;
    final int[] columns;

    Mapping(FeatureSchema source, int[] columns) {
      this.source = source;
      this.columns = columns;
    }
  }

  private interface Row {
    boolean isPresent(int c);

    double number(int c);

    long longValue(int c);

    String string(int c);

    float[] embedding(int c);
  }

  private static final class VectorRow implements Row {
    final FeatureVector v;

    VectorRow(FeatureVector v) {
      this.v = v;
    }

    @Override
    public boolean isPresent(int c) {
      return v.isPresent(c);
    }

    @Override
    public double number(int c) {
      return v.asDouble(c);
    }

    @Override
    public long longValue(int c) {
      return v.getLong(c, 0L);
    }

    @Override
    public String string(int c) {
      return v.getString(c);
    }

    @Override
    public float[] embedding(int c) {
      return v.getEmbedding(c);
    }
  }

  private static final class FrameRow implements Row {
    final FeatureFrame f;
    int row;

    FrameRow(FeatureFrame f) {
      this.f = f;
    }

    @Override
    public boolean isPresent(int c) {
      return f.isPresent(row, c);
    }

    @Override
    public double number(int c) {
      return f.asDouble(row, c);
    }

    @Override
    public long longValue(int c) {
      return f.getLong(row, c, 0L);
    }

    @Override
    public String string(int c) {
      return f.getString(row, c);
    }

    @Override
    public float[] embedding(int c) {
      return f.getEmbedding(row, c);
    }
  }

  /**
   * Declares how features are encoded.
   *
   * <p>Thread-safety: not thread-safe; build on one thread.
   */
  public static final class Builder {
    private final FeatureSchema schema;
    private final Map<String, Integer> hashed = new LinkedHashMap<>();
    private final Map<String, List<String>> oneHot = new LinkedHashMap<>();
    private final Set<String> standardize = new LinkedHashSet<>();
    private int seed;
    private boolean legacy;

    private Builder(FeatureSchema schema) {
      if (schema == null || schema.size() == 0) {
        throw new IllegalArgumentException("schema is " + schema + "; expected at least one feature");
      }
      for (FeatureSpec s : schema.specs()) {
        if (s.name().contains("|") || s.name().contains(":")) {
          throw new IllegalArgumentException("feature name '" + s.name() + "' contains '|' or ':'; not encodable");
        }
      }
      this.schema = schema;
    }

    private FeatureType categorical(String name, String how) {
      if (name == null || schema.indexOf(name) < 0) {
        throw new IllegalArgumentException("feature '" + name + "' is not in the schema " + schema);
      }
      FeatureType t = schema.get(schema.require(name)).type();
      if (t != FeatureType.STRING && t != FeatureType.LONG) {
        throw new IllegalArgumentException("feature '" + name + "' is " + t + "; expected STRING or LONG to " + how);
      }
      if (hashed.containsKey(name) || oneHot.containsKey(name)) {
        throw new IllegalArgumentException("feature '" + name + "' is already declared hashed or one-hot");
      }
      return t;
    }

    /**
     * Encodes a STRING or LONG feature with the hashing trick: one of {@code buckets} columns, holding +1 or
     * -1 (signed buckets).
     *
     * @param name the feature
     * @param buckets the bucket count, in [1, 1 &lt;&lt; 24]
     * @return this builder
     */
    public Builder hashed(String name, int buckets) {
      categorical(name, "hash");
      if (buckets < 1 || buckets > (1 << 24)) {
        throw new IllegalArgumentException("buckets for '" + name + "' is " + buckets + "; expected 1..16777216");
      }
      hashed.put(name, buckets);
      return this;
    }

    /**
     * Encodes a STRING or LONG feature as one column per listed category (LONG categories are their decimal
     * text); a category not listed sets no column.
     *
     * @param name the feature
     * @param categories the distinct, non-empty categories (1 to 1 &lt;&lt; 20 of them)
     * @return this builder
     */
    public Builder oneHot(String name, List<String> categories) {
      categorical(name, "one-hot encode");
      if (categories == null || categories.isEmpty() || categories.size() > (1 << 20)) {
        throw new IllegalArgumentException("categories of '" + name + "' is " + (categories == null ? "null"
            : categories.size() + " long") + "; expected a list of 1 to 1048576 categories");
      }
      Set<String> seen = new LinkedHashSet<>();
      for (String c : categories) {
        if (c == null || c.isEmpty() || !seen.add(c)) {
          throw new IllegalArgumentException("category '" + c + "' of '" + name
              + "' is null, empty or repeated; expected distinct non-empty categories");
        }
      }
      oneHot.put(name, List.copyOf(categories));
      return this;
    }

    /**
     * Standardizes numeric features, {@code (x - mean) / sd}, with statistics fitted on training data.
     *
     * @param names DOUBLE, LONG or BOOLEAN features
     * @return this builder
     */
    public Builder standardize(String... names) {
      for (String name : names) {
        if (name == null || schema.indexOf(name) < 0) {
          throw new IllegalArgumentException("feature '" + name + "' is not in the schema " + schema);
        }
        FeatureType t = schema.get(schema.require(name)).type();
        if (!t.isNumeric()) {
          throw new IllegalArgumentException("feature '" + name + "' is " + t + "; expected a numeric type to "
              + "standardize");
        }
        standardize.add(name);
      }
      return this;
    }

    /**
     * Standardizes every DOUBLE and LONG feature not declared hashed or one-hot.
     *
     * @return this builder
     */
    public Builder standardizeNumeric() {
      for (FeatureSpec s : schema.specs()) {
        if ((s.type() == FeatureType.DOUBLE || s.type() == FeatureType.LONG) && !hashed.containsKey(s.name())
            && !oneHot.containsKey(s.name())) {
          standardize.add(s.name());
        }
      }
      return this;
    }

    /**
     * Sets the seed of the hashing trick (default 0).
     *
     * @param v the seed
     * @return this builder
     */
    public Builder hashSeed(int v) {
      this.seed = v;
      return this;
    }

    /**
     * Builds the encoder.
     *
     * @return the encoder
     * @throws IllegalArgumentException if a STRING feature was not declared hashed or one-hot, or the rows
     *     would have more columns than a Java array holds ({@code Integer.MAX_VALUE - 8})
     */
    public FeatureEncoder build() {
      return build(null, null);
    }

    FeatureEncoder build(double[] means, double[] sds) {
      for (FeatureSpec s : schema.specs()) {
        if (s.type() == FeatureType.STRING && !hashed.containsKey(s.name()) && !oneHot.containsKey(s.name())) {
          throw new IllegalArgumentException(
              "feature '" + s.name() + "' is STRING; declare it hashed(name, buckets) or oneHot(name, categories)");
        }
        if (standardize.contains(s.name()) && (hashed.containsKey(s.name()) || oneHot.containsKey(s.name()))) {
          throw new IllegalArgumentException("feature '" + s.name() + "' cannot be both categorical and standardized");
        }
      }
      return new FeatureEncoder(schema, legacy, seed, hashed, oneHot, standardize, means, sds);
    }
  }
}
