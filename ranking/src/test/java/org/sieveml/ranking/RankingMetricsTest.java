package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RankingMetricsTest {

  // Relevant: b, d, x (x never retrieved). Ranked: a b c d e.
  static final List<String> RANKED = List.of("a", "b", "c", "d", "e");
  static final Set<String> REL = Set.of("b", "d", "x");

  static double log2(double x) {
    return Math.log(x) / Math.log(2);
  }

  @Test
  void handComputedBinaryMetrics() {
    assertEquals(2 / 5.0, RankingMetrics.precisionAtK(RANKED, REL, 5), 1e-12);
    assertEquals(1 / 3.0, RankingMetrics.precisionAtK(RANKED, REL, 3), 1e-12);
    assertEquals(2 / 10.0, RankingMetrics.precisionAtK(RANKED, REL, 10), 1e-12);
    assertEquals(2 / 3.0, RankingMetrics.recallAtK(RANKED, REL, 5), 1e-12);
    assertEquals(1 / 3.0, RankingMetrics.recallAtK(RANKED, REL, 2), 1e-12);
    assertEquals(0.0, RankingMetrics.hitRateAtK(RANKED, REL, 1));
    assertEquals(1.0, RankingMetrics.hitRateAtK(RANKED, REL, 2));
    assertEquals(0.5, RankingMetrics.reciprocalRank(RANKED, REL), 1e-12);
    // AP@5 = (1/2 + 2/4) / min(3, 5)
    assertEquals((0.5 + 0.5) / 3, RankingMetrics.averagePrecisionAtK(RANKED, REL, 5), 1e-12);
    // DCG@5 = 1/log2(3) + 1/log2(5); IDCG@5 = 1 + 1/log2(3) + 1/log2(4)
    double dcg = 1 / log2(3) + 1 / log2(5);
    double idcg = 1 + 1 / log2(3) + 1 / log2(4);
    assertEquals(dcg / idcg, RankingMetrics.ndcgAtK(RANKED, REL, 5), 1e-12);
    assertEquals(1.0, RankingMetrics.ndcgAtK(List.of("d", "b", "x"), REL, 3), 1e-12);
  }

  @Test
  void handComputedGradedNdcg() {
    Map<String, Double> grades = Map.of("a", 1.0, "c", 3.0, "z", 2.0);
    // DCG@3 = (2^1-1)/log2(2) + 0 + (2^3-1)/log2(4) = 1 + 3.5; IDCG@3 = 7 + 3/log2(3) + 1/log2(4)
    double expected = (1 + 7 / 2.0) / (7 + 3 / log2(3) + 0.5);
    assertEquals(expected, RankingMetrics.ndcgAtK(List.of("a", "b", "c"), grades, 3), 1e-12);
  }

  @Test
  void undefinedAndBadInput() {
    assertTrue(Double.isNaN(RankingMetrics.recallAtK(RANKED, Set.of(), 5)));
    assertTrue(Double.isNaN(RankingMetrics.ndcgAtK(RANKED, Set.of(), 5)));
    assertEquals(0.0, RankingMetrics.reciprocalRank(List.of("q"), REL));
    assertEquals("k must be positive, was 0",
        assertThrows(IllegalArgumentException.class, () -> RankingMetrics.ndcgAtK(RANKED, REL, 0)).getMessage());
    assertEquals("ranked list has item 'a' twice (again at position 3)",
        assertThrows(IllegalArgumentException.class,
            () -> RankingMetrics.precisionAtK(List.of("a", "b", "a"), REL, 3)).getMessage());
    assertEquals("grade of item 'a' must be >= 0, was -1.0",
        assertThrows(IllegalArgumentException.class,
            () -> RankingMetrics.ndcgAtK(RANKED, Map.of("a", -1.0), 3)).getMessage());
  }
}
