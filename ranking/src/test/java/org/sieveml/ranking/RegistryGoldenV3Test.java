package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureFrame;

/**
 * The golden registry of the current manifest format ({@code sieveml-model-registry-3}), written by this
 * version: {@code src/test/resources/golden/registry-v3/} holds model {@code ctr} with one version of every
 * kind the registry stores, over {@code sieveml-encoder-v2} encoders (signed hash buckets, one-hot columns,
 * standardized numeric columns fitted on the training rows):
 * <ol>
 *   <li>XGBoost JSON, binary:logistic (one-hot country);
 *   <li>Tribuo linear SGD (hashed country, standardized numerics);
 *   <li>Tribuo factorization machine (same encoder);
 *   <li>XGBoost JSON, reg:squarederror;
 *   <li>Tribuo linear regression ({@code tribuo-linear-regression});
 *   <li>the calibrated pair: v1's model with an isotonic calibration and a negative sampling rate of 0.25;
 *   <li>XGBoost JSON, rank:ndcg (LambdaMART over query groups of 10).
 * </ol>
 * v1 then v6 promoted (v6 in production, v1 archived). Each version's predictions on
 * {@link RegistryFormatTest#inputs()} are pinned bit for bit.
 *
 * <p>Regenerate (only when the format changes on purpose, into a new {@code registry-v<N>} directory):
 *
 * <pre>
 * flock /tmp/sieveml-build.lock mvn -o -B test -pl ranking -Dtest=RegistryGoldenV3Test \
 *     -Dsieveml.golden.write=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * The generator trains on seeded data with one XGBoost thread and fixed seeds, so parameters and predictions
 * are reproduced exactly; it fixes each version's {@code createdAt} and provenance {@code trainedAt} (and
 * reseals the manifest). Tribuo's own provenance inside its model files still records the training time,
 * the JVM and the OS, so those bytes (and their sha256) differ between runs.
 */
class RegistryGoldenV3Test {
  static final String GOLDEN_V3 = "golden/registry-v3";
  static final String MODEL = RegistryFormatTest.MODEL;

  /** A golden version. */
  enum Version {
    V1("xgboost-json", GbdtRanker.class),
    V2("tribuo-linear-sgd", LinearRanker.class),
    V3("tribuo-fm", FmRanker.class),
    V4("xgboost-json", GbdtRanker.class),
    V5("tribuo-linear-regression", LinearRegressor.class),
    V6("calibrated", CalibratedRanker.class),
    V7("xgboost-json", GbdtRanker.class);

    final String kind;
    final Class<? extends Ranker> type;

    Version(String kind, Class<? extends Ranker> type) {
      this.kind = kind;
      this.type = type;
    }

    int number() {
      return ordinal() + 1;
    }
  }

  static FeatureEncoder treeEncoder() {
    return FeatureEncoder.builder(RegistryFormatTest.SCHEMA).oneHot("country", List.of("DE", "FR", "JP", "US"))
        .build();
  }

  static FeatureEncoder linearEncoder() {
    return FeatureEncoder.builder(RegistryFormatTest.SCHEMA).hashed("country", 16).standardizeNumeric().hashSeed(7)
        .build();
  }

  /** Trains the golden models, deterministically. */
  static List<Ranker> train() {
    double[] labels = new double[400];
    FeatureFrame frame = RegistryFormatTest.trainingRows(labels);
    double[] target = new double[labels.length];
    for (int i = 0; i < target.length; i++) {
      target[i] = labels[i] * 2 - 0.5 + frame.asDouble(i, 2) * 0.1;
    }
    List<Ranker> out = new ArrayList<>();
    GbdtRanker gbdt = GbdtRanker.trainer(treeEncoder()).name("gbdt").rounds(3).maxDepth(2).threads(1).seed(42)
        .train(frame, labels);
    out.add(gbdt);
    out.add(LinearRanker.trainer(linearEncoder()).name("linear").epochs(2).learningRate(0.1).seed(1)
        .train(frame, labels));
    out.add(FmRanker.trainer(linearEncoder()).name("fm").epochs(2).learningRate(0.05).factors(2).seed(3)
        .train(frame, labels));
    out.add(GbdtRanker.trainer(treeEncoder()).name("gbdt-reg").objective(GbdtRanker.Objective.SQUARED_ERROR)
        .rounds(2).maxDepth(2).threads(1).seed(7).train(frame, target));
    out.add(LinearRegressor.trainer(linearEncoder()).name("regression").epochs(3).learningRate(0.05).seed(5)
        .train(frame, target));
    double[] heldOutLabels = new double[200];
    FeatureFrame heldOut = heldOut(heldOutLabels);
    out.add(CalibratedRanker.trainer(gbdt).name("calibrated").method(CalibratedRanker.Method.ISOTONIC)
        .negativeSamplingRate(0.25).seed(11).train(heldOut, heldOutLabels));
    double[] relevance = new double[labels.length];
    int[] groups = new int[labels.length / 10];
    java.util.Arrays.fill(groups, 10);
    for (int i = 0; i < relevance.length; i++) {
      relevance[i] = labels[i] + (frame.asDouble(i, 0) > 0.5 ? 1 : 0);
    }
    out.add(GbdtRanker.trainer(treeEncoder()).name("lambdamart").objective(GbdtRanker.Objective.RANK_NDCG)
        .rounds(3).maxDepth(2).threads(1).seed(9).trainRanking(frame, relevance, groups));
    return out;
  }

  /** Held-out rows for the calibration: the generator's stream after the training rows. */
  static FeatureFrame heldOut(double[] labels) {
    double[] all = new double[400 + labels.length];
    FeatureFrame f = RegistryFormatTest.trainingRows(all);
    int[] rows = new int[labels.length];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = 400 + i;
      labels[i] = all[400 + i];
    }
    return f.rows(rows);
  }

  /** Writes the golden registry into {@code resources} (which must not hold it yet). */
  static void writeGolden(Path resources) throws IOException {
    List<Ranker> models = train();
    Path root = resources.resolve(GOLDEN_V3);
    ModelRegistry reg = ModelRegistry.open(root);
    for (Version v : Version.values()) {
      ModelVersion mv = reg.register(MODEL, models.get(v.ordinal()), Map.of("auc", 0.5 + v.number() / 64.0),
          "fs-" + v.number());
      assertEquals(v.number(), mv.version());
      Path manifest = root.resolve(MODEL).resolve("v" + v.number()).resolve("manifest.properties");
      String text = Files.readString(manifest, StandardCharsets.UTF_8);
      String body = text.substring(0, text.lastIndexOf("manifest.sha256="))
          .replaceFirst("(?m)^createdAt=.*$", "createdAt=" + fixedInstant(v.number()))
          .replaceAll("(?m)^((?:calibrated\\.base\\.)?provenance\\.trainedAt)=.*$", "$1=" + fixedInstant(v.number()));
      Files.writeString(manifest, RegistryFormatTest.sealManifest(body), StandardCharsets.UTF_8);
    }
    reg.promote(MODEL, 1);
    reg.promote(MODEL, 6);
  }

  private static String fixedInstant(int v) {
    return RegistryFormatTest.createdAt(v).toString().replace(":", "\\\\:");
  }

  /** The predictions of each golden version on the pinned inputs, as the generator computed them. */
  static double[] expectedScores(Version v) {
    switch (v) {
      case V1:
        return new double[] {0.5787245035171509, 0.44791826605796814, 0.5940513610839844, 0.5526247620582581,
            0.5526247620582581};
      case V2:
        return new double[] {0.9211482127776437, 0.10755701822758668, 0.874752995697149, 0.8571003477338159,
            0.4577378898423829};
      case V3:
        return new double[] {0.9319274827562339, 0.08288265390064045, 0.8569604861578912, 0.8633544536062953,
            0.7363159885250359};
      case V4:
        return new double[] {0.6170094013214111, 0.4791930019855499, 0.7490315437316895, 0.5488434433937073,
            0.5488434433937073};
      case V5:
        return new double[] {1.7555770985474441, -0.1495334002823387, 1.8942514392795, 1.5633777409832992,
            0.024340668863967248};
      case V6:
        return new double[] {0.5897435897435898, 0.0, 1.0, 0.31675416663975176, 0.31675416663975176};
      case V7:
        return new double[] {0.7375019788742065, 0.3056314289569855, 0.3056314289569855, 0.7375019788742065,
            0.7375019788742065};
      default:
        throw new AssertionError(v);
    }
  }

  @Test
  @EnabledIfSystemProperty(named = "sieveml.golden.write", matches = "true")
  void regenerateGoldenFiles() throws IOException {
    Path resources = Path.of("src/test/resources").toAbsolutePath();
    RegistryFormatTest.deleteTree(resources.resolve(GOLDEN_V3));
    writeGolden(resources);
    ModelRegistry reg = ModelRegistry.open(resources.resolve(GOLDEN_V3));
    for (Version v : Version.values()) {
      double[] s = RegistryFormatTest.score(reg.load(MODEL, v.number(), RegistryFormatTest.SCHEMA));
      StringBuilder b = new StringBuilder("      case " + v + ":\n        return new double[] {");
      for (int i = 0; i < s.length; i++) {
        b.append(i == 0 ? "" : ", ").append(s[i]);
      }
      System.out.println(b.append("};"));
    }
    System.out.println("wrote " + resources.resolve(GOLDEN_V3) + ": "
        + RegistryFormatTest.relativeFiles(resources.resolve(GOLDEN_V3)));
  }

  @Test
  void formatThreeManifestsStagesAndPredictions(@TempDir Path tmp) throws IOException {
    Path root = RegistryFormatTest.copyGolden(GOLDEN_V3, tmp.resolve("registry"));
    ModelRegistry reg = ModelRegistry.open(root);
    List<ModelVersion> versions = reg.versions(MODEL);
    assertEquals(Version.values().length, versions.size());
    for (Version v : Version.values()) {
      ModelVersion mv = versions.get(v.ordinal());
      String what = "v" + v.number();
      assertEquals(v.kind, mv.kind(), what);
      assertEquals(v == Version.V1 ? ModelRegistry.Stage.ARCHIVED : v == Version.V6 ? ModelRegistry.Stage.PRODUCTION
          : ModelRegistry.Stage.CANDIDATE, mv.stage(), what);
      assertEquals(Map.of("auc", 0.5 + v.number() / 64.0), mv.metrics(), what);
      assertEquals(RegistryFormatTest.createdAt(v.number()), mv.createdAt(), what);
      assertTrue(mv.encoderSignature().startsWith("sieveml-encoder-v2|"), what + ": " + mv.encoderSignature());
      byte[] model = Files.readAllBytes(root.resolve(MODEL).resolve("v" + v.number()).resolve("model.bin"));
      assertEquals(ModelRegistry.sha256(model), mv.sha256(), what);
      Ranker r = reg.load(MODEL, v.number(), v.type, RegistryFormatTest.SCHEMA);
      assertTrue(v.type.isInstance(r), what + ": " + r);
      assertBitsEqual(expectedScores(v), RegistryFormatTest.score(r), what);
      ModelProvenance p = r.provenance();
      assertEquals(v == Version.V6 ? 200 : 400, p.trainingRows(), what + " rows");
      assertEquals(RegistryFormatTest.createdAt(v.number()), p.trainedAt(), what);
      assertTrue(p.dataFingerprint().matches("[0-9a-f]{64}"), what);
      if (v.kind.startsWith("xgboost")) {
        assertEquals("1.6.2", p.libraries().get("xgboost4j"), what + ": " + p);
        assertEquals("1", p.parameters().get("nthread"), what + ": " + p);
      }
      if (v.kind.startsWith("tribuo")) {
        assertTrue(p.libraries().containsKey("tribuo"), what + ": " + p);
      }
    }
    CalibratedRanker c = reg.loadProduction(MODEL, CalibratedRanker.class);
    assertEquals(0.25, c.negativeSamplingRate());
    assertTrue(c.calibrator() != null && c.calibrator().toText().startsWith("isotonic"), c.calibrator().toString());
    assertBitsEqual(expectedScores(Version.V6), RegistryFormatTest.score(c), "production");
    // its base is v1's model, stored inside the pair
    assertBitsEqual(RegistryFormatTest.score(reg.load(MODEL, 1, GbdtRanker.class, null)),
        RegistryFormatTest.score(c.base()), "base of the pair");
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> reg.loadProduction(MODEL, GbdtRanker.class));
    assertTrue(e.getMessage().contains("CalibratedRanker") && e.getMessage().contains("GbdtRanker"), e.getMessage());
  }

  /** The current writer produces manifests of exactly the golden layout and the same predictions. */
  @Test
  void currentWriterReproducesTheGoldenRegistry(@TempDir Path tmp) throws IOException {
    writeGolden(tmp);
    ModelRegistry reg = ModelRegistry.open(tmp.resolve(GOLDEN_V3));
    for (Version v : Version.values()) {
      Path rel = Path.of(MODEL, "v" + v.number());
      assertEquals(manifestLines(RegistryFormatTest.goldenSource(GOLDEN_V3).resolve(rel)),
          manifestLines(tmp.resolve(GOLDEN_V3).resolve(rel)), "v" + v.number());
      if (!v.kind.startsWith("tribuo")) {
        assertArrayEquals(Files.readAllBytes(RegistryFormatTest.goldenSource(GOLDEN_V3).resolve(rel)
            .resolve("model.bin")), Files.readAllBytes(tmp.resolve(GOLDEN_V3).resolve(rel).resolve("model.bin")),
            "v" + v.number());
      }
      assertBitsEqual(expectedScores(v), RegistryFormatTest.score(reg.load(MODEL, v.number(), v.type, null)),
          "retrained v" + v.number());
    }
    assertEquals(RegistryFormatTest.relativeFiles(RegistryFormatTest.goldenSource(GOLDEN_V3)),
        RegistryFormatTest.relativeFiles(tmp.resolve(GOLDEN_V3)));
  }

  /** The manifest's lines with what varies between runs blanked: Tribuo's provenance and checksums. */
  private static List<String> manifestLines(Path versionDir) throws IOException {
    List<String> lines = Files.readAllLines(versionDir.resolve("manifest.properties"), StandardCharsets.UTF_8);
    boolean tribuo = lines.contains("kind=tribuo-linear-sgd") || lines.contains("kind=tribuo-fm")
        || lines.contains("kind=tribuo-linear-regression");
    List<String> out = new ArrayList<>();
    for (String line : lines) {
      boolean varies = line.startsWith("provenance=") || line.startsWith("manifest.sha256=")
          || line.startsWith("provenance.lib.sieveml-ranking=") || (tribuo && line.startsWith("sha256="));
      out.add(varies ? line.substring(0, line.indexOf('=') + 1) + "..." : line);
    }
    return out;
  }

  private static void assertBitsEqual(double[] want, double[] got, String what) {
    assertEquals(want.length, got.length, what);
    for (int i = 0; i < want.length; i++) {
      assertEquals(Double.doubleToLongBits(want[i]), Double.doubleToLongBits(got[i]),
          what + " input " + i + ": expected " + want[i] + " but was " + got[i]);
    }
  }
}
