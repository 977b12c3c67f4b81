package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class VectorMetricTest {

  @Test
  void handComputedValues() {
    float[] a = {1, 2, 3};
    float[] b = {4, -5, 6};
    assertEquals(12f, VectorMetric.dot(a, b));
    assertEquals(1f - 12f, VectorMetric.INNER_PRODUCT.distance(a, b));
    assertEquals(9f + 49f + 9f, VectorMetric.L2.distance(a, b));
    assertEquals(1 - 12 / Math.sqrt(14 * 77), VectorMetric.COSINE.distance(a, b), 1e-6);
    assertEquals(0f, VectorMetric.COSINE.distance(a, new float[] {2, 4, 6}), 1e-6);
    assertEquals(2f, VectorMetric.COSINE.distance(a, new float[] {-1, -2, -3}), 1e-6);
    assertEquals(1f, VectorMetric.COSINE.distance(a, new float[3]));
  }

  @Test
  void unrolledLoopsAgreeWithNaiveSumsOnEveryLength() {
    long seed = 99L;
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int dim = 1; dim <= 67; dim++) {
      float[] a = new float[dim];
      float[] b = new float[dim];
      double dot = 0;
      double l2 = 0;
      double na = 0;
      double nb = 0;
      for (int i = 0; i < dim; i++) {
        a[i] = (float) rnd.nextGaussian();
        b[i] = (float) rnd.nextGaussian();
        dot += a[i] * b[i];
        l2 += (a[i] - b[i]) * (a[i] - b[i]);
        na += a[i] * a[i];
        nb += b[i] * b[i];
      }
      assertEquals(dot, VectorMetric.dot(a, b), 1e-4 * dim, "dim " + dim);
      assertEquals(l2, VectorMetric.L2.distance(a, b), 1e-4 * dim, "dim " + dim);
      assertEquals(1 - dot / Math.sqrt(na * nb), VectorMetric.COSINE.distance(a, b), 1e-5, "dim " + dim);
    }
  }

  @Test
  void mismatchedDimensionsAreRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> VectorMetric.L2.distance(new float[3], new float[4]));
    assertEquals("vectors must have the same dimension, got 3 and 4", e.getMessage());
  }

  /**
   * Issue 15: a cosine vector {1e-39f, 0} was accepted and its distances came back NaN; L2 with components
   * of +-3e38 gave Infinity for every distance. Tiny cosine vectors normalize exactly; components whose
   * squares would overflow are refused naming the field, the value and the limit.
   */
  @Test
  void extremeComponentsGiveFiniteDistancesOrAClearRefusal() {
    for (VectorIndex index : new VectorIndex[] {ExactVectorIndex.create(2, VectorMetric.COSINE),
        HnswVectorIndex.builder(2, VectorMetric.COSINE).build()}) {
      index.add("tiny", new float[] {1e-39f, 0});
      index.add("y", new float[] {0, 1});
      java.util.List<Neighbor> hits = index.search(new float[] {1, 0}, 2);
      assertEquals("tiny", hits.get(0).id());
      assertEquals(0.0f, hits.get(0).distance(), 1e-6f, "the tiny vector points along x");
      assertEquals(1.0f, hits.get(1).distance(), 1e-6f);
    }
    for (VectorMetric m : new VectorMetric[] {VectorMetric.L2, VectorMetric.INNER_PRODUCT}) {
      VectorIndex index = ExactVectorIndex.create(2, m);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> index.add("huge", new float[] {3e38f, -3e38f}));
      org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[0] is 3.0E38")
          && e.getMessage().contains("at most"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> index.search(new float[] {0, 3e38f}, 1));
      index.add("big", new float[] {1e18f, -1e18f});
      float d = index.search(new float[] {-1e18f, 1e18f}, 1).get(0).distance();
      org.junit.jupiter.api.Assertions.assertTrue(Float.isFinite(d), m + ": " + d);
    }
  }
}
