package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.Scorer;

/**
 * The golden registries written by earlier versions still open with the current code, with exactly the
 * manifests, stages and predictions their generator wrote (the files are frozen; the generator of the
 * current format is {@link RegistryGoldenV3Test}):
 * <ul>
 *   <li>{@code src/test/resources/golden/registry-v2/} (manifest format {@code sieveml-model-registry-2}):
 *       model {@code ctr} with v1 XGBoost JSON (binary:logistic), v2 Tribuo linear SGD, v3 Tribuo
 *       factorization machine, v4 XGBoost JSON (reg:squarederror), v1 then v3 promoted (v3 in production,
 *       v1 archived);
 *   <li>{@code src/test/resources/golden/registry-v1/} (format {@code sieveml-model-registry-1}, the
 *       manifests before they were checksummed): model {@code ctr} with v1 (XGBoost JSON) and v2 (Tribuo
 *       linear), v1 in production; the same model files as registry-v2's v1 and v2.
 * </ul>
 * Their encoders carry the {@code sieveml-encoder-v1} signature (unsigned hash buckets, the empty string a
 * category), which the encoder keeps reproducing bit for bit. The XGBoost model JSON that
 * {@link GbdtRanker#modelJson()} returns and {@link GbdtRanker#fromModelJson} reads is a persisted format of
 * its own: its golden files are the {@code model.bin} of the XGBoost versions, loaded directly by
 * {@link #xgboostModelJsonLoadsDirectly}.
 *
 * <p>Golden files are kept forever: after a format change they must still load, or be refused naming
 * their format, as {@link #unknownManifestFormatsAreRefusedNamingTheFormat} checks for formats that do
 * not exist.
 */
class RegistryFormatTest {
  static final String GOLDEN_V2 = "golden/registry-v2";
  static final String GOLDEN_V1 = "golden/registry-v1";
  static final String MODEL = "ctr";

  /** The feature service the golden models are loaded against. */
  static final FeatureSchema SCHEMA = FeatureSchema.of(
      FeatureSpec.of("x1", FeatureType.DOUBLE),
      FeatureSpec.of("x2", FeatureType.DOUBLE),
      FeatureSpec.of("n", FeatureType.LONG),
      FeatureSpec.of("flag", FeatureType.BOOLEAN),
      FeatureSpec.of("country", FeatureType.STRING),
      FeatureSpec.embedding("emb", 2));
  static final String SIGNATURE =
      "sieveml-encoder-v1|x1:DOUBLE|x2:DOUBLE|n:LONG|flag:BOOLEAN|country:STRING:hash4|emb:EMBEDDING:2";

  static FeatureEncoder encoder() {
    return FeatureEncoder.builder(SCHEMA).hashed("country", 4).build();
  }

  /** A golden version: its kind, metrics and feature service version. */
  enum Version {
    V1("xgboost-json", Map.of("auc", 0.75, "logloss", 0.5625), "fs-1"),
    V2("tribuo-linear-sgd", Map.of("auc", 0.6875), "fs-1"),
    V3("tribuo-fm", Map.of("auc", 0.71875, "ndcg@10", 0.5), "fs-2"),
    V4("xgboost-json", Map.of(), "fs-2");

    final String kind;
    final Map<String, Double> metrics;
    final String featureServiceVersion;

    Version(String kind, Map<String, Double> metrics, String featureServiceVersion) {
      this.kind = kind;
      this.metrics = metrics;
      this.featureServiceVersion = featureServiceVersion;
    }

    int number() {
      return ordinal() + 1;
    }
  }

  /** The instant the generator writes as version {@code v}'s createdAt. */
  static Instant createdAt(int v) {
    return Instant.parse("2024-05-0" + v + "T12:34:56.789Z");
  }

  /** Seeded training data over {@link #SCHEMA}, with missing values; labels in {@code labels}. */
  static FeatureFrame trainingRows(double[] labels) {
    Random r = new Random(15);
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(SCHEMA);
    String[] countries = {"DE", "FR", "JP", "US", "BR"};
    for (int i = 0; i < labels.length; i++) {
      double x1 = r.nextGaussian();
      double x2 = r.nextGaussian();
      long n = r.nextInt(10);
      boolean flag = r.nextBoolean();
      String c = countries[r.nextInt(countries.length)];
      float e0 = (float) r.nextGaussian();
      float e1 = (float) r.nextGaussian();
      double z = 1.2 * x1 - 0.8 * x2 + 0.15 * n + (flag ? 0.5 : -0.5) + (c.equals("JP") ? 1 : 0) + e0 * e1;
      labels[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      FeatureVector.Builder v = FeatureVector.builder(SCHEMA);
      if (i % 9 == 4) {
        v.setMissing("x1");
      } else {
        v.setDouble("x1", x1);
      }
      v.setDouble("x2", x2).setLong("n", n).setBoolean("flag", flag);
      if (i % 11 == 7) {
        v.setMissing("country");
      } else {
        v.setString("country", c);
      }
      v.setEmbedding("emb", new float[] {e0, e1});
      b.add(v.build());
    }
    return b.build();
  }

  /** The fixed inputs whose predictions are pinned: ordinary rows, missing values, an unseen category. */
  static List<FeatureVector> inputs() {
    List<FeatureVector> out = new ArrayList<>();
    out.add(FeatureVector.builder(SCHEMA).setDouble("x1", 0.5).setDouble("x2", -1.25).setLong("n", 3)
        .setBoolean("flag", true).setString("country", "JP").setEmbedding("emb", new float[] {0.5f, -0.25f}).build());
    out.add(FeatureVector.builder(SCHEMA).setDouble("x1", -2).setDouble("x2", 0.75).setLong("n", 0)
        .setBoolean("flag", false).setString("country", "DE").setEmbedding("emb", new float[] {-1f, 1f}).build());
    out.add(FeatureVector.builder(SCHEMA).setMissing("x1").setDouble("x2", 0).setLong("n", 9)
        .setBoolean("flag", true).setMissing("country").setEmbedding("emb", new float[] {0f, 0f}).build());
    out.add(FeatureVector.builder(SCHEMA).setDouble("x1", 1.5).setMissing("x2").setLong("n", 5)
        .setBoolean("flag", false).setString("country", "unseen-\u00e9").setMissing("emb").build());
    out.add(FeatureVector.builder(SCHEMA).setDouble("x1", 3).setDouble("x2", 2).setLong("n", -4)
        .setMissing("flag").setString("country", "US").setEmbedding("emb", new float[] {2f, 2f}).build());
    return out;
  }

  static double[] score(Scorer s) {
    List<FeatureVector> in = inputs();
    List<Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      candidates.add(Candidate.of("item-" + i, 0, "golden"));
    }
    return s.score(null, candidates, in);
  }

  /**
   * The predictions of each golden version on {@link #inputs()}, as the version that wrote the files
   * computed them, compared bit for bit; except V3's (the FM's) fifth score, which moved by one ulp, from
   * 0.609647642782069 to 0.6096476427820691, when the FM evaluator began adding its factor terms four factors
   * at a time (commit ca2f469): the model file is unchanged, only the order of the additions.
   */
  static double[] expectedScores(Version v) {
    switch (v) {
      case V1:
        return new double[] {0.5787245035171509, 0.44791826605796814, 0.5940513610839844, 0.5526247620582581,
            0.5526247620582581};
      case V2:
        return new double[] {0.9303786187166508, 0.11569679374144927, 0.8489552796828504, 0.8707931776873592,
            0.5550082531033553};
      case V3:
        return new double[] {0.9225701844291044, 0.22050248701146857, 0.8782708114078407, 0.8979453610784018,
            0.6096476427820691};
      case V4:
        return new double[] {0.6170094013214111, 0.4791930019855499, 0.7490315437316895, 0.5488434433937073,
            0.5488434433937073};
      default:
        throw new AssertionError(v);
    }
  }

  /** A manifest body followed by its checksum line, as format 2 writes it. */
  static String sealManifest(String body) {
    return body + "manifest.sha256=" + ModelRegistry.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n";
  }

  /** A stage file body followed by its checksum line. */
  static String sealStages(String body) {
    return body + "sha256=" + ModelRegistry.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n";
  }

  // ------------------------------------------------------------------------------------------- helpers

  static Path goldenSource(String golden) {
    URL u = RegistryFormatTest.class.getClassLoader().getResource(golden);
    assertNotNull(u, "golden directory " + golden + " is not on the test class path");
    try {
      return Path.of(u.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies a golden registry (read only in the source tree) to {@code to}. */
  static Path copyGolden(String golden, Path to) throws IOException {
    Path from = goldenSource(golden);
    try (Stream<Path> files = Files.walk(from)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(t);
        } else {
          Files.copy(p, t);
        }
      }
    }
    return to;
  }

  static List<String> relativeFiles(Path dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(dir)) {
      files.filter(Files::isRegularFile).forEach(p -> out.add(dir.relativize(p).toString().replace('\\', '/')));
    }
    out.sort(null);
    return out;
  }

  static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> files = Files.walk(p)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.delete(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  private static void assertBitsEqual(double[] want, double[] got, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(got[i]),
          what + " input " + i + ": expected " + want[i] + " but was " + got[i]);
    }
  }

  // ------------------------------------------------------------------------------------------- tests

  @Test
  void goldenRegistriesHoldTheirFilesAndAreSmall() throws IOException {
    assertEquals(List.of("ctr/STAGES", "ctr/v1/manifest.properties", "ctr/v1/model.bin", "ctr/v2/manifest.properties",
        "ctr/v2/model.bin", "ctr/v3/manifest.properties", "ctr/v3/model.bin", "ctr/v4/manifest.properties",
        "ctr/v4/model.bin"), relativeFiles(goldenSource(GOLDEN_V2)));
    assertEquals(List.of("ctr/STAGES", "ctr/v1/manifest.properties", "ctr/v1/model.bin", "ctr/v2/manifest.properties",
        "ctr/v2/model.bin"), relativeFiles(goldenSource(GOLDEN_V1)));
    long total = 0;
    for (String g : List.of(GOLDEN_V2, GOLDEN_V1)) {
      for (String f : relativeFiles(goldenSource(g))) {
        total += Files.size(goldenSource(g).resolve(f));
      }
    }
    assertTrue(total < 200 * 1024, "golden registries take " + total + " bytes");
  }

  @Test
  void formatTwoManifestsStagesAndPredictions(@TempDir Path tmp) throws IOException {
    Path root = copyGolden(GOLDEN_V2, tmp.resolve("registry"));
    ModelRegistry reg = ModelRegistry.open(root);
    List<ModelVersion> versions = reg.versions(MODEL);
    assertEquals(4, versions.size());
    ModelRegistry.Stage[] stages = {ModelRegistry.Stage.ARCHIVED, ModelRegistry.Stage.CANDIDATE,
        ModelRegistry.Stage.PRODUCTION, ModelRegistry.Stage.CANDIDATE};
    for (Version v : Version.values()) {
      ModelVersion mv = versions.get(v.ordinal());
      String what = "v" + v.number();
      assertEquals(MODEL, mv.name(), what);
      assertEquals(v.number(), mv.version(), what);
      assertEquals(stages[v.ordinal()], mv.stage(), what);
      assertEquals(v.kind, mv.kind(), what);
      assertEquals(v.metrics, mv.metrics(), what);
      assertEquals(v.featureServiceVersion, mv.featureServiceVersion(), what);
      assertEquals(SIGNATURE, mv.encoderSignature(), what);
      assertEquals(createdAt(v.number()), mv.createdAt(), what);
      byte[] model = Files.readAllBytes(root.resolve(MODEL).resolve("v" + v.number()).resolve("model.bin"));
      assertEquals(ModelRegistry.sha256(model), mv.sha256(), what + ": the manifest's checksum of model.bin");
      assertTrue(mv.provenance().contains(v.kind.startsWith("xgboost") ? "xgboost4j booster, trees="
          : v == Version.V2 ? "LinearSGDTrainer" : "FMClassificationTrainer"), what + ": " + mv.provenance());
      Scorer s = reg.load(MODEL, v.number(), SCHEMA);
      assertEquals(MODEL + "@v" + v.number(), s.version(), what + ": a loaded model reports its registry version");
      assertEquals("", ((Ranker) s).withName("renamed").version(), what + ": a renamed model has no registry version");
      assertTrue(v.kind.startsWith("xgboost") ? s instanceof GbdtRanker
          : v == Version.V2 ? s instanceof LinearRanker : s instanceof FmRanker, what + ": " + s);
      assertBitsEqual(expectedScores(v), score(s), what);
    }
    Optional<ModelVersion> production = reg.production(MODEL);
    assertEquals(3, production.orElseThrow().version());
    assertBitsEqual(expectedScores(Version.V3), score(reg.loadProduction(MODEL, SCHEMA)), "production");
    assertEquals("format=sieveml-model-registry-2\norder=3,1\n", stagesBody(root));
    // a rollback (a write) works on the golden registry and restores v1
    assertEquals(1, reg.rollback(MODEL).version());
    assertBitsEqual(expectedScores(Version.V1), score(reg.loadProduction(MODEL, SCHEMA)), "after rollback");
  }

  private static String stagesBody(Path root) throws IOException {
    String text = Files.readString(root.resolve(MODEL).resolve("STAGES"), StandardCharsets.UTF_8);
    return text.substring(0, text.lastIndexOf("sha256="));
  }

  @Test
  void formatOneManifestsStillLoad(@TempDir Path tmp) throws IOException {
    Path root = copyGolden(GOLDEN_V1, tmp.resolve("registry"));
    for (int n = 1; n <= 2; n++) {
      String text = Files.readString(root.resolve(MODEL).resolve("v" + n).resolve("manifest.properties"));
      assertTrue(text.contains("format=sieveml-model-registry-1\n") && !text.contains("manifest.sha256="), text);
    }
    ModelRegistry reg = ModelRegistry.open(root);
    List<ModelVersion> versions = reg.versions(MODEL);
    assertEquals(2, versions.size());
    for (Version v : List.of(Version.V1, Version.V2)) {
      ModelVersion mv = versions.get(v.ordinal());
      String what = "format 1 v" + v.number();
      assertEquals(v.kind, mv.kind(), what);
      assertEquals(v.metrics, mv.metrics(), what);
      assertEquals(createdAt(v.number()), mv.createdAt(), what);
      assertEquals(SIGNATURE, mv.encoderSignature(), what);
      assertEquals(v == Version.V1 ? ModelRegistry.Stage.PRODUCTION : ModelRegistry.Stage.CANDIDATE, mv.stage(), what);
      assertBitsEqual(expectedScores(v), score(reg.load(MODEL, v.number(), SCHEMA)), what);
      assertArrayEquals(Files.readAllBytes(goldenSource(GOLDEN_V2).resolve(MODEL).resolve("v" + v.number())
          .resolve("model.bin")), Files.readAllBytes(root.resolve(MODEL).resolve("v" + v.number())
          .resolve("model.bin")), what + ": the same model file as format 2's");
    }
    assertBitsEqual(expectedScores(Version.V1), score(reg.loadProduction(MODEL, SCHEMA)), "format 1 production");
  }

  @Test
  void xgboostModelJsonLoadsDirectly() throws IOException {
    for (Version v : List.of(Version.V1, Version.V4)) {
      String json = Files.readString(goldenSource(GOLDEN_V2).resolve(MODEL).resolve("v" + v.number())
          .resolve("model.bin"), StandardCharsets.UTF_8);
      GbdtRanker g = GbdtRanker.fromModelJson("golden", encoder(), json);
      assertEquals(v == Version.V1 ? 3 : 2, g.treeCount(), "v" + v.number());
      assertEquals(json, g.modelJson());
      assertBitsEqual(expectedScores(v), score(g), "model JSON of v" + v.number());
    }
  }

  @Test
  void unknownManifestFormatsAreRefusedNamingTheFormat(@TempDir Path tmp) throws IOException {
    Path root = copyGolden(GOLDEN_V2, tmp.resolve("registry"));
    Path manifest = root.resolve(MODEL).resolve("v2").resolve("manifest.properties");
    String text = Files.readString(manifest, StandardCharsets.UTF_8);
    String body = text.substring(0, text.lastIndexOf("manifest.sha256="));
    for (String format : List.of("sieveml-model-registry-4", "sieveml-model-registry-0", "")) {
      // a valid checksum line: the format itself is refused
      Files.writeString(manifest, sealManifest(body.replace("format=sieveml-model-registry-2", "format=" + format)));
      ModelRegistry reg = ModelRegistry.open(root);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.versions(MODEL), format);
      assertTrue(e.getMessage().contains("has format '" + format + "'") && e.getMessage().contains(manifest.toString()),
          e.getMessage());
    }
  }
}
