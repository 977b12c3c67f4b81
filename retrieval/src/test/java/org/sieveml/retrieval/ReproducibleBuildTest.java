package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 22: a seeded index with {@code reproducibleBuild(true)} built by a bulk {@code addAll} with several
 * threads is the same graph every time (the flagship's recall@10 moved between runs because its HNSW
 * builds were parallel).
 */
class ReproducibleBuildTest {

  @TempDir
  Path dir;

  @Test
  void seededReproducibleBulkBuildIsTheSameGraphWithAnyThreadCount() throws Exception {
    Map<String, float[]> items = vectors(3000, 24, 11);
    byte[] first = null;
    List<Neighbor> firstHits = null;
    float[] query = items.get("item-17");
    for (int run = 0; run < 3; run++) {
      int threads = run == 0 ? 1 : 4;
      HnswVectorIndex index = HnswVectorIndex.builder(24, VectorMetric.INNER_PRODUCT).m(8).efConstruction(40).ef(20)
          .seed(99).reproducibleBuild(true).build();
      index.addAll(items, threads, null);
      assertEquals(items.size(), index.size());
      Path file = dir.resolve("run" + run + ".hnsw");
      index.save(file);
      byte[] bytes = Files.readAllBytes(file);
      // a low ef on purpose: approximate answers differ between graphs that differ
      List<Neighbor> hits = index.search(query, 50, 20);
      if (first == null) {
        first = bytes;
        firstHits = hits;
      } else {
        assertArrayEquals(first, bytes, "run " + run + " (" + threads + " threads) saved a different graph");
        assertEquals(firstHits, hits, "run " + run + " answers differently");
      }
    }
    assertTrue(firstHits.size() == 50, "hits " + firstHits.size());
  }

  @Test
  void parallelBuildIsStillTheDefaultAndComplete() {
    Map<String, float[]> items = vectors(2000, 16, 3);
    HnswVectorIndex index = HnswVectorIndex.builder(16, VectorMetric.L2).ef(50).build();
    index.addAll(items, 3, null);
    assertEquals(items.size(), index.size());
    for (String id : List.of("item-0", "item-999", "item-1999")) {
      assertEquals(id, index.search(items.get(id), 1, 50).get(0).id());
    }
  }

  private static Map<String, float[]> vectors(int n, int dim, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Map<String, float[]> out = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      float[] v = new float[dim];
      for (int d = 0; d < dim; d++) {
        v[d] = (float) rnd.nextGaussian();
      }
      out.put("item-" + i, v);
    }
    return out;
  }
}
