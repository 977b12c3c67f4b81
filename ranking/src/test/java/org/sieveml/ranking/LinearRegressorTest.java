package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.tribuo.Prediction;
import org.tribuo.regression.Regressor;

/** Linear regression recovers planted coefficients and scores exactly like Tribuo. */
class LinearRegressorTest {
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("a").addDouble("b").addLong("c").build();

  @Test
  void recoversPlantedCoefficientsAndMatchesTribuo() {
    Random r = new Random(4);
    List<FeatureVector> rows = new ArrayList<>();
    double[] y = new double[5000];
    for (int i = 0; i < y.length; i++) {
      double a = r.nextGaussian();
      double b = r.nextGaussian();
      long c = r.nextInt(3);
      y[i] = 1.5 + 2 * a - 3 * b + 0.5 * c + 0.05 * r.nextGaussian();
      FeatureVector.Builder v = FeatureVector.builder(SCHEMA).setDouble("a", a).setLong("c", c);
      if (i % 17 != 0) {
        v.setDouble("b", b); // some rows miss b: it contributes 0, as in training
      } else {
        y[i] += 3 * b;
      }
      rows.add(v.build());
    }
    FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(SCHEMA);
    rows.forEach(fb::add);
    FeatureEncoder enc = FeatureEncoder.builder(SCHEMA).build();
    LinearRegressor m = LinearRegressor.trainer(enc).name("eta").epochs(20).learningRate(0.5).seed(1).train(fb.build(), y);
    FeatureVector probe = FeatureVector.builder(SCHEMA).setDouble("a", 1).setDouble("b", 1).setLong("c", 2).build();
    assertEquals(1.5 + 2 - 3 + 1, m.predict(probe), 0.1, "planted coefficients");
    double[] scores = m.score(null, GbdtRankerTest.candidates(200), rows.subList(0, 200));
    String[] names = enc.columnNames().toArray(new String[0]);
    double sse = 0;
    for (int i = 0; i < 200; i++) {
      Prediction<Regressor> p = m.tribuoModel().predict(TribuoExamples.example(names, enc.encode(rows.get(i)), 0));
      assertEquals(p.getOutput().getValues()[0], scores[i], 1e-9, "row " + i);
      sse += (scores[i] - y[i]) * (scores[i] - y[i]);
    }
    assertTrue(Math.sqrt(sse / 200) < 0.2, "RMSE " + Math.sqrt(sse / 200));
  }
}
