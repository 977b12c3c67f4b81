package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.sieveml.retrieval.internal.ScalarVectorOps;
import org.sieveml.retrieval.internal.VectorOps;

/** SIMD and scalar kernels agree; cosine indexes store unit vectors and refuse zero vectors. */
class VectorOpsTest {

  @Test
  void simdIsActiveUnderTheTestJvmAndAgreesWithScalarAndDoubleReference() {
    VectorOps simd = VectorOps.simdOrNull();
    assertNotNull(simd, "surefire runs with --add-modules jdk.incubator.vector");
    assertSame(simd, VectorOps.ACTIVE);
    VectorOps scalar = ScalarVectorOps.INSTANCE;
    SplittableRandom r = new SplittableRandom(5);
    int[] lengths = {1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 300, 784};
    for (int n : lengths) {
      for (int rep = 0; rep < 20; rep++) {
        float[] a = new float[n];
        float[] b = new float[n];
        double dot = 0;
        double sq = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < n; i++) {
          a[i] = (float) r.nextGaussian();
          b[i] = (float) r.nextGaussian();
          dot += (double) a[i] * b[i];
          sq += (double) (a[i] - b[i]) * (a[i] - b[i]);
          na += (double) a[i] * a[i];
          nb += (double) b[i] * b[i];
        }
        double cos = 1 - dot / Math.sqrt(na * nb);
        double tol = 1e-5 * Math.sqrt(n) * Math.max(1, Math.sqrt(na * nb));
        for (VectorOps ops : List.of(simd, scalar)) {
          assertEquals(dot, ops.dot(a, b), tol, ops + " dot, n=" + n);
          assertEquals(sq, ops.squareDistance(a, b), 1e-5 * Math.max(1, sq), ops + " l2, n=" + n);
          assertEquals(cos, ops.cosineDistance(a, b), 1e-5 * Math.sqrt(n), ops + " cosine, n=" + n);
        }
      }
    }
    float[] zero = new float[33];
    float[] one = new float[33];
    one[3] = 1;
    assertEquals(1f, simd.cosineDistance(zero, one));
    assertEquals(1f, scalar.cosineDistance(zero, one));
  }

  @Test
  void cosineIndexesMatchTheMetricAndRefuseZeroVectors() {
    SplittableRandom r = new SplittableRandom(9);
    HnswVectorIndex hnsw = HnswVectorIndex.builder(24, VectorMetric.COSINE).build();
    ExactVectorIndex exact = ExactVectorIndex.create(24, VectorMetric.COSINE);
    float[][] v = new float[300][24];
    for (int i = 0; i < v.length; i++) {
      for (int d = 0; d < 24; d++) {
        v[i][d] = (float) (r.nextGaussian() * (1 + i % 7));
      }
      hnsw.add("v" + i, v[i]);
      exact.add("v" + i, v[i]);
    }
    float[] q = v[17].clone();
    for (int d = 0; d < 24; d++) {
      q[d] = q[d] * 3 + 0.1f;
    }
    for (VectorIndex idx : List.of(hnsw, exact)) {
      List<Neighbor> got = idx.search(q, 5, 200);
      for (Neighbor n : got) {
        int i = Integer.parseInt(n.id().substring(1));
        assertEquals(VectorMetric.COSINE.distance(q, v[i]), n.distance(), 1e-5f, idx + " distance of " + n.id());
      }
      assertEquals("v17", got.get(0).id());
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> idx.add("z", new float[24]));
      assertTrue(e.getMessage().contains("zero vector") && e.getMessage().contains("COSINE"), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> idx.search(new float[24], 3));
      assertTrue(!idx.contains("z"), "refused vector left the index unchanged");
      assertEquals(300, idx.size());
    }
  }
}
