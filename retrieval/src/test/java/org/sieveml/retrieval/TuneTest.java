package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recall, not ef, as the setting: on random 32-d vectors, where the built-in default ef falls short of
 * 0.95, {@link HnswVectorIndex#tune} picks the smallest ef reaching the target on its self-excluded
 * sample, queries never seen by the tuning then reach about the same recall, the choice is
 * reproducible and saved with the index. Filtered search plans the same way every time.
 */
class TuneTest {

  static final int N = 4_000;
  static final int DIM = 32;
  static HnswVectorIndex index;
  static ExactVectorIndex exact;

  @BeforeAll
  static void build() {
    Random rnd = new Random(11);
    index = HnswVectorIndex.builder(DIM, VectorMetric.L2).m(8).efConstruction(64).build();
    exact = ExactVectorIndex.create(DIM, VectorMetric.L2);
    for (int i = 0; i < N; i++) {
      float[] v = random(rnd);
      index.add("i" + i, v);
      exact.add("i" + i, v);
    }
  }

  static float[] random(Random rnd) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) rnd.nextGaussian();
    }
    return v;
  }

  /** recall@10 of the index's default search on fresh queries. */
  static double heldOutRecall(int queries, long seed) {
    Random rnd = new Random(seed);
    long hits = 0;
    for (int q = 0; q < queries; q++) {
      float[] v = random(rnd);
      Set<String> truth = new HashSet<>();
      for (Neighbor n : exact.search(v, 10)) {
        truth.add(n.id());
      }
      for (Neighbor n : index.search(v, 10)) {
        hits += truth.contains(n.id()) ? 1 : 0;
      }
    }
    return hits / (10.0 * queries);
  }

  @Test
  void tuningReachesTheTargetOnQueriesItNeverSaw(@TempDir Path tmp) {
    int builtIn = index.defaultEf();
    double before = heldOutRecall(150, 5);
    HnswVectorIndex.Tuning t = index.tune(0.95);
    assertTrue(t.reached(), t.toString());
    assertTrue(t.recall() >= 0.975, "half the allowed miss rate on the stored sample: " + t);
    assertEquals(t.ef(), index.defaultEf());
    assertEquals(t, index.tuning());
    assertEquals(HnswVectorIndex.TUNE_QUERIES, t.queries());
    double after = heldOutRecall(150, 5);
    assertTrue(after >= 0.95, "held-out recall " + after + " at ef " + t.ef() + " (tuned on a sample: " + t + ")");
    if (before < 0.95) {
      assertTrue(t.ef() > builtIn, "a default that falls short is raised: " + builtIn + " -> " + t.ef());
    }
    // the smallest ef: a lower target never needs a larger one; the same target gives the same ef
    HnswVectorIndex.Tuning lower = index.tune(0.8);
    assertTrue(lower.ef() <= t.ef(), lower + " vs " + t);
    assertEquals(t.ef(), index.tune(0.95).ef(), "seeded: reproducible");
    // host queries
    Random rnd = new Random(9);
    List<float[]> qs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      qs.add(random(rnd));
    }
    HnswVectorIndex.Tuning hosted = index.tune(0.9, qs);
    assertTrue(hosted.recall() >= 0.9 && hosted.queries() == 50, hosted.toString());
    // saved with the index
    index.tune(0.95);
    index.save(tmp.resolve("idx"));
    assertEquals(index.defaultEf(), HnswVectorIndex.load(tmp.resolve("idx")).defaultEf());
    assertThrows(IllegalArgumentException.class, () -> index.tune(0));
    assertThrows(IllegalArgumentException.class, () -> index.tune(1.5));
    assertThrows(IllegalArgumentException.class, () -> index.tune(0.9, List.of(new float[3])));
  }

  @Test
  void filteredSearchIsReproducible() {
    float[] q = random(new Random(3));
    java.util.function.Predicate<String> filter = id -> Integer.parseInt(id.substring(1)) % 3 == 0;
    List<Neighbor> first = index.search(q, 10, 64, filter);
    for (int i = 0; i < 5; i++) {
      assertEquals(first, index.search(q, 10, 64, filter));
    }
    assertEquals(10, first.size());
  }
}
