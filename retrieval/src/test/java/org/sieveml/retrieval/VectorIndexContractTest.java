package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The behaviour every {@link VectorIndex} must have; subclasses supply the implementation. */
abstract class VectorIndexContractTest {
  static final int DIM = 16;

  abstract VectorIndex create(int dimension, VectorMetric metric);

  static float[] random(SplittableRandom rnd, int dim) {
    float[] v = new float[dim];
    for (int i = 0; i < dim; i++) {
      v[i] = (float) rnd.nextGaussian();
    }
    return v;
  }

  @Test
  void rejectsBadInputWithoutChangingState() {
    VectorIndex index = create(DIM, VectorMetric.L2);
    index.add("a", new float[DIM]);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> index.add("b", new float[DIM + 1]));
    assertTrue(e.getMessage().contains("dimension 17") && e.getMessage().contains("16"), e.getMessage());
    float[] nan = new float[DIM];
    nan[3] = Float.NaN;
    e = assertThrows(IllegalArgumentException.class, () -> index.upsert("c", nan));
    assertTrue(e.getMessage().contains("vector[3]") && e.getMessage().contains("NaN"), e.getMessage());
    float[] inf = new float[DIM];
    inf[0] = Float.POSITIVE_INFINITY;
    assertThrows(IllegalArgumentException.class, () -> index.add("d", inf));
    e = assertThrows(IllegalArgumentException.class, () -> index.add("a", new float[DIM]));
    assertTrue(e.getMessage().contains("'a'"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> index.search(new float[DIM], 0));
    assertTrue(e.getMessage().contains("k is 0"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> index.search(new float[DIM], 3, -1));
    assertThrows(IllegalArgumentException.class, () -> index.search(new float[DIM - 1], 3));
    assertThrows(IllegalArgumentException.class, () -> index.add(null, new float[DIM]));
    assertEquals(1, index.size());
    assertFalse(index.contains("b"));
    assertFalse(index.contains("c"));
    assertFalse(index.contains("d"));
  }

  @Test
  void addSearchUpsertRemove() {
    VectorIndex index = create(2, VectorMetric.L2);
    index.add("origin", new float[] {0, 0});
    index.add("far", new float[] {10, 10});
    index.add("near", new float[] {1, 0});
    List<Neighbor> hits = index.search(new float[] {0.1f, 0}, 2);
    assertEquals(List.of("origin", "near"), ids(hits));
    assertEquals(0.01f, hits.get(0).distance(), 1e-6);
    assertTrue(index.upsert("far", new float[] {0.05f, 0}));
    assertFalse(index.upsert("new", new float[] {5, 5}));
    assertEquals(4, index.size());
    assertEquals("far", index.search(new float[] {0.05f, 0}, 1).get(0).id());
    assertTrue(index.remove("far"));
    assertFalse(index.remove("far"));
    assertEquals(3, index.size());
    assertEquals(List.of("origin", "near", "new"), ids(index.search(new float[] {0.05f, 0}, 10)));
    // copies are defensive
    float[] v = {3, 3};
    index.add("copy", v);
    v[0] = -100;
    assertEquals("copy", index.search(new float[] {3, 3}, 1).get(0).id());
    assertEquals(2, index.dimension());
    assertEquals(VectorMetric.L2, index.metric());
  }

  @Test
  void ramGrowsWithItems() {
    VectorIndex index = create(DIM, VectorMetric.COSINE);
    long empty = index.ramBytesUsed();
    SplittableRandom rnd = new SplittableRandom(3);
    for (int i = 0; i < 500; i++) {
      index.add("i" + i, random(rnd, DIM));
    }
    long full = index.ramBytesUsed();
    assertTrue(full - empty >= 500L * DIM * 4, "ram " + empty + " -> " + full);
  }

  @Test
  void recallAgainstExactOnSeededData() {
    SplittableRandom rnd = new SplittableRandom(42);
    VectorIndex index = create(DIM, VectorMetric.COSINE);
    ExactVectorIndex exact = ExactVectorIndex.create(DIM, VectorMetric.COSINE);
    for (int i = 0; i < 3000; i++) {
      float[] v = random(rnd, DIM);
      index.add("i" + i, v);
      exact.add("i" + i, v);
    }
    // remove some and replace some: neither may surface stale results
    for (int i = 0; i < 3000; i += 10) {
      index.remove("i" + i);
      exact.remove("i" + i);
    }
    for (int i = 5; i < 3000; i += 50) {
      float[] v = random(rnd, DIM);
      index.upsert("i" + i, v);
      exact.upsert("i" + i, v);
    }
    int found = 0;
    int total = 0;
    for (int q = 0; q < 100; q++) {
      float[] query = random(rnd, DIM);
      Set<String> truth = new HashSet<>(ids(exact.search(query, 10)));
      List<Neighbor> got = index.search(query, 10, 100);
      assertEquals(10, got.size());
      for (Neighbor n : got) {
        assertTrue(index.contains(n.id()), "returned removed id " + n.id());
        if (truth.contains(n.id())) {
          found++;
        }
      }
      total += 10;
    }
    double recall = found / (double) total;
    assertTrue(recall >= 0.95, "recall@10 " + recall);
  }

  @Test
  void concurrentSearchAndUpsert() throws Exception {
    SplittableRandom seed = new SplittableRandom(7);
    VectorIndex index = create(DIM, VectorMetric.L2);
    int n = 2000;
    for (int i = 0; i < n; i++) {
      index.add("i" + i, random(seed, DIM));
    }
    // "pinned" ids are never touched by writers and must always be found by an exact-match query
    float[] pinned = new float[DIM];
    java.util.Arrays.fill(pinned, 50f);
    index.add("pinned", pinned);
    AtomicBoolean stop = new AtomicBoolean();
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      long s = t;
      threads.add(
          new Thread(
              () -> {
                SplittableRandom rnd = new SplittableRandom(100 + s);
                try {
                  start.await();
                  for (int i = 0; i < 1500; i++) {
                    String id = "i" + rnd.nextInt(n + 500);
                    if (rnd.nextInt(10) == 0) {
                      index.remove(id);
                    } else {
                      index.upsert(id, random(rnd, DIM));
                    }
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              }));
    }
    for (int t = 0; t < 2; t++) {
      long s = t;
      threads.add(
          new Thread(
              () -> {
                SplittableRandom rnd = new SplittableRandom(200 + s);
                try {
                  start.await();
                  for (int i = 0; i < 300; i++) {
                    List<Neighbor> hits = index.search(random(rnd, DIM), 10, 10 + rnd.nextInt(90));
                    if (hits.size() > 10) {
                      throw new AssertionError("more than k hits: " + hits.size());
                    }
                    for (int j = 1; j < hits.size(); j++) {
                      if (hits.get(j).distance() < hits.get(j - 1).distance()) {
                        throw new AssertionError("not sorted: " + hits);
                      }
                    }
                    List<Neighbor> p = index.search(pinned, 1, 50);
                    if (!p.get(0).id().equals("pinned")) {
                      throw new AssertionError("pinned item lost: " + p);
                    }
                  }
                } catch (Throwable e) {
                  errors.add(e);
                }
              }));
    }
    threads.forEach(Thread::start);
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    stop.set(true);
    assertTrue(errors.isEmpty(), () -> "errors: " + errors);
    // after the writers are done the index answers consistently with its contents
    int live = 0;
    for (int i = 0; i < n + 500; i++) {
      if (index.contains("i" + i)) {
        live++;
      }
    }
    assertEquals(live + 1, index.size());
  }

  static List<String> ids(List<Neighbor> hits) {
    List<String> out = new ArrayList<>();
    for (Neighbor n : hits) {
      out.add(n.id());
    }
    return out;
  }

  /**
   * Issue 15: k = Integer.MAX_VALUE on a three-item index failed with "IllegalArgumentException: null"
   * (filtered search) or ran out of memory; a k or ef beyond the size means "all of them".
   */
  @Test
  void anAbsurdKOrEfReturnsEveryItem() {
    VectorIndex index = create(2, VectorMetric.L2);
    index.add("a", new float[] {0, 0});
    index.add("b", new float[] {1, 0});
    index.add("c", new float[] {2, 0});
    float[] q = {0.1f, 0};
    List<String> all = List.of("a", "b", "c");
    assertEquals(all, ids(index.search(q, Integer.MAX_VALUE)));
    assertEquals(all, ids(index.search(q, Integer.MAX_VALUE, Integer.MAX_VALUE)));
    assertEquals(List.of("a", "c"), ids(index.search(q, Integer.MAX_VALUE, Integer.MAX_VALUE, id -> !id.equals("b"))));
    assertEquals(List.of("a"), ids(index.search(q, 1, Integer.MAX_VALUE)));
  }
}
