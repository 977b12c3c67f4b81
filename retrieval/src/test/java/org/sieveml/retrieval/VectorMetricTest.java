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
}
