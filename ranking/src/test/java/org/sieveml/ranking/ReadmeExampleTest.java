package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.Scorer;

/**
 * The README's "train, register, serve" example, compiled and run: the block between the markers below is the
 * README's Java block after {@code <!-- train-register-serve -->}, character for character (the test checks
 * that, so the two cannot drift).
 */
class ReadmeExampleTest {
  @TempDir Path modelsDir;

  @Test
  void trainRegisterServe() throws Exception {
    FeatureSchema schema = RegistryFormatTest.SCHEMA;
    double[] all = new double[1500];
    FeatureFrame rows = RegistryFormatTest.trainingRows(all);
    FeatureFrame trainFrame = rows.rows(range(0, 1000));
    double[] labels = java.util.Arrays.copyOfRange(all, 0, 1000);
    FeatureFrame heldOutFrame = rows.rows(range(1000, 1500));
    double[] heldOutLabels = java.util.Arrays.copyOfRange(all, 1000, 1500);
    FeatureVector request = RegistryFormatTest.inputs().get(0);

    // README:begin
    FeatureEncoder enc = FeatureEncoder.builder(schema)
        .hashed("country", 1 << 20)   // signed hashing trick, seeded; null and "" are missing, not categories
        .standardizeNumeric()         // fitted on the training frame, stored with the model
        .build();
    GbdtRanker gbdt = GbdtRanker.trainer(enc).rounds(100).maxDepth(6).seed(7).name("ctr").train(trainFrame, labels);
    CalibratedRanker model = CalibratedRanker.trainer(gbdt).method(CalibratedRanker.Method.ISOTONIC)
        .negativeSamplingRate(0.1)    // training kept 10 % of the negatives: predictions are corrected back
        .train(heldOutFrame, heldOutLabels);
    double auc = ClassificationMetrics.rocAuc(model.predict(heldOutFrame), heldOutLabels);

    ModelRegistry registry = ModelRegistry.open(modelsDir);
    int version = registry.register("ctr", model, Map.of("auc", auc), "fs-v3").version();
    registry.promote("ctr", version);

    CalibratedRanker serving = registry.loadProduction("ctr", CalibratedRanker.class); // checksums verified
    double p = serving.predict(request);   // one FeatureVector
    Scorer scorer = serving;               // or the pipeline's scoring stage
    // README:end

    assertTrue(auc > 0.7, "AUC " + auc);
    assertEquals(model.predict(request), p, 0.0);
    assertEquals(p, RegistryFormatTest.score(scorer)[0], 0.0);
    assertEquals(readmeBlock(), thisBlock());
  }

  private static int[] range(int from, int to) {
    int[] r = new int[to - from];
    for (int i = 0; i < r.length; i++) {
      r[i] = from + i;
    }
    return r;
  }

  /** The README's block, trimmed line by line. */
  static List<String> readmeBlock() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("..", "README.md"), StandardCharsets.UTF_8);
    int at = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).startsWith("<!-- train-register-serve")) {
        at = i;
      }
    }
    assertTrue(at >= 0 && lines.get(at + 1).equals("```java"), "the README marks the example");
    List<String> out = new ArrayList<>();
    for (int i = at + 2; !lines.get(i).equals("```"); i++) {
      out.add(lines.get(i).trim());
    }
    return out;
  }

  /** This file's block between the markers, trimmed line by line. */
  static List<String> thisBlock() throws Exception {
    List<String> lines = Files.readAllLines(Path.of("src/test/java/org/sieveml/ranking/ReadmeExampleTest.java"),
        StandardCharsets.UTF_8);
    List<String> out = new ArrayList<>();
    boolean in = false;
    for (String l : lines) {
      if (l.trim().equals("// README:end")) {
        break;
      }
      if (in) {
        out.add(l.trim());
      }
      if (l.trim().equals("// README:begin")) {
        in = true;
      }
    }
    return out;
  }
}
