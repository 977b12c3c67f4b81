package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.protos.core.ModelProto;

/** The factorization machine learns a planted pairwise interaction a linear model cannot, and scores like Tribuo. */
class FmRankerTest {

  static final FeatureSchema SCHEMA = FeatureSchema.builder().addString("user_group").addString("item_group")
      .addDouble("noise").build();

  /** Label 1 when the user's group and the item's group "match" (a checkerboard): a pure interaction. */
  static List<FeatureVector> data(int n, long seed, double[] y) {
    Random r = new Random(seed);
    List<FeatureVector> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int u = r.nextInt(6);
      int it = r.nextInt(6);
      boolean match = (u % 2) == (it % 2);
      y[i] = r.nextDouble() < (match ? 0.85 : 0.15) ? 1 : 0;
      out.add(FeatureVector.builder(SCHEMA).setString("user_group", "u" + u).setString("item_group", "i" + it)
          .setDouble("noise", r.nextGaussian()).build());
    }
    return out;
  }

  static FeatureFrame frame(List<FeatureVector> vs) {
    FeatureFrame.RowBuilder b = FeatureFrame.rowBuilder(SCHEMA);
    vs.forEach(b::add);
    return b.build();
  }

  @Test
  void learnsTheInteractionThatALinearModelCannotAndMatchesTribuo() throws Exception {
    FeatureEncoder enc = FeatureEncoder.builder(SCHEMA).hashed("user_group", 16).hashed("item_group", 16).build();
    double[] y = new double[6000];
    List<FeatureVector> train = data(6000, 1, y);
    double[] yt = new double[2000];
    List<FeatureVector> test = data(2000, 2, yt);
    FmRanker fm = FmRanker.trainer(enc).name("fm").epochs(10).learningRate(0.1).factors(4).seed(7).train(frame(train), y, null);
    LinearRanker lr = LinearRanker.trainer(enc).name("lr").epochs(10).learningRate(0.1).seed(7).train(frame(train), y, null);
    double[] fs = fm.score(null, GbdtRankerTest.candidates(test.size()), test);
    double[] ls = lr.score(null, GbdtRankerTest.candidates(test.size()), test);
    double fmAuc = ClassificationMetrics.rocAuc(fs, yt);
    double lrAuc = ClassificationMetrics.rocAuc(ls, yt);
    assertTrue(fmAuc > 0.75, "FM AUC " + fmAuc);
    assertTrue(lrAuc < 0.6, "linear AUC " + lrAuc + " (the signal is a pure interaction)");
    String[] names = enc.columnNames().toArray(new String[0]);
    for (int i = 0; i < 300; i++) {
      Prediction<Label> p = fm.tribuoModel().predict(
          TribuoExamples.example(names, enc.encode(test.get(i)), new Label("0"), 1f));
      assertEquals(p.getOutputScores().get("1").getScore(), fs[i], 1e-9, "row " + i);
    }
    Model<?> back = Model.deserialize(ModelProto.parseFrom(fm.tribuoModel().serialize().toByteArray()));
    assertArrayEquals(fs, FmRanker.fromTribuo("fm", enc, back, fm.provenance()).score(null, GbdtRankerTest.candidates(test.size()),
        test), 0.0);
    assertThrows(IllegalArgumentException.class, () -> FmRanker.trainer(enc).name("fm").epochs(1).learningRate(0.1).factors(0).seed(7).train(frame(train), y, null));
    assertThrows(IllegalArgumentException.class, () -> FmRanker.fromTribuo("fm", enc, lr.tribuoModel(), lr.provenance()));
  }

  @Test
  void numericOnlyInputsTakeTheFusedPathWithTheSameScores() {
    FeatureSchema in = FeatureSchema.builder().addDouble("x1").addLong("n").addDouble("x2").build();
    FeatureEncoder enc = FeatureEncoder.builder(in).build();
    double[] y = new double[3000];
    List<FeatureVector> train = GbdtRankerTest.synth(3000, 11, y);
    FmRanker fm = FmRanker.trainer(enc).name("fm").epochs(3).learningRate(0.05).factors(4).seed(2).train(GbdtRankerTest.frame(train), y, null);
    List<FeatureVector> test = GbdtRankerTest.synth(300, 12, new double[300]);
    double[] fused = fm.score(null, GbdtRankerTest.candidates(test.size()), test);
    String[] names = enc.columnNames().toArray(new String[0]);
    for (int i = 0; i < test.size(); i++) {
      double[] row = enc.encode(test.get(i));
      assertEquals(fm.probability(row), fused[i], 1e-12, "row " + i);
      Prediction<Label> p = fm.tribuoModel().predict(TribuoExamples.example(names, row, new Label("0"), 1f));
      assertEquals(p.getOutputScores().get("1").getScore(), fused[i], 1e-9, "row " + i);
    }
  }
}
