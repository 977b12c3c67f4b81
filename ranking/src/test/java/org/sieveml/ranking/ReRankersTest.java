package org.sieveml.ranking;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.ReRanker;

class ReRankersTest {
  // items a1,a2,a3 are one group (similar), b1,b2 another; scores descending
  private static List<ScoredItem> items() {
    List<ScoredItem> l = new ArrayList<>();
    String[] ids = {"a1", "a2", "a3", "b1", "b2"};
    double[] s = {1.0, 0.9, 0.8, 0.7, 0.6};
    for (int i = 0; i < ids.length; i++) {
      l.add(ScoredItem.of(Candidate.of(ids[i], 0, "test"), s[i]));
    }
    return l;
  }

  private static List<String> ids(List<ScoredItem> l) {
    List<String> out = new ArrayList<>();
    l.forEach(s -> out.add(s.itemId()));
    return out;
  }

  private static double sim(ScoredItem x, ScoredItem y) {
    return x.itemId().charAt(0) == y.itemId().charAt(0) ? 1 : 0;
  }

  @Test
  void mmrInterleavesGroupsAndLambdaOneKeepsOrder() {
    // lambda 0.5: after a1, a2 = 0.5*0.75 - 0.5 = -0.125 and b1 = 0.5*0.25 - 0 = 0.125 -> b1 next
    assertEquals(List.of("a1", "b1", "a2"), ids(ReRankers.mmr(0.5, ReRankersTest::sim).rerank(null, items(), 3)));
    assertEquals(List.of("a1", "a2", "a3"), ids(ReRankers.mmr(1.0, ReRankersTest::sim).rerank(null, items(), 3)));
  }

  @Test
  void dedupKeepsBestPerKey() {
    assertEquals(List.of("a1", "b1"),
        ids(ReRankers.dedup(s -> s.itemId().charAt(0)).rerank(null, items(), 5)));
  }

  @Test
  void rulesFilterBoostPinThenCut() {
    ReRanker r = ReRankers.rules()
        .filter(s -> s.itemId().equals("a2"))
        .boost(s -> s.itemId().equals("b2"), 2.0) // 1.2 -> first
        .pin("a3", 0)
        .build();
    assertEquals(List.of("a3", "b2", "a1"), ids(r.rerank(null, items(), 3)));
    // rules first (a3, b2, a1, b1), then one item per group
    ReRanker chained = ReRankers.chain(r, ReRankers.dedup(s -> s.itemId().charAt(0)));
    assertEquals(List.of("a3", "b2"), ids(chained.rerank(null, items(), 3)));
  }
}
