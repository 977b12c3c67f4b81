package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.Scorer;

class ModelRegistryTest {
  @TempDir
  Path dir;

  private final double[] y = new double[1500];
  private final List<FeatureVector> data = GbdtRankerTest.synth(1500, 3, y);

  private GbdtRanker gbdt(int rounds) {
    return GbdtRanker.trainer(GbdtRankerTest.encoder()).rounds(rounds).train(GbdtRankerTest.frame(data), y, null);
  }

  private double[] scores(Scorer s) {
    return s.score(null, GbdtRankerTest.candidates(data.size()), data);
  }

  @Test
  void registerPromoteRollbackAndLoadEqualScores() {
    ModelRegistry reg = ModelRegistry.open(dir);
    GbdtRanker a = gbdt(10);
    GbdtRanker b = gbdt(20);
    LinearRanker c = LinearRanker.trainer(GbdtRankerTest.encoder()).name("lr").epochs(2).learningRate(0.1).seed(1).train(GbdtRankerTest.frame(data), y, null);
    ModelVersion v1 = reg.register("ctr", a, Map.of("auc", 0.81), "fs-1");
    ModelVersion v2 = reg.register("ctr", b, Map.of("auc", 0.83), "fs-1");
    ModelVersion v3 = reg.register("ctr", c, Map.of("auc", 0.7), "fs-2");
    assertEquals(List.of(1, 2, 3), List.of(v1.version(), v2.version(), v3.version()));
    assertEquals(ModelRegistry.Stage.CANDIDATE, v1.stage());
    assertEquals(0.83, v2.metrics().get("auc"));
    assertTrue(v3.provenance().contains("LinearSGDTrainer"), v3.provenance());
    assertTrue(reg.production("ctr").isEmpty());

    reg.promote("ctr", 1);
    reg.promote("ctr", 2);
    assertEquals(2, reg.production("ctr").orElseThrow().version());
    assertEquals(ModelRegistry.Stage.ARCHIVED, reg.versions("ctr").get(0).stage());
    assertArrayEquals(scores(b), scores(reg.loadProduction("ctr", GbdtRankerTest.SCHEMA)), 0.0);

    assertEquals(1, reg.rollback("ctr").version());
    // a fresh instance (another process) sees the same state
    ModelRegistry again = ModelRegistry.open(dir);
    assertEquals(1, again.production("ctr").orElseThrow().version());
    assertArrayEquals(scores(a), scores(again.loadProduction("ctr", GbdtRankerTest.SCHEMA)), 0.0);
    assertArrayEquals(scores(c), scores(again.load("ctr", 3, GbdtRankerTest.SCHEMA)), 0.0);
    assertEquals(2, again.rollback("ctr").version());
    assertThrows(IllegalArgumentException.class, () -> reg.promote("ctr", 9));
  }

  @Test
  void corruptedModelFileIsRefused() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(5), Map.of(), "fs");
    Path f = dir.resolve("m/v1/model.bin");
    byte[] bytes = Files.readAllBytes(f);
    bytes[bytes.length / 2] ^= 1;
    Files.write(f, bytes);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.load("m", 1, GbdtRankerTest.SCHEMA));
    assertTrue(e.getMessage().contains("corrupted"), e.getMessage());
  }

  /**
   * Issue 15: a manifest missing a field, or with metric.auc=abc, failed with NullPointerException or
   * NumberFormatException; both are refused naming the manifest and the field.
   */
  @Test
  void damagedManifestsAreRefusedNamingTheField() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(2), Map.of("auc", 0.8), "fs");
    Path f = dir.resolve("m/v1/manifest.properties");
    String good = Files.readString(f);
    Files.writeString(f, good.replaceAll("(?m)^metric\\.auc=.*$", "metric.auc=0.9"));
    IllegalStateException sum = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(sum.getMessage().contains("checksum mismatch"), "the manifest is checksummed: " + sum.getMessage());
    // the field checks, on manifests whose checksum line is recomputed
    good = good.substring(0, good.lastIndexOf("manifest.sha256="));
    good += "manifest.sha256=" + ModelRegistry.sha256(good.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n";
    Files.writeString(f, reseal(good.replaceAll("(?m)^metric\\.auc=.*$", "metric.auc=abc")));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("metric.auc is 'abc'"), e.getMessage());
    Files.writeString(f, reseal(good.replaceAll("(?m)^featureServiceVersion=.*$\\R?", "")));
    e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("lacks the field 'featureServiceVersion'"), e.getMessage());
    Files.writeString(f, reseal(good.replaceAll("(?m)^createdAt=.*$", "createdAt=yesterday")));
    e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("createdAt is 'yesterday'"), e.getMessage());
    Files.writeString(f, good);
    assertEquals(0.8, reg.versions("m").get(0).metrics().get("auc"));
  }

  /** Issue 15: temp files of interrupted writes piled up; opening the registry removes them. */
  @Test
  void leftoversOfInterruptedWritesAreRemovedOnOpen() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(2), Map.of("auc", 0.8), "fs");
    reg.promote("m", 1);
    Path orphanVersion = Files.createDirectories(dir.resolve("m/.tmp-v2-123"));
    Files.write(orphanVersion.resolve("model.bin"), new byte[] {1, 2, 3});
    Path orphanStages = Files.write(dir.resolve("m/.STAGES-456.tmp"), new byte[] {4});
    ModelRegistry again = ModelRegistry.open(dir);
    assertTrue(!Files.exists(orphanVersion) && !Files.exists(orphanStages), "the leftovers are gone");
    assertEquals(1, again.versions("m").size());
    assertEquals(1, again.production("m").get().version(), "the promoted version stays in production");
  }

  /** Issue 15: on a read-only directory the messages named only the path, not the cause. */
  @Test
  void aReadOnlyRegistryNamesTheCause() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(2), Map.of("auc", 0.8), "fs");
    Path model = dir.resolve("m");
    org.junit.jupiter.api.Assumptions.assumeTrue(model.toFile().setWritable(false),
        "the file system cannot make a directory read-only");
    try {
      org.junit.jupiter.api.Assumptions.assumeFalse(Files.isWritable(model), "running as a user who writes anyway");
      java.io.UncheckedIOException e = assertThrows(java.io.UncheckedIOException.class,
          () -> reg.register("m", gbdt(2), Map.of("auc", 0.8), "fs"));
      assertTrue(e.getMessage().contains("AccessDenied") || e.getMessage().contains("ermission"), e.getMessage());
      assertEquals(1, reg.versions("m").size(), "nothing changed");
    } finally {
      model.toFile().setWritable(true);
    }
  }

  /** A manifest with its checksum line recomputed over the lines before it. */
  private static String reseal(String manifest) {
    String body = manifest.substring(0, manifest.lastIndexOf("manifest.sha256="));
    return body + "manifest.sha256=" + ModelRegistry.sha256(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))
        + "\n";
  }

  /** Manifests of format 1 (before the checksum line) still load. */
  @Test
  void aFormatOneManifestStillLoads() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(2), Map.of("auc", 0.8), "fs");
    Path f = dir.resolve("m/v1/manifest.properties");
    String text = Files.readString(f);
    String v1 = text.substring(0, text.lastIndexOf("manifest.sha256="))
        .replace("format=sieveml-model-registry-3", "format=sieveml-model-registry-1");
    Files.writeString(f, v1);
    assertEquals(0.8, reg.versions("m").get(0).metrics().get("auc"));
    assertTrue(reg.load("m", 1, GbdtRankerTest.SCHEMA) != null, "its model loads");
    Files.writeString(f, v1.replace("sieveml-model-registry-1", "sieveml-model-registry-9"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("has format 'sieveml-model-registry-9'"), e.getMessage());
  }

  /**
   * Issue 15: Tribuo's loader instantiates the class named in the file. A model whose protobuf names
   * another class (here: a linear model's bytes under the FM kind, checksums matching) is refused before
   * Tribuo sees it.
   */
  @Test
  void tribuoModelsLoadOnlyTheClassesTheRegistryWrites() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    LinearRanker lr = LinearRanker.trainer(GbdtRankerTest.encoder()).name("lr").epochs(1).learningRate(0.1).seed(1).train(GbdtRankerTest.frame(data), y, null);
    reg.register("m", lr, Map.of(), "fs");
    Path f = dir.resolve("m/v1/manifest.properties");
    String text = Files.readString(f).replace("kind=tribuo-linear-sgd", "kind=tribuo-fm");
    Files.writeString(f, reseal(text));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.load("m", 1, GbdtRankerTest.SCHEMA));
    assertTrue(e.getMessage().contains("names class 'org.tribuo.classification.sgd.linear.LinearSGDModel'")
        && e.getMessage().contains("expected org.tribuo.classification.sgd.fm.FMClassificationModel"), e.getMessage());
  }

  @Test
  void schemaMismatchIsRefused() {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(5), Map.of(), "fs");
    FeatureSchema other = FeatureSchema.of(FeatureSpec.of("x1", FeatureType.DOUBLE),
        FeatureSpec.of("x2", FeatureType.LONG));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reg.load("m", 1, other));
    assertTrue(e.getMessage().contains("x2"), e.getMessage());
  }

  @Test
  void crashMidPromotionLeavesOneConsistentProductionModel() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(5), Map.of(), "fs");
    reg.register("m", gbdt(6), Map.of(), "fs");
    reg.promote("m", 1);
    // a crash after writing the new stage file but before the rename leaves a temp file behind;
    // a crash while writing a new version leaves a temp directory with a partial model
    Files.writeString(dir.resolve("m/.STAGES-crash.tmp"), "format=sieveml-model-registry-1\norder=2,", StandardCharsets.UTF_8);
    Files.createDirectories(dir.resolve("m/.tmp-v3-crash"));
    Files.writeString(dir.resolve("m/.tmp-v3-crash/model.bin"), "{partial", StandardCharsets.UTF_8);
    ModelRegistry after = ModelRegistry.open(dir);
    assertEquals(1, after.production("m").orElseThrow().version());
    assertEquals(2, after.versions("m").size());
    after.load("m", 1, GbdtRankerTest.SCHEMA);
    // a torn stage file (not produced by our rename protocol, e.g. disk corruption) is detected, not misread
    Files.writeString(dir.resolve("m/STAGES"), "format=sieveml-model-registry-1\norder=2,1\nsha256=00\n");
    assertThrows(IllegalStateException.class, () -> after.production("m"));
  }

  @Test
  void concurrentPromotionsAndLoadsAlwaysSeeACompleteModel() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(3), Map.of(), "fs");
    reg.register("m", gbdt(4), Map.of(), "fs");
    reg.promote("m", 1);
    Thread writer = new Thread(() -> {
      for (int i = 0; i < 50; i++) {
        reg.promote("m", 1 + (i % 2));
      }
    });
    writer.start();
    for (int i = 0; i < 50; i++) {
      Scorer s = reg.loadProduction("m", GbdtRankerTest.SCHEMA);
      assertTrue(((GbdtRanker) s).treeCount() == 3 || ((GbdtRanker) s).treeCount() == 4);
    }
    writer.join();
  }

  @Test
  void badNamesAreRefused() {
    ModelRegistry reg = ModelRegistry.open(dir);
    assertThrows(IllegalArgumentException.class, () -> reg.register("../evil", gbdt(2), Map.of(), "fs"));
    assertThrows(IllegalArgumentException.class, () -> reg.register("m", null, Map.of(), "fs"));
  }

  /**
   * Issue 15: {@code load("../other/planted", ...)} and {@code load("/abs/path", ...)} loaded models from
   * outside the registry's root (only {@code register} checked names). Every entry point refuses them now.
   */
  @Test
  void namesNeverReachOutsideTheRoot() throws Exception {
    Path root = dir.resolve("registry");
    ModelRegistry reg = ModelRegistry.open(root);
    reg.register("ctr", gbdt(2), Map.of("auc", 0.8), "fs-1");
    // a planted model next to the registry, reachable by ../ before the fix
    ModelRegistry other = ModelRegistry.open(dir.resolve("other"));
    other.register("planted", gbdt(2), Map.of("auc", 0.8), "fs-1");
    FeatureSchema schema = GbdtRankerTest.SCHEMA;
    reg.load("ctr", 1, schema); // a good name loads
    for (String bad : List.of("../other/planted", dir.resolve("other").resolve("planted").toString(), "..", ".",
        "a/b", "", " ctr")) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> reg.load(bad, 1, schema),
          "load " + bad);
      assertTrue(e.getMessage().contains("model name"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> reg.versions(bad), "versions " + bad);
      assertThrows(IllegalArgumentException.class, () -> reg.loadProduction(bad, schema), "loadProduction " + bad);
      assertThrows(IllegalArgumentException.class, () -> reg.promote(bad, 1), "promote " + bad);
    }
  }

  @Test
  void factorizationMachinesRoundTripThroughTheRegistry() {
    ModelRegistry reg = ModelRegistry.open(dir);
    FmRanker fm = FmRanker.trainer(GbdtRankerTest.encoder()).name("fm").epochs(2).learningRate(0.05).factors(4).seed(3).train(GbdtRankerTest.frame(data), y, null);
    ModelVersion v = reg.register("recs", fm, Map.of("auc", 0.7), "fs-1");
    assertTrue(v.provenance().contains("FMClassificationTrainer"), v.provenance());
    reg.promote("recs", v.version());
    org.sieveml.core.pipeline.Scorer back = reg.loadProduction("recs", GbdtRankerTest.SCHEMA);
    assertTrue(back instanceof FmRanker, back.toString());
    assertArrayEquals(scores(fm), scores(back), 0.0);
  }

  /**
   * Issue 15 (RegistryFuzzTest): files damaged behind a valid checksum were refused with exceptions from
   * deeper down that named neither the model nor the file, or with the wrong kind of exception: a stage
   * order of "x" (NumberFormatException), a production version that does not exist (UncheckedIOException:
   * NoSuchFileException), a manifest that is not UTF-8 (UncheckedIOException: MalformedInputException) or
   * has a malformed escape (IllegalArgumentException: Malformed \\uxxxx encoding), an encoder signature
   * without an embedding's dimension (ArrayIndexOutOfBoundsException), malformed model JSON (an
   * IllegalArgumentException naming only an offset). Each is an IllegalStateException naming the file or
   * the model now.
   */
  @Test
  void filesDamagedBehindAValidChecksumAreRefusedNamingTheFileOrModel() throws Exception {
    ModelRegistry reg = ModelRegistry.open(dir);
    reg.register("m", gbdt(2), Map.of("auc", 0.8), "fs");
    reg.promote("m", 1);
    Path stages = dir.resolve("m/STAGES");
    String goodStages = Files.readString(stages);
    for (String order : List.of("x", "-1", "1,1", "1,,1", "99999999999")) {
      String body = "format=sieveml-model-registry-2\norder=" + order + "\n";
      Files.writeString(stages, body + "sha256=" + ModelRegistry.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n");
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.production("m"), order);
      assertTrue(e.getMessage().contains("stage file " + stages) && e.getMessage().contains("order is '" + order + "'"),
          e.getMessage());
    }
    String body = "format=sieveml-model-registry-2\norder=9\n";
    Files.writeString(stages, body + "sha256=" + ModelRegistry.sha256(body.getBytes(StandardCharsets.UTF_8)) + "\n");
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> reg.production("m"));
    assertTrue(e.getMessage().contains("names v9 of model 'm' as production, which does not exist"), e.getMessage());
    Files.writeString(stages, goodStages);

    Path f = dir.resolve("m/v1/manifest.properties");
    String good = Files.readString(f);
    byte[] notUtf8 = good.replace("format=sieveml-model-registry-2", "format=sieveml-model-registry-1")
        .substring(0, good.lastIndexOf("manifest.sha256=")).getBytes(StandardCharsets.UTF_8);
    notUtf8[notUtf8.length - 3] = (byte) 0xff;
    Files.write(f, notUtf8);
    e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("manifest " + f + " is corrupted (not UTF-8 text"), e.getMessage());
    Files.writeString(f, reseal(good.replaceAll("(?m)^featureServiceVersion=.*$", "featureServiceVersion=\\\\uZZZZ")));
    e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("manifest " + f + " is corrupted (Malformed"), e.getMessage());
    Files.writeString(f, reseal(good.replaceAll("(?m)^metric\\.auc=.*$", "metric.auc=NaN")));
    e = assertThrows(IllegalStateException.class, () -> reg.versions("m"));
    assertTrue(e.getMessage().contains("metric.auc is 'NaN'; expected a finite number"), e.getMessage());
    Files.writeString(f, reseal(good.replaceAll("(?m)^encoder=.*$", "encoder=sieveml-encoder-v1|e\\\\:EMBEDDING")));
    e = assertThrows(IllegalStateException.class, () -> reg.load("m", 1, GbdtRankerTest.SCHEMA));
    assertTrue(e.getMessage().contains("model 'm@v1' has a damaged manifest: encoder signature part 'e:EMBEDDING'"
        + " lacks the dimension"), e.getMessage());
    Files.writeString(f, good);

    Path model = dir.resolve("m/v1/model.bin");
    byte[] json = Files.readAllBytes(model);
    byte[] broken = java.util.Arrays.copyOf(json, json.length / 2);
    Files.write(model, broken);
    Files.writeString(f, reseal(good.replaceAll("(?m)^sha256=.*$", "sha256=" + ModelRegistry.sha256(broken))));
    e = assertThrows(IllegalStateException.class, () -> reg.load("m", 1, GbdtRankerTest.SCHEMA));
    assertTrue(e.getMessage().startsWith("model 'm@v1' cannot be loaded: malformed JSON at offset"), e.getMessage());
  }
}
