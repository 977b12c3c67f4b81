package org.sieveml.ranking;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * How a model was made: the trainer, its parameters and seed, a fingerprint of the training data (SHA-256 over
 * the encoded rows, labels, weights and groups, so two models trained on the same data carry the same
 * fingerprint), the number of training rows, the versions of the libraries that trained it, and when.
 *
 * <p>Stored with the model by {@link ModelRegistry}; a model loaded from the registry carries the provenance
 * it was registered with.
 *
 * <p>Thread-safety: immutable; safe for concurrent use.
 */
public final class ModelProvenance {
  private final String trainer;
  private final Map<String, String> parameters;
  private final long seed;
  private final String dataFingerprint;
  private final long trainingRows;
  private final Map<String, String> libraries;
  private final Instant trainedAt;

  private ModelProvenance(String trainer, Map<String, String> parameters, long seed, String dataFingerprint,
      long trainingRows, Map<String, String> libraries, Instant trainedAt) {
    this.trainer = Objects.requireNonNull(trainer, "trainer");
    this.parameters = Collections.unmodifiableMap(new TreeMap<>(parameters));
    this.seed = seed;
    this.dataFingerprint = Objects.requireNonNull(dataFingerprint, "dataFingerprint");
    this.trainingRows = trainingRows;
    this.libraries = Collections.unmodifiableMap(new TreeMap<>(libraries));
    this.trainedAt = Objects.requireNonNull(trainedAt, "trainedAt");
  }

  static ModelProvenance of(String trainer, Map<String, String> parameters, long seed, String dataFingerprint,
      long trainingRows, String... libraries) {
    Map<String, String> libs = new TreeMap<>();
    libs.put("sieveml-ranking", version("org.sieveml", "sieveml-ranking", ModelProvenance.class));
    for (String lib : libraries) {
      switch (lib) {
        case "tribuo":
          libs.put("tribuo", org.tribuo.Tribuo.VERSION);
          break;
        case "xgboost4j":
          libs.put("xgboost4j", version("ml.dmlc", "xgboost4j_2.12", ml.dmlc.xgboost4j.java.Booster.class));
          break;
        default:
          throw new IllegalArgumentException(lib);
      }
    }
    return new ModelProvenance(trainer, parameters, seed, dataFingerprint, trainingRows, libs, Instant.now());
  }

  /**
   * A stand-in for a model stored before provenance was recorded: the trainer named by the caller, the data
   * fingerprint replaced by the model bytes' checksum, seed 0, 0 rows, no libraries, trained at the epoch.
   */
  static ModelProvenance restored(String trainer, Map<String, String> parameters, String sha256) {
    return new ModelProvenance(trainer, parameters, 0, sha256, 0, Map.of(), Instant.EPOCH);
  }

  /** The version in a jar's Maven metadata, else the package's implementation version, else "unknown". */
  private static String version(String group, String artifact, Class<?> anchor) {
    try (InputStream in = anchor.getResourceAsStream("/META-INF/maven/" + group + "/" + artifact
        + "/pom.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null) {
          return v;
        }
      }
    } catch (IOException e) {
      // fall through
    }
    String v = anchor.getPackage() == null ? null : anchor.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }

  /**
   * The trainer (e.g. {@code xgboost4j gbtree}, {@code tribuo LinearSGDTrainer}).
   *
   * @return the trainer
   */
  public String trainer() {
    return trainer;
  }

  /**
   * The trainer's parameters, by name, sorted.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> parameters() {
    return parameters;
  }

  /**
   * The random seed.
   *
   * @return the seed
   */
  public long seed() {
    return seed;
  }

  /**
   * The SHA-256 (hex) of the encoded training rows, labels, weights and groups.
   *
   * @return the fingerprint
   */
  public String dataFingerprint() {
    return dataFingerprint;
  }

  /**
   * The number of training rows.
   *
   * @return the row count
   */
  public long trainingRows() {
    return trainingRows;
  }

  /**
   * The versions of the libraries that trained the model, by name, sorted.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> libraries() {
    return libraries;
  }

  /**
   * When training finished.
   *
   * @return the instant
   */
  public Instant trainedAt() {
    return trainedAt;
  }

  /** The provenance as flat text properties (stored in the registry's manifest). */
  Map<String, String> toProperties() {
    Map<String, String> p = new TreeMap<>();
    p.put("trainer", trainer);
    p.put("seed", Long.toString(seed));
    p.put("data", dataFingerprint);
    p.put("rows", Long.toString(trainingRows));
    p.put("trainedAt", trainedAt.toString());
    parameters.forEach((k, v) -> p.put("param." + k, v));
    libraries.forEach((k, v) -> p.put("lib." + k, v));
    return p;
  }

  /** Parses {@link #toProperties()}; a missing or malformed field is refused naming it. */
  static ModelProvenance fromProperties(Map<String, String> p) {
    Map<String, String> params = new TreeMap<>();
    Map<String, String> libs = new TreeMap<>();
    p.forEach((k, v) -> {
      if (k.startsWith("param.")) {
        params.put(k.substring(6), v);
      } else if (k.startsWith("lib.")) {
        libs.put(k.substring(4), v);
      }
    });
    String data = field(p, "data");
    if (!data.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("provenance field 'data' is '" + data + "'; expected 64 hex digits");
    }
    long seed;
    long rows;
    Instant at;
    try {
      seed = Long.parseLong(field(p, "seed"));
      rows = Long.parseLong(field(p, "rows"));
      at = Instant.parse(field(p, "trainedAt"));
    } catch (NumberFormatException | java.time.format.DateTimeParseException e) {
      throw new IllegalArgumentException("provenance has a malformed seed, rows or trainedAt: " + e.getMessage());
    }
    if (rows < 0) {
      throw new IllegalArgumentException("provenance field 'rows' is " + rows + "; expected >= 0");
    }
    return new ModelProvenance(field(p, "trainer"), params, seed, data, rows, libs, at);
  }

  private static String field(Map<String, String> p, String k) {
    String v = p.get(k);
    if (v == null) {
      throw new IllegalArgumentException("provenance lacks the field '" + k + "'");
    }
    return v;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof ModelProvenance)) {
      return false;
    }
    ModelProvenance m = (ModelProvenance) o;
    return trainer.equals(m.trainer) && parameters.equals(m.parameters) && seed == m.seed
        && dataFingerprint.equals(m.dataFingerprint) && trainingRows == m.trainingRows
        && libraries.equals(m.libraries) && trainedAt.equals(m.trainedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(trainer, parameters, seed, dataFingerprint, trainingRows, libraries, trainedAt);
  }

  @Override
  public String toString() {
    return trainer + " " + parameters + " seed=" + seed + " rows=" + trainingRows + " data=sha256:"
        + dataFingerprint.substring(0, 12) + " " + libraries + " at " + trainedAt;
  }

  /** SHA-256 over training data, fed in pieces. Not thread-safe. */
  static final class Fingerprint {
    private final MessageDigest md;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 14).order(ByteOrder.LITTLE_ENDIAN);

    Fingerprint() {
      try {
        md = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException(e);
      }
    }

    Fingerprint add(String s) {
      byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      addInt(b.length);
      flush();
      md.update(b);
      return this;
    }

    Fingerprint add(double[] v) {
      if (v == null) {
        addInt(-1);
        return this;
      }
      addInt(v.length);
      for (double d : v) {
        if (buf.remaining() < 8) {
          flush();
        }
        buf.putDouble(d);
      }
      return this;
    }

    Fingerprint add(int[] v) {
      if (v == null) {
        addInt(-1);
        return this;
      }
      addInt(v.length);
      for (int d : v) {
        addInt(d);
      }
      return this;
    }

    Fingerprint add(double[][] rows) {
      addInt(rows.length);
      for (double[] r : rows) {
        add(r);
      }
      return this;
    }

    Fingerprint add(SparseRows rows) {
      addInt(rows.width());
      add(rows.rowStartArray());
      add(rows.columnArray());
      add(rows.valueArray());
      return this;
    }

    private void addInt(int v) {
      if (buf.remaining() < 4) {
        flush();
      }
      buf.putInt(v);
    }

    private void flush() {
      buf.flip();
      md.update(buf);
      buf.clear();
    }

    String hex() {
      flush();
      return HexFormat.of().formatHex(md.digest());
    }
  }
}
