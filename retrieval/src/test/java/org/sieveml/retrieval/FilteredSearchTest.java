package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class FilteredSearchTest {

  static final int N = 6_000;
  static final int DIM = 16;

  @Test
  void recallHoldsAtOneTenAndFiftyPercentSelectivity() {
    SplittableRandom rnd = new SplittableRandom(17);
    HnswVectorIndex hnsw = HnswVectorIndex.builder(DIM, VectorMetric.COSINE).m(16).efConstruction(100).ef(64).build();
    ExactVectorIndex exact = ExactVectorIndex.create(DIM, VectorMetric.COSINE);
    int[] bucket = new int[N];
    for (int i = 0; i < N; i++) {
      float[] v = new float[DIM];
      for (int d = 0; d < DIM; d++) {
        v[d] = (float) rnd.nextGaussian();
      }
      bucket[i] = rnd.nextInt(100);
      hnsw.add("i" + i, v);
      exact.add("i" + i, v);
    }
    for (int percent : new int[] {1, 10, 50}) {
      Predicate<String> filter = id -> bucket[Integer.parseInt(id.substring(1))] < percent;
      double hits = 0;
      int queries = 40;
      for (int q = 0; q < queries; q++) {
        float[] query = new float[DIM];
        for (int d = 0; d < DIM; d++) {
          query[d] = (float) rnd.nextGaussian();
        }
        List<Neighbor> truth = exact.search(query, 10, 10, filter);
        List<Neighbor> got = hnsw.search(query, 10, 64, filter);
        assertEquals(10, got.size(), "k passing items at " + percent + " %");
        Set<String> t = new HashSet<>();
        truth.forEach(n -> t.add(n.id()));
        for (Neighbor n : got) {
          assertTrue(filter.test(n.id()), "only passing items are returned");
          hits += t.contains(n.id()) ? 1 : 0;
        }
      }
      double recall = hits / (queries * 10.0);
      assertTrue(recall >= 0.95, "recall@10 at " + percent + " % selectivity was " + recall);
    }
  }

  @Test
  void excludingSeenItemsAndEmptyFilters() {
    SplittableRandom rnd = new SplittableRandom(3);
    HnswVectorIndex hnsw = HnswVectorIndex.builder(4, VectorMetric.L2).build();
    for (int i = 0; i < 300; i++) {
      hnsw.add("i" + i, new float[] {(float) rnd.nextGaussian(), (float) rnd.nextGaussian(), i, 0});
    }
    float[] query = {0, 0, 10, 0};
    List<Neighbor> top = hnsw.search(query, 5, 50, null);
    Set<String> seen = new HashSet<>();
    top.forEach(n -> seen.add(n.id()));
    List<Neighbor> fresh = hnsw.search(query, 5, 50, id -> !seen.contains(id));
    assertEquals(5, fresh.size());
    fresh.forEach(n -> assertTrue(!seen.contains(n.id()), "seen items excluded"));
    assertTrue(fresh.get(0).distance() >= top.get(4).distance(), "the next-nearest items come next");
    assertEquals(List.of(), hnsw.search(query, 5, 50, id -> false), "nothing passes, nothing returned");
    hnsw.remove("i10");
    assertTrue(hnsw.search(query, 5, 50, id -> id.equals("i10") || id.equals("i11")).stream()
        .noneMatch(n -> n.id().equals("i10")), "removed items never come back through the exact path");
  }
}
