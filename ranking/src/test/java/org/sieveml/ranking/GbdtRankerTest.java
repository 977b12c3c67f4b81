package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

class GbdtRankerTest {

  static final FeatureSchema SCHEMA = FeatureSchema.of(
      FeatureSpec.of("x1", FeatureType.DOUBLE),
      FeatureSpec.of("x2", FeatureType.DOUBLE),
      FeatureSpec.of("n", FeatureType.LONG),
      FeatureSpec.of("flag", FeatureType.BOOLEAN),
      FeatureSpec.of("cat", FeatureType.STRING));

  static FeatureEncoder encoder() {
    return FeatureEncoder.builder(SCHEMA).hashed("cat", 8).build();
  }

  /** Seeded synthetic data with 10 % missing values. */
  static List<FeatureVector> synth(int n, long seed, double[] labels) {
    return synth(n, seed, labels, 0.1);
  }

  static List<FeatureVector> synth(int n, long seed, double[] labels, double missingRate) {
    Random r = new Random(seed);
    List<FeatureVector> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      FeatureVector.Builder b = FeatureVector.builder(SCHEMA);
      double x1 = r.nextGaussian();
      double x2 = r.nextGaussian();
      long k = r.nextInt(20);
      boolean f = r.nextBoolean();
      String c = "c" + r.nextInt(12);
      double z = 1.5 * x1 - x2 * x2 + 0.1 * k + (f ? 0.7 : -0.3) + (c.hashCode() % 3) * 0.5;
      labels[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      if (r.nextDouble() < missingRate) {
        b.setMissing("x1");
      } else {
        b.setDouble("x1", x1);
      }
      if (r.nextDouble() < missingRate) {
        b.setMissing("x2");
      } else {
        b.setDouble("x2", x2);
      }
      b.setLong("n", k).setBoolean("flag", f);
      if (r.nextDouble() < missingRate) {
        b.setMissing("cat");
      } else {
        b.setString("cat", c);
      }
      out.add(b.build());
    }
    return out;
  }

  static FeatureFrame frame(List<FeatureVector> vs) {
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(SCHEMA);
    vs.forEach(b::add);
    return b.build();
  }

  @Test
  void evaluatorEqualsXgboostOnTrainAndTestSets() throws Exception {
    double[] y = new double[3000];
    List<FeatureVector> train = synth(3000, 1, y);
    double[] yt = new double[1000];
    List<FeatureVector> test = synth(1000, 2, yt);
    // no missing values: exercises the evaluator's lock-step path (blocks without NaN)
    List<FeatureVector> complete = synth(1000, 6, new double[1000], 0.0);
    FeatureEncoder enc = encoder();
    for (GbdtRanker.Objective obj : GbdtRanker.Objective.values()) {
      GbdtRanker.Trainer tr = GbdtRanker.trainer(enc).objective(obj).rounds(60).maxDepth(6).seed(3)
          .subsample(0.8, 0.8);
      // a hashed column makes the encoder sparse: XGBoost trains on CSR rows (an absent bucket is missing)
      assertTrue(enc.sparse());
      Booster booster = tr.trainBooster(enc.encodeSparse(frame(train)), y, null);
      try {
        GbdtRanker ranker = GbdtRanker.fromModelJson("m", enc,
            new String(booster.toByteArray("json"), java.nio.charset.StandardCharsets.UTF_8));
        assertEquals(60, ranker.treeCount());
        for (List<FeatureVector> set : List.of(train, test, complete)) {
          DMatrix d = GbdtRanker.toDMatrix(enc.encodeSparse(frame(set)));
          float[][] ref = booster.predict(d);
          d.dispose();
          double[] ours = ranker.predict(frame(set));
          double[] viaScorer = ranker.score(null, candidates(set.size()), set);
          double maxDiff = 0;
          for (int i = 0; i < ours.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs(ours[i] - ref[i][0]));
            assertEquals(ours[i], viaScorer[i], 0.0, "serving and batch paths must agree");
          }
          assertTrue(maxDiff <= 1e-6, obj + " max |ours - xgboost| = " + maxDiff);
        }
      } finally {
        booster.dispose();
      }
    }
  }

  @Test
  void concurrentScoringIsConsistent() throws Exception {
    double[] y = new double[2000];
    List<FeatureVector> train = synth(2000, 5, y);
    GbdtRanker ranker = GbdtRanker.trainer(encoder()).rounds(30).train(frame(train), y, null);
    double[] expected = ranker.score(null, candidates(train.size()), train);
    ExecutorService ex = Executors.newFixedThreadPool(4);
    try {
      List<Future<double[]>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        fs.add(ex.submit(() -> ranker.score(null, candidates(train.size()), train)));
      }
      for (Future<double[]> f : fs) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, f.get(), 0.0);
      }
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void badTrainingInputIsRejected() {
    FeatureEncoder enc = encoder();
    GbdtRanker.Trainer tr = GbdtRanker.trainer(enc).rounds(2);
    double[] y = new double[50];
    List<FeatureVector> vs = synth(50, 9, y);
    double[] ones = new double[50];
    java.util.Arrays.fill(ones, 1);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> tr.train(frame(vs), ones, null));
    assertTrue(e.getMessage().contains("single class"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> tr.trainEncoded(new double[0][], new double[0], null));
    double[] bad = y.clone();
    bad[3] = 2;
    assertTrue(assertThrows(IllegalArgumentException.class, () -> tr.train(frame(vs), bad, null))
        .getMessage().contains("labels[3] is 2.0"));
  }

  @Test
  void schemaMismatchIsRefused() {
    double[] y = new double[500];
    GbdtRanker ranker = GbdtRanker.trainer(encoder()).rounds(5).train(frame(synth(500, 4, y)), y, null);
    FeatureSchema other = FeatureSchema.of(FeatureSpec.of("x1", FeatureType.LONG));
    FeatureVector v = FeatureVector.builder(other).setLong("x1", 1).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ranker.predict(v));
    assertTrue(e.getMessage().contains("x1"), e.getMessage());
    // a model JSON of another width is refused by an encoder of a different width
    FeatureEncoder narrow = FeatureEncoder.builder(SCHEMA).hashed("cat", 4).build();
    assertThrows(IllegalArgumentException.class, () -> GbdtRanker.fromModelJson("m", narrow, ranker.modelJson()));
  }

  static List<Candidate> candidates(int n) {
    List<Candidate> c = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      c.add(Candidate.of("i" + i, 0, "test"));
    }
    return c;
  }

  @Test
  void numericOnlyEncoderScoresThroughTheFusedPathLikeTheEncodedRows() {
    org.sieveml.core.FeatureSchema in = org.sieveml.core.FeatureSchema.builder()
        .addDouble("x2").addLong("n").addDouble("x1").addBoolean("flag").build();
    FeatureEncoder enc = FeatureEncoder.builder(in).build();
    double[] y = new double[2000];
    List<FeatureVector> train = synth(2000, 7, y);
    List<FeatureVector> test = synth(400, 8, new double[400]);
    GbdtRanker m = GbdtRanker.trainer(enc).rounds(30).maxDepth(4).seed(3).threads(1).train(frame(train), y, null);
    double[] fused = m.score(null, candidates(test.size()), test);
    double[][] rows = new double[test.size()][];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = enc.encode(test.get(i));
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(m.predictEncoded(rows), fused, 0.0);
    FeatureVector bad = FeatureVector.builder(SCHEMA).setDouble("x1", Double.POSITIVE_INFINITY).setDouble("x2", 1)
        .setLong("n", 1).setBoolean("flag", true).setString("cat", "a").build();
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> m.score(null, candidates(1), List.of(bad)));
    org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("'x1'"), e.getMessage());
  }

  /**
   * Wide sparse rows train over the columns present (XGBoost sizes per-column structures by the width) and the
   * model names encoder columns: it predicts what XGBoost trained on the full-width CSR rows predicts.
   */
  @Test
  void wideSparseTrainingOverPresentColumnsEqualsFullWidthTraining() throws Exception {
    FeatureEncoder wide = FeatureEncoder.builder(SCHEMA).hashed("cat", 1 << 18).hashSeed(3).build();
    assertTrue(wide.width() > GbdtRanker.COMPACT_ABOVE);
    double[] y = new double[2000];
    List<FeatureVector> train = synth(2000, 21, y);
    List<FeatureVector> test = synth(500, 22, new double[500]);
    GbdtRanker.Trainer tr = GbdtRanker.trainer(wide).rounds(20).maxDepth(4).threads(1).seed(8);
    GbdtRanker compact = tr.train(frame(train), y);
    Booster full = tr.trainBooster(wide.encodeSparse(frame(train)), y, null);
    try {
      DMatrix d = GbdtRanker.toDMatrix(wide.encodeSparse(frame(test)));
      float[][] ref = full.predict(d);
      d.dispose();
      double[] ours = compact.predict(frame(test));
      for (int i = 0; i < ours.length; i++) {
        assertEquals(ref[i][0], ours[i], 1e-6, "row " + i);
      }
      assertTrue(compact.modelJson().contains("\"num_feature\":\"" + wide.width() + "\""));
    } finally {
      full.dispose();
    }
  }
}
