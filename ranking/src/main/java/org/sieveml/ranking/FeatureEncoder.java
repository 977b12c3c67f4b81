package org.sieveml.ranking;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * Turns core feature vectors (online reads) and feature frames (training data) into the dense numeric
 * rows that every ranker in this module trains and scores on. Training and serving go through the same
 * private row routine, so the two cannot diverge.
 *
 * <p>Encoding, per input feature in schema order:
 * <ul>
 *   <li>DOUBLE, LONG, BOOLEAN (numeric, the default): one column holding the value (BOOLEAN as 1/0); a
 *       missing value becomes {@link Double#NaN}, which the tree models route along their learned
 *       default branch and the linear models treat as absent (contributes 0).
 *   <li>STRING, or LONG declared {@link Builder#hashed(String, int) hashed}: a block of {@code buckets}
 *       one-hot columns; the category's bucket is {@code floorMod(murmur3(value), buckets)}. Unseen
 *       categories therefore need no vocabulary (they share a bucket with whatever hashes alike); a
 *       missing category sets no bucket. A STRING feature must be declared hashed.
 *   <li>EMBEDDING: {@code dimension} columns; a missing embedding becomes NaN in each.
 * </ul>
 * A present value that is NaN or infinite is rejected with an {@link IllegalArgumentException} naming the
 * feature and the value: the encoder never lets a non-finite input turn into a silently wrong score.
 *
 * <p>Feature names must not contain {@code |} or {@code :} (the signature's separators).
 *
 * <p>{@link #signature()} is a stable text describing the input schema and the encoding; models store it
 * and refuse to load against an encoder with a different one.
 *
 * <p>Thread-safety: immutable and safe for concurrent use.
 */
public final class FeatureEncoder {
  /** The most columns an encoder's rows may have (every column is a slot of a Java array). */
  static final int MAX_WIDTH = Integer.MAX_VALUE - 8;
  private static final java.util.regex.Pattern COUNT = java.util.regex.Pattern.compile("[1-9][0-9]{0,9}");

  private final FeatureSchema schema;
  private final int[] buckets; // 0 = numeric/embedding, >0 = hashed block size
  private final int[] offsets;
  private final int width;
  /** Built on first use: a model that never asks for them (tree models) pays nothing for wide encoders. */
  private volatile List<String> columnNames;
  private final String signature;
  private final boolean scalarOnly;
  private volatile Mapping lastMapping;

  private FeatureEncoder(FeatureSchema schema, int[] buckets) {
    this.schema = schema;
    this.buckets = buckets;
    this.offsets = new int[schema.size()];
    StringBuilder sig = new StringBuilder("sieveml-encoder-v1");
    long w = 0;
    for (int i = 0; i < schema.size(); i++) {
      FeatureSpec spec = schema.get(i);
      offsets[i] = (int) Math.min(w, Integer.MAX_VALUE);
      sig.append('|').append(spec.name()).append(':').append(spec.type());
      if (buckets[i] > 0) {
        sig.append(":hash").append(buckets[i]);
        w += buckets[i];
      } else if (spec.type() == FeatureType.EMBEDDING) {
        sig.append(':').append(spec.dimension());
        w += spec.dimension();
      } else {
        w += 1;
      }
    }
    if (w > MAX_WIDTH) {
      throw new IllegalArgumentException("the encoder's rows would have " + w + " columns; expected at most "
          + MAX_WIDTH + " (fewer hashed buckets or smaller embeddings)");
    }
    this.width = (int) w;
    this.signature = sig.toString();
    boolean scalar = width == schema.size();
    for (int i = 0; i < schema.size() && scalar; i++) {
      scalar = buckets[i] == 0 && schema.get(i).type().isNumeric();
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
   * The names of the encoded columns, in column order ({@code name}, {@code name#bucket} or
   * {@code name[d]}).
   *
   * @return an unmodifiable list of {@link #width()} names
   */
  public List<String> columnNames() {
    List<String> names = columnNames;
    if (names == null) {
      List<String> n = new ArrayList<>(width);
      for (int i = 0; i < schema.size(); i++) {
        FeatureSpec spec = schema.get(i);
        if (buckets[i] > 0) {
          for (int b = 0; b < buckets[i]; b++) {
            n.add(spec.name() + "#" + b);
          }
        } else if (spec.type() == FeatureType.EMBEDDING) {
          for (int d = 0; d < spec.dimension(); d++) {
            n.add(spec.name() + "[" + d + "]");
          }
        } else {
          n.add(spec.name());
        }
      }
      names = Collections.unmodifiableList(n);
      columnNames = names; // a race builds equal lists; either is kept
    }
    return names;
  }

  /**
   * A stable description of the input schema and encoding, stored with models for compatibility checks.
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
    if (parts.length < 2 || !parts[0].equals("sieveml-encoder-v1")) {
      throw new IllegalArgumentException("encoder signature '" + signature + "' is not sieveml-encoder-v1");
    }
    List<FeatureSpec> specs = new ArrayList<>();
    Map<String, Integer> hashed = new LinkedHashMap<>();
    for (int i = 1; i < parts.length; i++) {
      String[] t = parts[i].split(":", -1);
      if (t.length < 2 || t.length > 3) {
        throw new IllegalArgumentException("encoder signature part '" + parts[i] + "' is malformed");
      }
      FeatureType type;
      try {
        type = FeatureType.valueOf(t[1]);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("encoder signature part '" + parts[i] + "' has the unknown type '" + t[1]
            + "'");
      }
      if (type == FeatureType.EMBEDDING) {
        if (t.length != 3) {
          throw new IllegalArgumentException("encoder signature part '" + parts[i] + "' lacks the dimension");
        }
        specs.add(FeatureSpec.embedding(t[0], positive(t[2], parts[i])));
      } else {
        specs.add(FeatureSpec.of(t[0], type));
        if (t.length == 3) {
          if (!t[2].startsWith("hash")) {
            throw new IllegalArgumentException("encoder signature part '" + parts[i] + "' is malformed");
          }
          if (hashed.put(t[0], positive(t[2].substring(4), parts[i])) != null) {
            throw new IllegalArgumentException("encoder signature names '" + t[0] + "' twice");
          }
        }
      }
    }
    Builder b = builder(FeatureSchema.of(specs));
    hashed.forEach(b::hashed);
    FeatureEncoder e = b.build();
    if (!e.signature().equals(signature)) {
      throw new IllegalArgumentException("encoder signature '" + signature + "' does not round-trip");
    }
    return e;
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
      throw new IllegalArgumentException("encoder signature part '" + part + "' has the count '" + digits
          + "'; expected a positive integer");
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

  /**
   * Encodes one feature vector (serving path).
   *
   * @param vector the features; its schema must provide every input feature (it may hold more)
   * @param out the destination, at least {@code offset + width()} long
   * @param offset where the row starts in {@code out}
   * @throws IllegalArgumentException if a feature is absent from the vector's schema, mistyped or not finite
   */
  public void encode(FeatureVector vector, double[] out, int offset) {
    Mapping m = mappingFor(vector.schema());
    encodeRow(new VectorRow(vector), m.columns, out, offset);
  }

  /**
   * Encodes one feature vector into a new row.
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
   * Encodes every row of a training frame (training path); the same routine as {@link #encode(FeatureVector,
   * double[], int)}.
   *
   * @param frame the frame; its schema must provide every input feature
   * @return {@code frame.rowCount()} rows of {@link #width()} values
   */
  public double[][] encode(FeatureFrame frame) {
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
   * Whether every input is a plain numeric column (no hashing, no embedding): then column {@code j}
   * of a row is input {@code j}, and scorers may read {@link FeatureVector#asDouble} directly.
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
   * path of tree models. Numeric-only encoders read each value once, straight into the matrix; the
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

  private void encodeRow(Row row, int[] cols, double[] out, int offset) {
    for (int i = 0; i < cols.length; i++) {
      int c = cols[i];
      int o = offset + offsets[i];
      FeatureSpec spec = schema.get(i);
      if (buckets[i] > 0) {
        int n = buckets[i];
        java.util.Arrays.fill(out, o, o + n, 0.0);
        if (row.isPresent(c)) {
          int h = spec.type() == FeatureType.STRING ? hash(row.string(c)) : hash(row.longValue(c));
          out[o + Math.floorMod(h, n)] = 1.0;
        }
      } else if (spec.type() == FeatureType.EMBEDDING) {
        int d = spec.dimension();
        if (!row.isPresent(c)) {
          java.util.Arrays.fill(out, o, o + d, Double.NaN);
        } else {
          float[] e = row.embedding(c);
          for (int k = 0; k < d; k++) {
            if (!Float.isFinite(e[k])) {
              throw new IllegalArgumentException(
                  "feature '" + spec.name() + "' component " + k + " is " + e[k] + "; expected a finite value");
            }
            out[o + k] = e[k];
          }
        }
      } else {
        double v = row.number(c);
        if (Double.isInfinite(v) || (Double.isNaN(v) && row.isPresent(c))) {
          throw notFinite(i, v);
        }
        out[o] = v;
      }
    }
  }

  /** MurmurHash3 x86_32 of the UTF-8 bytes, seed 0. */
  static int hash(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int h = 0;
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

  static int hash(long v) {
    int h = mixH(0, mixK((int) v));
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
  public String toString() {
    return "FeatureEncoder{width=" + width + ", " + signature + "}";
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

    /**
     * Encodes a STRING or LONG feature as a one-hot block of hashed buckets.
     *
     * @param name the feature
     * @param buckets the bucket count, in [1, 1 &lt;&lt; 24]
     * @return this builder
     */
    public Builder hashed(String name, int buckets) {
      FeatureType t = schema.get(schema.require(name)).type();
      if (t != FeatureType.STRING && t != FeatureType.LONG) {
        throw new IllegalArgumentException("feature '" + name + "' is " + t + "; expected STRING or LONG to hash");
      }
      if (buckets < 1 || buckets > (1 << 24)) {
        throw new IllegalArgumentException("buckets for '" + name + "' is " + buckets + "; expected 1..16777216");
      }
      hashed.put(name, buckets);
      return this;
    }

    /**
     * Builds the encoder.
     *
     * @return the encoder
     * @throws IllegalArgumentException if a STRING feature was not declared hashed, or the encoded rows would
     *     have more columns than a Java array holds ({@code Integer.MAX_VALUE - 8})
     */
    public FeatureEncoder build() {
      int[] b = new int[schema.size()];
      for (int i = 0; i < b.length; i++) {
        FeatureSpec s = schema.get(i);
        Integer n = hashed.get(s.name());
        if (n != null) {
          b[i] = n;
        } else if (s.type() == FeatureType.STRING) {
          throw new IllegalArgumentException(
              "feature '" + s.name() + "' is STRING; declare it hashed(name, buckets)");
        }
      }
      return new FeatureEncoder(schema, b);
    }
  }
}
