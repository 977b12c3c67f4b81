package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class HnswVectorIndexTest extends VectorIndexContractTest {
  @Override
  VectorIndex create(int dimension, VectorMetric metric) {
    // small initial capacity so that the tests exercise growth
    return HnswVectorIndex.builder(dimension, metric).m(16).efConstruction(100).initialCapacity(64).build();
  }

  @Test
  void builderValidates() {
    assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.builder(0, VectorMetric.L2));
    assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.builder(4, null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.builder(4, VectorMetric.L2).m(1));
    assertTrue(e.getMessage().contains("m is 1"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> HnswVectorIndex.builder(4, VectorMetric.L2).ef(0));
    assertThrows(
        IllegalArgumentException.class, () -> HnswVectorIndex.builder(4, VectorMetric.L2).efConstruction(-3));
  }

  @Test
  void tombstonesAndGrowth() {
    HnswVectorIndex index = HnswVectorIndex.builder(4, VectorMetric.L2).initialCapacity(8).build();
    SplittableRandom rnd = new SplittableRandom(1);
    for (int i = 0; i < 100; i++) {
      index.add("i" + i, random(rnd, 4));
    }
    assertTrue(index.capacity() >= 100, "capacity " + index.capacity());
    index.remove("i1");
    index.upsert("i2", random(rnd, 4));
    assertEquals(2, index.tombstones());
    assertEquals(99, index.size());
  }

  @Test
  void higherEfDoesNotLowerRecall() {
    SplittableRandom rnd = new SplittableRandom(9);
    HnswVectorIndex index =
        HnswVectorIndex.builder(DIM, VectorMetric.L2).m(4).efConstruction(8).build();
    ExactVectorIndex exact = ExactVectorIndex.create(DIM, VectorMetric.L2);
    for (int i = 0; i < 3000; i++) {
      float[] v = random(rnd, DIM);
      index.add("i" + i, v);
      exact.add("i" + i, v);
    }
    int low = 0;
    int high = 0;
    for (int q = 0; q < 100; q++) {
      float[] query = random(rnd, DIM);
      java.util.Set<String> truth = new java.util.HashSet<>(ids(exact.search(query, 10)));
      low += (int) index.search(query, 10, 10).stream().filter(n -> truth.contains(n.id())).count();
      high += (int) index.search(query, 10, 400).stream().filter(n -> truth.contains(n.id())).count();
    }
    assertTrue(high > low, "recall with ef 400 (" + high + ") vs ef 10 (" + low + ")");
  }
}
