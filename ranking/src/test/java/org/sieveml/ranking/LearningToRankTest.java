package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;

/** LambdaMART (XGBoost rank:ndcg) through GbdtRanker on query groups with a planted relevance function. */
class LearningToRankTest {
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("bm25").addDouble("quality")
      .addDouble("freshness").addDouble("noise").build();

  record Groups(List<FeatureVector> rows, double[] grades, int[] sizes) {}

  /** Each query has 30 documents; the grade rises with bm25 and with quality x freshness (an interaction). */
  static Groups groups(int queries, long seed) {
    Random r = new Random(seed);
    List<FeatureVector> rows = new ArrayList<>();
    List<Double> grades = new ArrayList<>();
    int[] sizes = new int[queries];
    for (int q = 0; q < queries; q++) {
      sizes[q] = 30;
      for (int d = 0; d < 30; d++) {
        double bm25 = r.nextDouble() * 10;
        double quality = r.nextDouble();
        double fresh = r.nextDouble();
        double s = 0.3 * bm25 + 4 * quality * fresh + r.nextGaussian() * 0.5;
        grades.add(s > 4.5 ? 3.0 : s > 3.5 ? 2.0 : s > 2.5 ? 1.0 : 0.0);
        rows.add(FeatureVector.builder(SCHEMA).setDouble("bm25", bm25).setDouble("quality", quality)
            .setDouble("freshness", fresh).setDouble("noise", r.nextGaussian()).build());
      }
    }
    return new Groups(rows, grades.stream().mapToDouble(Double::doubleValue).toArray(), sizes);
  }

  static double meanNdcg(Groups g, double[] scores) {
    double sum = 0;
    int n = 0;
    int start = 0;
    for (int size : g.sizes()) {
      List<Integer> idx = new ArrayList<>();
      Map<String, Double> grades = new HashMap<>();
      for (int i = start; i < start + size; i++) {
        idx.add(i);
        if (g.grades()[i] > 0) {
          grades.put(Integer.toString(i), g.grades()[i]);
        }
      }
      idx.sort((a, b) -> Double.compare(scores[b], scores[a]));
      if (!grades.isEmpty()) {
        sum += RankingMetrics.ndcgAtK(idx.stream().map(String::valueOf).toList(), grades, 10);
        n++;
      }
      start += size;
    }
    return sum / n;
  }

  @Test
  void lambdaMartLearnsTheInteractionAndBeatsTheLexicalOrder() {
    Groups train = groups(200, 1);
    Groups test = groups(60, 2);
    FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(SCHEMA);
    train.rows().forEach(fb::add);
    GbdtRanker ltr = GbdtRanker.trainer(FeatureEncoder.builder(SCHEMA).build())
        .objective(GbdtRanker.Objective.RANK_NDCG).rounds(80).maxDepth(4).eta(0.1).seed(3).threads(1)
        .trainRanking(fb.build(), train.grades(), train.sizes());
    double[] scores = ltr.score(null, GbdtRankerTest.candidates(test.rows().size()), test.rows());
    double[] lexical = new double[scores.length];
    for (int i = 0; i < lexical.length; i++) {
      lexical[i] = test.rows().get(i).getDouble("bm25");
    }
    double ours = meanNdcg(test, scores);
    double base = meanNdcg(test, lexical);
    assertTrue(ours > base + 0.1, "LambdaMART NDCG@10 " + ours + " vs bm25 order " + base);
    assertTrue(ours > 0.8, "LambdaMART NDCG@10 " + ours);

    FeatureFrame.RowBuilder small = FeatureFrame.rowBuilder(SCHEMA);
    train.rows().subList(0, 60).forEach(small::add);
    FeatureFrame f = small.build();
    GbdtRanker.Trainer t = GbdtRanker.trainer(FeatureEncoder.builder(SCHEMA).build())
        .objective(GbdtRanker.Objective.RANK_NDCG);
    double[] g60 = java.util.Arrays.copyOf(train.grades(), 60);
    assertThrows(IllegalArgumentException.class, () -> t.trainRanking(f, g60, new int[] {30, 20}));
    assertThrows(IllegalArgumentException.class, () -> t.trainRanking(f, g60, new int[] {30, 0, 30}));
    double[] negative = g60.clone();
    negative[5] = -1;
    assertThrows(IllegalArgumentException.class, () -> t.trainRanking(f, negative, new int[] {30, 30}));
    // XGBoost's NDCG gain is 2^grade - 1 on an unsigned int: huge or fractional grades are refused
    for (double bad : new double[] {32, 1e9, 0.5, Double.NaN}) {
      double[] g = g60.clone();
      g[7] = bad;
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> t.trainRanking(f, g, new int[] {30, 30}), "grade " + bad);
      org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("relevance[7]"), e.getMessage());
    }
    assertThrows(IllegalStateException.class, () -> t.train(f, g60, null));
    assertThrows(IllegalStateException.class, () -> GbdtRanker.trainer(FeatureEncoder.builder(SCHEMA).build())
        .trainRanking(f, g60, new int[] {30, 30}));
  }
}
