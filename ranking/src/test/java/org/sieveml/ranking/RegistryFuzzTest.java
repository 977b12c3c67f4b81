package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.pipeline.Scorer;

/**
 * Coverage-guided fuzz targets (Jazzer) of every loader of the ranking module: the registry's text files
 * ({@link #manifest}: a version's {@code manifest.properties} or the model's {@code STAGES}), its model
 * files ({@link #modelFile}: {@code model.bin} of each kind, XGBoost JSON and Tribuo protobuf), and the
 * XGBoost model JSON read by {@link GbdtRanker#fromModelJson} ({@link #modelJson}, which is also what the
 * strict JSON reader {@code internal.Json} parses). Each works on a copy of the golden registry of
 * {@link RegistryFormatTest} ({@code golden/registry-v2}: model {@code ctr}, v1..v4, v3 in production).
 *
 * <p>Contract checked for every input: the registry refuses with an {@link IllegalStateException}
 * (damage: a checksum, a format, a field, a model file that cannot be decoded) or an
 * {@link IllegalArgumentException} (a model that does not fit the feature service), whose message names
 * the model ({@code ctr}, in its label or its files' paths); {@code fromModelJson} refuses with an
 * {@link IllegalArgumentException} with a message. Otherwise the load is correct and the loaded thing is
 * used: every version is described, the production version is resolved, the model scores the golden
 * inputs (one score per input, in [0, 1] or NaN for the classifiers). Any other throwable propagates, and
 * Jazzer reports it. One legal case is left out: a manifest whose encoder declares more than
 * {@value #MAX_WIDTH} columns is not loaded, since its model needs memory in proportion ({@link #tooWide}).
 *
 * <p>Input encoding: the first byte is a header, the rest the content. Its lowest bit chooses raw
 * (the content is written as is) or sealed (checksums recomputed, so the fuzzer reaches the decoders
 * behind them: a manifest gets its {@code manifest.sha256=} line, a stage file its {@code sha256=} line,
 * a model file a manifest whose {@code sha256=} is the model's and which is then resealed). The rest of
 * the header picks the file: {@code (header >> 1) % 5} for {@link #manifest} (0 = {@code STAGES},
 * 1..4 = the manifest of v1..v4), {@code (header >> 1) % 4 + 1} for {@link #modelFile} (the version,
 * hence the kind). {@link #modelJson} takes the whole input as UTF-8 text.
 *
 * <p>Seeds ({@code src/test/resources/org/sieveml/ranking/RegistryFuzzTestInputs/<method>/golden-*}) are
 * the golden files in both modes; every one loads ({@link #everyGoldenSeedLoads}). A plain {@code mvn
 * verify} replays them and any committed regression inputs; to fuzz one target for real:
 *
 * <pre>
 * JAZZER_FUZZ=1 flock /tmp/sieveml-build.lock mvn -o -B test -pl ranking \
 *     -Dtest='RegistryFuzzTest#modelFile' -Dsurefire.failIfNoSpecifiedTests=false -DargLine=-Xmx256m
 * </pre>
 *
 * Findings are written next to the seeds as {@code crash-*}; once the loader is fixed, keep the input,
 * renamed after what it shows, as a regression input. Regenerate the golden seeds with {@code
 * -Dtest=RegistryFuzzTest#regenerateSeeds -Dsieveml.golden.write=true}.
 */
class RegistryFuzzTest {
  static final String SEEDS = "org/sieveml/ranking/RegistryFuzzTestInputs/";
  static final String MODEL = RegistryFormatTest.MODEL;
  static final int VERSIONS = RegistryFormatTest.Version.values().length;
  static final FeatureEncoder ENCODER = RegistryFormatTest.encoder();
  /** Models whose encoder declares more columns than this are not loaded (see {@link #tooWide}). */
  static final int MAX_WIDTH = 1 << 16;

  @TempDir
  static Path dir;
  /** The working copy of the golden registry, and the golden bytes of each of its files. */
  private static Path root;
  private static final Map<String, byte[]> GOLDEN = new LinkedHashMap<>();

  /** The working registry, with every file as in the golden registry. */
  static synchronized Path registry() throws IOException {
    if (root == null) {
      root = RegistryFormatTest.copyGolden(RegistryFormatTest.GOLDEN_V2, dir.resolve("registry"));
      for (String f : RegistryFormatTest.relativeFiles(root)) {
        GOLDEN.put(f, Files.readAllBytes(root.resolve(f)));
      }
    } else {
      for (Map.Entry<String, byte[]> e : GOLDEN.entrySet()) {
        Path p = root.resolve(e.getKey());
        if (Files.size(p) != e.getValue().length || !Arrays.equals(Files.readAllBytes(p), e.getValue())) {
          Files.write(p, e.getValue());
        }
      }
    }
    return root;
  }

  static String golden(String file) {
    return new String(GOLDEN.get(file), StandardCharsets.UTF_8);
  }

  static String manifestOf(int version) {
    return MODEL + "/v" + version + "/manifest.properties";
  }

  static String modelOf(int version) {
    return MODEL + "/v" + version + "/model.bin";
  }

  /** The text file a {@link #manifest} input writes to, and its content. */
  static String textFile(int header) {
    int which = (header & 0xff) >> 1;
    return which % 5 == 0 ? MODEL + "/STAGES" : manifestOf(which % 5);
  }

  static byte[] rest(byte[] input) {
    return input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
  }

  static boolean sealed(byte[] input) {
    return input.length > 0 && (input[0] & 1) != 0;
  }

  static byte[] concat(byte[] a, String b) {
    byte[] t = b.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(a, a.length + t.length);
    System.arraycopy(t, 0, out, a.length, t.length);
    return out;
  }

  // ------------------------------------------------------------------------------------------- targets

  @FuzzTest(maxDuration = "20s")
  void manifest(byte[] input) throws IOException {
    runManifest(input);
  }

  /** Writes the input's text file and uses the registry; true if everything loaded. */
  static boolean runManifest(byte[] input) throws IOException {
    Path reg = registry();
    String file = textFile(input.length == 0 ? 0 : input[0]);
    byte[] content = rest(input);
    if (sealed(input)) {
      String line = file.endsWith("STAGES") ? "sha256=" : "manifest.sha256=";
      content = concat(content, line + ModelRegistry.sha256(content) + "\n");
    }
    Files.write(reg.resolve(file), content);
    return use(reg, file.endsWith("STAGES") ? 0 : file.charAt(MODEL.length() + 2) - '0');
  }

  @FuzzTest(maxDuration = "20s")
  void modelFile(byte[] input) throws IOException {
    runModelFile(input);
  }

  /** Writes the input's model file (and, sealed, a manifest that matches it) and loads it; true if it loaded. */
  static boolean runModelFile(byte[] input) throws IOException {
    Path reg = registry();
    int version = input.length == 0 ? 1 : ((input[0] & 0xff) >> 1) % VERSIONS + 1;
    byte[] content = rest(input);
    Files.write(reg.resolve(modelOf(version)), content);
    if (sealed(input)) {
      String text = golden(manifestOf(version));
      String body = text.substring(0, text.lastIndexOf("manifest.sha256="))
          .replaceFirst("(?m)^sha256=.*$", "sha256=" + ModelRegistry.sha256(content));
      Files.writeString(reg.resolve(manifestOf(version)), RegistryFormatTest.sealManifest(body),
          StandardCharsets.UTF_8);
    }
    return use(reg, version);
  }

  @FuzzTest(maxDuration = "20s")
  void modelJson(byte[] input) {
    runModelJson(input);
  }

  /** Compiles the input as XGBoost model JSON and scores with it; true if it compiled. */
  static boolean runModelJson(byte[] input) {
    GbdtRanker g;
    try {
      g = GbdtRanker.fromModelJson("fuzzed", ENCODER, new String(input, StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      if (e.getMessage() == null || e.getMessage().isEmpty()) {
        throw new AssertionError("refused without a message", e);
      }
      return false;
    }
    if (g.treeCount() < 0 || !g.toString().contains("fuzzed")) {
      throw new AssertionError("compiled " + g);
    }
    checkScores(g, RegistryFormatTest.score(g), "fuzzed");
    return true;
  }

  // ------------------------------------------------------------------------------------------- harness

  /**
   * Opens the registry, describes every version, resolves production and loads {@code version} (0: the
   * production version), then scores with it. The documented refusals end it (false); anything else
   * propagates.
   */
  static boolean use(Path reg, int version) {
    try {
      ModelRegistry r = ModelRegistry.open(reg);
      List<ModelVersion> all = r.versions(MODEL);
      for (ModelVersion v : all) {
        if (v.name() == null || v.kind() == null || v.sha256() == null || v.createdAt() == null
            || v.metrics() == null || v.stage() == null || v.toString().isEmpty()) {
          throw new AssertionError("described " + v);
        }
      }
      int n = version;
      java.util.Optional<ModelVersion> production = r.production(MODEL);
      if (n == 0) {
        if (production.isEmpty()) {
          return true;
        }
        n = production.get().version();
      }
      for (ModelVersion v : all) {
        if (v.version() == n && tooWide(v.encoderSignature())) {
          return false;
        }
      }
      Scorer s = r.load(MODEL, n, RegistryFormatTest.SCHEMA);
      checkScores(s, RegistryFormatTest.score(s), MODEL + "@v" + n);
      return true;
    } catch (IllegalStateException | IllegalArgumentException e) {
      if (e.getMessage() == null || !e.getMessage().contains(MODEL)) {
        throw new AssertionError("refused without naming the model or its file: " + e, e);
      }
      return false;
    }
  }

  /**
   * Whether a (valid) encoder signature declares rows wider than {@value #MAX_WIDTH} columns: the rankers
   * keep dense per-column weights and score dense rows, so such a model needs memory in proportion to its
   * declared width (a legal 16,777,216-bucket hashed feature needs hundreds of megabytes). That is a
   * property of the model, not damage, so the target does not load those under its 256 MB heap.
   */
  static boolean tooWide(String signature) {
    try {
      return FeatureEncoder.fromSignature(signature).width() > MAX_WIDTH;
    } catch (IllegalArgumentException e) {
      return false; // a damaged signature: the load refuses it
    }
  }

  static void checkScores(Scorer s, double[] scores, String what) {
    if (scores.length != RegistryFormatTest.inputs().size()) {
      throw new AssertionError(what + " gave " + scores.length + " scores");
    }
    boolean probability = !(s instanceof GbdtRanker) || s.toString().contains("logistic");
    for (double x : scores) {
      if (probability && x == x && !(x >= 0 && x <= 1)) {
        throw new AssertionError(what + " (" + s + ") gave the probability " + x);
      }
    }
  }

  // ------------------------------------------------------------------------------------------- seeds

  static Path seedSource(String method) {
    URL u = RegistryFuzzTest.class.getClassLoader().getResource(SEEDS + method);
    if (u == null) {
      throw new AssertionError("seed directory " + SEEDS + method + " is not on the test class path");
    }
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Path> goldenSeeds(String method) throws IOException {
    try (Stream<Path> s = Files.list(seedSource(method))) {
      List<Path> out = new ArrayList<>();
      s.filter(p -> p.getFileName().toString().startsWith("golden-")).forEach(out::add);
      out.sort(null);
      return out;
    }
  }

  /** Every seed generated from a golden file loads (the regression inputs kept from findings are replayed). */
  @Test
  void everyGoldenSeedLoads() throws IOException {
    registry();
    List<Path> manifests = goldenSeeds("manifest");
    List<Path> models = goldenSeeds("modelFile");
    List<Path> json = goldenSeeds("modelJson");
    assertEquals(2 * (VERSIONS + 1), manifests.size(), "4 manifests and STAGES, raw and sealed: " + manifests);
    assertEquals(2 * VERSIONS, models.size(), "4 model files, raw and sealed: " + models);
    assertEquals(2, json.size(), "the two XGBoost models: " + json);
    for (Path p : manifests) {
      assertTrue(runManifest(check(p)), p.getFileName() + " loads");
    }
    for (Path p : models) {
      assertTrue(runModelFile(check(p)), p.getFileName() + " loads");
    }
    for (Path p : json) {
      assertTrue(runModelJson(check(p)), p.getFileName() + " loads");
    }
  }

  private static byte[] check(Path seed) throws IOException {
    byte[] b = Files.readAllBytes(seed);
    assertTrue(b.length < 64 * 1024, seed.getFileName() + " takes " + b.length + " bytes");
    return b;
  }

  private static byte[] header(int header, byte[] content) {
    byte[] out = new byte[content.length + 1];
    out[0] = (byte) header;
    System.arraycopy(content, 0, out, 1, content.length);
    return out;
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateSeeds() throws IOException {
    registry();
    Path target = Path.of("src/test/resources").resolve(SEEDS).toAbsolutePath();
    Path m = Files.createDirectories(target.resolve("manifest"));
    for (int which = 0; which <= VERSIONS; which++) {
      String file = which == 0 ? MODEL + "/STAGES" : manifestOf(which);
      String name = which == 0 ? "stages" : "manifest-v" + which;
      byte[] raw = GOLDEN.get(file);
      String text = golden(file);
      byte[] body = text.substring(0, text.lastIndexOf(which == 0 ? "sha256=" : "manifest.sha256="))
          .getBytes(StandardCharsets.UTF_8);
      Files.write(m.resolve("golden-" + name + "-raw"), header(which << 1, raw));
      Files.write(m.resolve("golden-" + name + "-sealed"), header(which << 1 | 1, body));
    }
    Path f = Files.createDirectories(target.resolve("modelFile"));
    for (RegistryFormatTest.Version v : RegistryFormatTest.Version.values()) {
      byte[] model = GOLDEN.get(modelOf(v.number()));
      String name = "golden-v" + v.number() + "-" + v.kind;
      Files.write(f.resolve(name + "-raw"), header((v.number() - 1) << 1, model));
      Files.write(f.resolve(name + "-sealed"), header((v.number() - 1) << 1 | 1, model));
    }
    Path j = Files.createDirectories(target.resolve("modelJson"));
    Files.write(j.resolve("golden-v1-binary-logistic.json"), GOLDEN.get(modelOf(1)));
    Files.write(j.resolve("golden-v4-squared-error.json"), GOLDEN.get(modelOf(4)));
    System.out.println("wrote " + target);
  }
}
