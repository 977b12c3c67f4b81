package org.sieveml.ranking;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Pattern;
import org.sieveml.core.FeatureSchema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model registry on the local file system: versioned models with their provenance, metrics, feature
 * service version, encoder signature and SHA-256 checksum, and the stages candidate, production and
 * archived.
 *
 * <p>Layout under the root: {@code <name>/v<version>/model.bin} and {@code manifest.properties} (written
 * to a temporary directory, fsynced, then renamed into place, so a version is either complete or absent),
 * and {@code <name>/STAGES}, a small checksummed file naming the production version and the stack of
 * previous production versions. Promotion and rollback rewrite {@code STAGES} to a temporary file, fsync
 * it and atomically rename it over the old one: a crash at any point leaves either the old or the new
 * production model, never a mix. Versions never in production are candidates; former production versions
 * are archived.
 *
 * <p>Each model kind has one codec: XGBoost model JSON for {@link GbdtRanker} (every objective, LambdaMART
 * included), Tribuo's protobuf for {@link LinearRanker}, {@link FmRanker} and {@link LinearRegressor} (only
 * the Tribuo classes each kind writes may be named in a file: Tribuo instantiates the class a file names),
 * and for a {@link CalibratedRanker} one container holding the base model (in its own codec), the calibration
 * and the down-sampling rate. Loading never runs Java deserialization; it verifies the file's checksum, the manifest's checksum
 * and that the given feature service schema provides every input the model needs, and fails with an
 * exception naming the model and version otherwise. Typed loads ({@link #loadProduction(String, Class)})
 * return the class the host deploys.
 *
 * <p>Manifest format 3 (this version) adds the codec's fields and the structured provenance; formats 1 and 2
 * still load. A crash ({@code kill -9}) or power loss during {@link #register} leaves the version absent or
 * complete; during {@link #promote} or {@link #rollback}, the old or the new production version.
 *
 * <p>Thread-safety: safe for concurrent use within one JVM (mutations are serialized); one process should
 * own mutations of a given root.
 */
public final class ModelRegistry {
  private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");
  /** The manifest format written: format 1 plus a last line {@code manifest.sha256=} over the lines before it. */
  private static final String FORMAT = "sieveml-model-registry-3";
  /** Format 2: the same checksum line, free-text provenance only, no codec fields. Still loads. */
  private static final String FORMAT_2 = "sieveml-model-registry-2";
  /** Manifests of format 1 (no checksum line) still load. */
  private static final String FORMAT_1 = "sieveml-model-registry-1";
  private static final String MANIFEST_SUM = "manifest.sha256=";
  private static final Pattern VERSION = Pattern.compile("[1-9][0-9]{0,9}");

  /** The lifecycle stage of a model version. */
  public enum Stage {
    /** Registered, never promoted. */
    CANDIDATE,
    /** The version served. */
    PRODUCTION,
    /** Formerly in production; a rollback target. */
    ARCHIVED
  }

  private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}@v[1-9][0-9]{0,9}");

  private final Path root;

  private ModelRegistry(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  /**
   * Opens (creating if needed) a registry rooted at a directory.
   *
   * @param root the directory
   * @return the registry
   */
  public static ModelRegistry open(Path root) {
    try {
      Files.createDirectories(root);
      removeOrphans(root);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open registry root " + root + ": " + e, e);
    }
    return new ModelRegistry(root);
  }

  /**
   * Removes what interrupted writes left: {@code .tmp-v*} version directories and {@code .STAGES-*.tmp}
   * files (never renamed into place, so never part of the registry). One process writes a registry.
   */
  private static void removeOrphans(Path root) throws IOException {
    try (java.util.stream.Stream<Path> models = Files.list(root)) {
      for (Path model : (Iterable<Path>) models::iterator) {
        if (!Files.isDirectory(model)) {
          continue;
        }
        try (java.util.stream.Stream<Path> entries = Files.list(model)) {
          for (Path e : (Iterable<Path>) entries::iterator) {
            String f = e.getFileName().toString();
            if (f.startsWith(".tmp-v") || (f.startsWith(".STAGES-") && f.endsWith(".tmp"))) {
              LOG.info("removing {} left by an interrupted write", e);
              deleteTree(e);
            }
          }
        }
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.isDirectory(p)) {
      try (java.util.stream.Stream<Path> children = Files.list(p)) {
        for (Path c : (Iterable<Path>) children::iterator) {
          deleteTree(c);
        }
      }
    }
    Files.deleteIfExists(p);
  }

  /**
   * Registers a trained model as a new candidate version: its bytes through the codec of its kind, its
   * encoder, provenance, metrics and feature service version in a checksummed manifest.
   *
   * @param name the model's name ({@code [A-Za-z0-9][A-Za-z0-9._-]*})
   * @param ranker a model of this module: {@link GbdtRanker} (any objective), {@link LinearRanker},
   *     {@link FmRanker}, {@link LinearRegressor} or {@link CalibratedRanker} over one of the classifiers
   * @param metrics metrics to record with it
   * @param featureServiceVersion the feature service version it was trained against
   * @return the new version's description
   */
  public synchronized ModelVersion register(String name, Ranker ranker, Map<String, Double> metrics,
      String featureServiceVersion) {
    checkName(name);
    if (ranker == null) {
      throw new IllegalArgumentException("ranker is null; expected a model of this module");
    }
    ModelCodecs.Codec codec = ModelCodecs.forModel(ranker);
    byte[] bytes = codec.encode(ranker);
    String kind = codec.kind();
    String provenance = ranker.provenance().toString();
    FeatureEncoder encoder = ranker.encoder();
    if (metrics == null) {
      throw new IllegalArgumentException("metrics is null; expected a map (maybe empty)");
    }
    if (featureServiceVersion == null || featureServiceVersion.isEmpty()) {
      throw new IllegalArgumentException("featureServiceVersion is '" + featureServiceVersion + "'; expected text");
    }
    for (Map.Entry<String, Double> m : metrics.entrySet()) {
      if (m.getValue() == null || !Double.isFinite(m.getValue())) {
        throw new IllegalArgumentException("metric '" + m.getKey() + "' is " + m.getValue() + "; expected finite");
      }
    }
    Path dir = dirOf(name);
    try {
      Files.createDirectories(dir);
      int version = versionNumbers(name).stream().max(Integer::compare).orElse(0) + 1;
      Path tmp = Files.createTempDirectory(dir, ".tmp-v" + version + "-");
      write(tmp.resolve("model.bin"), bytes);
      Properties p = new Properties();
      p.setProperty("format", FORMAT);
      p.setProperty("name", name);
      p.setProperty("version", Integer.toString(version));
      p.setProperty("kind", kind);
      p.setProperty("sha256", sha256(bytes));
      p.setProperty("encoder", encoder.signature());
      p.setProperty("featureServiceVersion", featureServiceVersion);
      p.setProperty("provenance", provenance);
      p.setProperty("createdAt", Instant.now().toString());
      codec.describe(ranker).forEach(p::setProperty);
      metrics.forEach((k, v) -> p.setProperty("metric." + k, Double.toString(v)));
      String manifest = store(p);
      manifest += MANIFEST_SUM + sha256(manifest.getBytes(StandardCharsets.UTF_8)) + "\n";
      write(tmp.resolve("manifest.properties"), manifest.getBytes(StandardCharsets.UTF_8));
      syncDirectory(tmp); // the two files' names are durable before the version is renamed into place
      move(tmp, dir.resolve("v" + version));
      syncDirectory(dir); // ... and the rename before register returns
      syncDirectory(root);
      LOG.info("registered {} v{} ({})", name, version, kind);
      return describe(name, version);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot register model '" + name + "' under " + dir + ": " + e, e);
    }
  }

  /**
   * All versions of a model, oldest first.
   *
   * @param name the model's name
   * @return the versions (empty if none)
   */
  public synchronized List<ModelVersion> versions(String name) {
    checkName(name);
    List<ModelVersion> out = new ArrayList<>();
    for (int v : versionNumbers(name)) {
      out.add(describe(name, v));
    }
    return out;
  }

  /**
   * The production version, if any.
   *
   * @param name the model's name
   * @return the production version
   */
  public synchronized Optional<ModelVersion> production(String name) {
    checkName(name);
    List<Integer> s = stages(name);
    if (s.isEmpty()) {
      return Optional.empty();
    }
    if (!versionNumbers(name).contains(s.get(0))) {
      throw new IllegalStateException("stage file " + dirOf(name).resolve("STAGES") + " is damaged: it names v"
          + s.get(0) + " of model '" + name + "' as production, which does not exist");
    }
    return Optional.of(describe(name, s.get(0)));
  }

  /**
   * Makes a version the production model; the previous production version becomes archived.
   *
   * @param name the model's name
   * @param version an existing version
   * @return the promoted version
   */
  public synchronized ModelVersion promote(String name, int version) {
    checkName(name);
    if (!versionNumbers(name).contains(version)) {
      throw new IllegalArgumentException("model '" + name + "' has no version " + version);
    }
    List<Integer> s = new ArrayList<>(stages(name));
    if (!s.isEmpty() && s.get(0) == version) {
      return describe(name, version);
    }
    s.remove(Integer.valueOf(version));
    s.add(0, version);
    writeStages(name, s);
    LOG.info("promoted {} v{} to production", name, version);
    return describe(name, version);
  }

  /**
   * Restores the previous production version; the current one becomes archived.
   *
   * @param name the model's name
   * @return the version now in production
   * @throws IllegalStateException if there is no earlier production version
   */
  public synchronized ModelVersion rollback(String name) {
    checkName(name);
    List<Integer> s = new ArrayList<>(stages(name));
    if (s.size() < 2) {
      throw new IllegalStateException("model '" + name + "' has no earlier production version to roll back to");
    }
    int current = s.remove(0);
    s.add(current); // keep it archived, behind the restored one
    writeStages(name, s);
    LOG.info("rolled back {} from v{} to v{}", name, current, s.get(0));
    return describe(name, s.get(0));
  }

  /**
   * Loads the production model, checked against a feature service's schema.
   *
   * @param name the model's name
   * @param featureService the schema of the feature service that will feed it
   * @return the model
   * @throws IllegalStateException if no version is in production
   */
  public Ranker loadProduction(String name, FeatureSchema featureService) {
    return loadProduction(name, Ranker.class, featureService);
  }

  /**
   * Loads the production model as the type the caller deploys.
   *
   * @param name the model's name
   * @param type the expected model class (e.g. {@code CalibratedRanker.class}, or {@code Ranker.class})
   * @param <T> the model type
   * @return the model
   * @throws IllegalStateException if no version is in production, or it is not a {@code type}
   */
  public <T extends Ranker> T loadProduction(String name, Class<T> type) {
    return loadProduction(name, type, null);
  }

  /**
   * Loads the production model as the type the caller deploys, checked against a feature service's schema.
   *
   * @param name the model's name
   * @param type the expected model class
   * @param featureService the schema of the feature service that will feed it, or null for no check
   * @param <T> the model type
   * @return the model
   * @throws IllegalStateException if no version is in production, or it is not a {@code type}
   */
  public <T extends Ranker> T loadProduction(String name, Class<T> type, FeatureSchema featureService) {
    ModelVersion v = production(name).orElseThrow(
        () -> new IllegalStateException("model '" + name + "' has no production version"));
    return load(name, v.version(), type, featureService);
  }

  /**
   * Loads a version, verifying its checksum and that {@code featureService} provides its inputs.
   *
   * @param name the model's name
   * @param version the version
   * @param featureService the feature service's schema
   * @return the model
   * @throws IllegalStateException if a file is corrupted or cannot be decoded (its checksum, its format, a
   *     field of its manifest, the model itself); the message names the model and version or the file
   * @throws IllegalArgumentException if the model needs a feature the feature service does not provide as
   *     the model expects it
   */
  public Ranker load(String name, int version, FeatureSchema featureService) {
    return load(name, version, Ranker.class, featureService);
  }

  /**
   * Loads a version as a given type, verifying its checksum and, when a schema is given, that the feature
   * service provides its inputs.
   *
   * @param name the model's name
   * @param version the version
   * @param type the expected model class
   * @param featureService the feature service's schema, or null for no check
   * @param <T> the model type
   * @return the model
   * @throws IllegalStateException if a file is corrupted or cannot be decoded, or the model is not a
   *     {@code type}; the message names the model and version or the file
   * @throws IllegalArgumentException if the model needs a feature the feature service does not provide
   */
  public <T extends Ranker> T load(String name, int version, Class<T> type, FeatureSchema featureService) {
    if (type == null) {
      throw new IllegalArgumentException("type is null; expected a model class such as Ranker.class");
    }
    ModelVersion mv;
    Properties manifest;
    byte[] bytes;
    synchronized (this) {
      manifest = verifiedManifest(name, version);
      mv = describe(name, version, manifest);
      try {
        bytes = Files.readAllBytes(dirOf(name).resolve("v" + version).resolve("model.bin"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read model '" + name + "' v" + version + ": " + e, e);
      }
    }
    String actual = sha256(bytes);
    if (!actual.equals(mv.sha256())) {
      throw new IllegalStateException("model '" + name + "' v" + version + " is corrupted: sha256 " + actual
          + ", manifest says " + mv.sha256());
    }
    String label = name + "@v" + version;
    FeatureEncoder encoder;
    try {
      encoder = FeatureEncoder.fromSignature(mv.encoderSignature());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("model '" + label + "' has a damaged manifest: " + e.getMessage(), e);
    }
    if (featureService != null) {
      try {
        encoder.checkProvidedBy(featureService);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("model '" + label + "' does not fit the feature service: "
            + e.getMessage(), e);
      }
    }
    ModelCodecs.Codec codec = ModelCodecs.forKind(mv.kind());
    if (codec == null) {
      throw new IllegalStateException("model '" + label + "' has unknown kind '" + mv.kind() + "'");
    }
    Ranker r;
    try {
      r = codec.decode(label, encoder, bytes, manifest, mv.sha256());
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalStateException("model '" + label + "' cannot be loaded: " + e.getMessage(), e);
    }
    if (!type.isInstance(r)) {
      throw new IllegalStateException("model '" + label + "' is a " + r.getClass().getSimpleName() + " (kind "
          + mv.kind() + "); expected " + type.getSimpleName());
    }
    return type.cast(r);
  }

  // ---------------------------------------------------------------- internals

  /** Whether a ranker's name is a label {@link #load} gives: {@code <name>@v<version>}. */
  static boolean isLabel(String name) {
    return LABEL.matcher(name).matches();
  }

  private ModelVersion describe(String name, int version) {
    return describe(name, version, verifiedManifest(name, version));
  }

  /** A version's manifest properties, its format known and its checksum line (formats 2 and 3) verified. */
  private Properties verifiedManifest(String name, int version) {
    Path m = dirOf(name).resolve("v" + version).resolve("manifest.properties");
    Properties p = new Properties();
    try {
      String text = readText(m, "manifest");
      int sum = text.lastIndexOf("\n" + MANIFEST_SUM);
      String body = sum < 0 ? text : text.substring(0, sum + 1);
      loadProperties(p, body, m, "manifest");
      String format = p.getProperty("format");
      if (FORMAT.equals(format) || FORMAT_2.equals(format)) {
        if (sum < 0 || !sha256(body.getBytes(StandardCharsets.UTF_8))
            .equals(text.substring(sum + 1 + MANIFEST_SUM.length()).trim())) {
          throw new IllegalStateException("manifest " + m + " is corrupted (checksum mismatch)");
        }
      } else if (!FORMAT_1.equals(format)) {
        throw new IllegalStateException("manifest " + m + " has format '" + format + "'; this library reads "
            + FORMAT + ", " + FORMAT_2 + " and " + FORMAT_1);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read manifest " + m + ": " + e, e);
    }
    return p;
  }

  /** A version's description from its verified manifest properties; a damaged field is refused naming it. */
  private ModelVersion describe(String name, int version, Properties p) {
    Path m = dirOf(name).resolve("v" + version).resolve("manifest.properties");
    Map<String, Double> metrics = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      if (k.startsWith("metric.")) {
        double v;
        try {
          v = Double.parseDouble(p.getProperty(k));
        } catch (NumberFormatException e) {
          v = Double.NaN;
        }
        if (!Double.isFinite(v)) { // register refuses non-finite metrics: a stored one is damage
          throw new IllegalStateException("manifest " + m + ": " + k + " is '" + p.getProperty(k)
              + "'; expected a finite number");
        }
        metrics.put(k.substring(7), v);
      }
    }
    List<Integer> s = stages(name);
    Stage stage = s.isEmpty() || !s.contains(version) ? Stage.CANDIDATE
        : s.get(0) == version ? Stage.PRODUCTION : Stage.ARCHIVED;
    Instant created;
    try {
      created = Instant.parse(required(p, m, "createdAt"));
    } catch (java.time.format.DateTimeParseException e) {
      throw new IllegalStateException("manifest " + m + ": createdAt is '" + p.getProperty("createdAt")
          + "'; expected an ISO-8601 instant");
    }
    return new ModelVersion(name, version, stage, required(p, m, "kind"), required(p, m, "sha256"),
        required(p, m, "encoder"), required(p, m, "featureServiceVersion"), required(p, m, "provenance"), metrics,
        created);
  }

  /** A manifest field that must be present, or a clear refusal naming the manifest and the field. */
  private static String required(Properties p, Path manifest, String field) {
    String v = p.getProperty(field);
    if (v == null) {
      throw new IllegalStateException("manifest " + manifest + " lacks the field '" + field + "'");
    }
    return v;
  }

  /** A registry text file, which must be UTF-8: other bytes are damage, not an I/O error. */
  private static String readText(Path f, String what) throws IOException {
    byte[] bytes = Files.readAllBytes(f);
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new IllegalStateException(what + " " + f + " is corrupted (not UTF-8 text: " + e + ")", e);
    }
  }

  /** Reads properties; a malformed escape is damage of the file, named. */
  private static void loadProperties(Properties p, String text, Path f, String what) throws IOException {
    try {
      p.load(new StringReader(text));
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException(what + " " + f + " is corrupted (" + e.getMessage() + ")", e);
    }
  }

  private List<Integer> versionNumbers(String name) {
    Path dir = dirOf(name);
    List<Integer> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "v*")) {
      for (Path p : ds) {
        String f = p.getFileName().toString();
        if (f.startsWith("v") && VERSION.matcher(f.substring(1)).matches()
            && Files.isRegularFile(p.resolve("manifest.properties"))) {
          long v = Long.parseLong(f.substring(1));
          if (v <= Integer.MAX_VALUE) { // a larger number is no version this registry wrote
            out.add((int) v);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir + ": " + e, e);
    }
    out.sort(Comparator.naturalOrder());
    return out;
  }

  /** Production first, then archived versions, most recent first. */
  private List<Integer> stages(String name) {
    Path f = dirOf(name).resolve("STAGES");
    if (!Files.exists(f)) {
      return List.of();
    }
    try {
      String text = readText(f, "stage file");
      int nl = text.lastIndexOf("\nsha256=");
      if (nl < 0 || !sha256(text.substring(0, nl + 1).getBytes(StandardCharsets.UTF_8))
          .equals(text.substring(nl + 8).trim())) {
        throw new IllegalStateException("stage file " + f + " is corrupted (checksum mismatch)");
      }
      Properties p = new Properties();
      loadProperties(p, text.substring(0, nl + 1), f, "stage file");
      String order = p.getProperty("order", "");
      List<Integer> out = new ArrayList<>();
      for (String s : order.split(",", -1)) {
        if (s.isEmpty() && order.isEmpty()) {
          break;
        }
        int v;
        try {
          v = VERSION.matcher(s).matches() ? Integer.parseInt(s) : -1;
        } catch (NumberFormatException e) {
          v = -1;
        }
        if (v <= 0 || out.contains(v)) {
          throw new IllegalStateException("stage file " + f + " is damaged: order is '" + order
              + "'; expected distinct version numbers separated by commas");
        }
        out.add(v);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f + ": " + e, e);
    }
  }

  private void writeStages(String name, List<Integer> order) {
    StringBuilder b = new StringBuilder();
    b.append("format=").append(FORMAT).append('\n');
    b.append("order=");
    for (int i = 0; i < order.size(); i++) {
      b.append(i == 0 ? "" : ",").append(order.get(i));
    }
    b.append('\n');
    String body = b.toString();
    String text = body + "sha256=" + sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n";
    Path dir = dirOf(name);
    try {
      Path tmp = Files.createTempFile(dir, ".STAGES-", ".tmp");
      write(tmp, text.getBytes(StandardCharsets.UTF_8));
      move(tmp, dir.resolve("STAGES"));
      syncDirectory(dir); // a promotion or rollback is durable when it returns
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write stages of '" + name + "': " + e, e);
    }
  }

  /** Forces a directory's entries (renames, new files) to disk; a no-op where directories cannot be opened. */
  private static void syncDirectory(Path dir) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (IOException | UnsupportedOperationException e) {
      return; // e.g. Windows: directories cannot be opened as channels, renames there are durable on return
    }
    try (ch) {
      ch.force(true);
    }
  }

  private static void write(Path p, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes));
      ch.force(true);
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IOException("the file system does not support atomic renames: " + to, e);
    }
  }

  private static String store(Properties p) {
    StringBuilder b = new StringBuilder();
    p.stringPropertyNames().stream().sorted().forEach(k -> {
      java.io.StringWriter w = new java.io.StringWriter();
      Properties one = new Properties();
      one.setProperty(k, p.getProperty(k));
      try {
        one.store(w, null);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      // drop the date comment Properties.store writes first
      String s = w.toString();
      b.append(s.substring(s.indexOf('\n') + 1));
    });
    return b.toString();
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The directory of a model: the name is checked ({@link #checkName}) and the resolved path must stay
   * under the registry's root, so no name reaches outside it ({@code ../x}, an absolute path).
   */
  private Path dirOf(String name) {
    checkName(name);
    Path dir = root.resolve(name).normalize();
    if (!root.equals(dir.getParent())) {
      throw new IllegalArgumentException("model name '" + name + "' resolves to " + dir + ", outside the registry "
          + root);
    }
    return dir;
  }

  private static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("model name is '" + name + "'; expected [A-Za-z0-9][A-Za-z0-9._-]*");
    }
  }

  @Override
  public String toString() {
    return "ModelRegistry{" + root + "}";
  }
}
