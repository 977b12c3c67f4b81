package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureVector;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.protos.core.ModelProto;

class LinearRankerTest {

  @Test
  void matchesTribuoPredictionsAndLearnsSignalAndRoundTripsThroughProtobuf() throws Exception {
    double[] y = new double[4000];
    List<FeatureVector> train = GbdtRankerTest.synth(4000, 1, y);
    double[] yt = new double[1000];
    List<FeatureVector> test = GbdtRankerTest.synth(1000, 2, yt);
    FeatureEncoder enc = GbdtRankerTest.encoder();
    LinearRanker r = LinearRanker.trainer(enc).name("lr").epochs(5).learningRate(0.1).seed(17).train(GbdtRankerTest.frame(train), y, null);
    double[] scores = r.score(null, GbdtRankerTest.candidates(test.size()), test);
    String[] names = enc.columnNames().toArray(new String[0]);
    for (int i = 0; i < test.size(); i++) {
      Prediction<Label> p = r.tribuoModel().predict(
          TribuoExamples.example(names, enc.encode(test.get(i)), new Label("0"), 1f));
      assertEquals(p.getOutputScores().get("1").getScore(), scores[i], 1e-9, "row " + i);
    }
    double auc = ClassificationMetrics.rocAuc(scores, yt);
    assertTrue(auc > 0.65, "AUC " + auc);
    byte[] bytes = r.tribuoModel().serialize().toByteArray();
    Model<?> back = Model.deserialize(ModelProto.parseFrom(bytes));
    LinearRanker r2 = LinearRanker.fromTribuo("lr", enc, back, r.provenance());
    org.junit.jupiter.api.Assertions.assertArrayEquals(scores,
        r2.score(null, GbdtRankerTest.candidates(test.size()), test), 0.0);
    assertTrue(back.getProvenance().toString().contains("LinearSGDTrainer"));
  }

  @Test
  void nonFiniteFeatureIsRejectedNamingTheFeature() {
    FeatureEncoder enc = GbdtRankerTest.encoder();
    FeatureVector v = FeatureVector.builder(GbdtRankerTest.SCHEMA).setDouble("x1", Double.POSITIVE_INFINITY)
        .setDouble("x2", 1).setLong("n", 1).setBoolean("flag", true).setString("cat", "a").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> enc.encode(v));
    assertTrue(e.getMessage().contains("'x1'") && e.getMessage().contains("Infinity"), e.getMessage());
  }

  @Test
  void numericOnlyEncoderTakesTheFusedPathWithTheSameScoresAndChecks() throws Exception {
    // inputs are a reordered numeric subset of the vectors' schema: the fused path must map columns
    org.sieveml.core.FeatureSchema in = org.sieveml.core.FeatureSchema.builder()
        .addLong("n").addDouble("x2").addBoolean("flag").addDouble("x1").build();
    FeatureEncoder enc = FeatureEncoder.builder(in).build();
    double[] y = new double[3000];
    List<FeatureVector> train = GbdtRankerTest.synth(3000, 3, y);
    List<FeatureVector> test = GbdtRankerTest.synth(500, 4, new double[500]);
    LinearRanker r = LinearRanker.trainer(enc).name("lr").epochs(3).learningRate(0.1).seed(5).train(GbdtRankerTest.frame(train), y, null);
    // issue 15: an infinite learning rate trained a model that silently predicted NaN
    IllegalArgumentException lr = assertThrows(IllegalArgumentException.class, () -> LinearRanker.trainer(enc).name("lr").epochs(3).learningRate(Double.POSITIVE_INFINITY).seed(5).train(GbdtRankerTest.frame(train), y, null));
    assertTrue(lr.getMessage().contains("learningRate is Infinity"), lr.getMessage());
    double[] fused = r.score(null, GbdtRankerTest.candidates(test.size()), test);
    String[] names = enc.columnNames().toArray(new String[0]);
    int missing = 0;
    for (int i = 0; i < test.size(); i++) {
      missing += test.get(i).missingCount() > 0 ? 1 : 0;
      double[] row = enc.encode(test.get(i));
      assertEquals(r.probability(row), fused[i], 1e-12, "row " + i);
      Prediction<Label> p = r.tribuoModel().predict(TribuoExamples.example(names, row, new Label("0"), 1f));
      assertEquals(p.getOutputScores().get("1").getScore(), fused[i], 1e-9, "row " + i);
    }
    assertTrue(missing > 10, "the test rows include missing values: " + missing);
    FeatureVector bad = FeatureVector.builder(GbdtRankerTest.SCHEMA).setDouble("x1", Double.NEGATIVE_INFINITY)
        .setDouble("x2", 1).setLong("n", 1).setBoolean("flag", true).setString("cat", "a").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> r.score(null, GbdtRankerTest.candidates(1), List.of(bad)));
    assertTrue(e.getMessage().contains("'x1'") && e.getMessage().contains("Infinity"), e.getMessage());
  }

}
