package org.sieveml.retrieval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class CompactionTest {

  @Test
  void churnDoesNotLeakCapacityAndSearchesNeverFailOrSeeRemovedItems() throws Exception {
    int n = 1_500;
    int dim = 8;
    java.util.concurrent.ExecutorService host = java.util.concurrent.Executors.newSingleThreadExecutor();
    HnswVectorIndex index = HnswVectorIndex.builder(dim, VectorMetric.L2).m(8).efConstruction(40)
        .maintenanceExecutor(host).build();
    SplittableRandom rnd = new SplittableRandom(9);
    float[][] current = new float[n][];
    for (int i = 0; i < n; i++) {
      current[i] = random(rnd, dim);
      index.add("i" + i, current[i]);
    }
    AtomicBoolean stop = new AtomicBoolean();
    java.util.concurrent.atomic.AtomicInteger removedUpTo = new java.util.concurrent.atomic.AtomicInteger(-1);
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Thread th = new Thread(() -> {
        SplittableRandom r = new SplittableRandom(Thread.currentThread().getId());
        try {
          while (!stop.get()) {
            // goneN is live between its add and its remove: only a search that began after the remove
            // returned must never see it
            int removed = removedUpTo.get();
            for (Neighbor nb : index.search(random(r, dim), 10, 32)) {
              if (nb.id().startsWith("gone") && Integer.parseInt(nb.id().substring(4)) <= removed) {
                throw new AssertionError("a removed item was returned: " + nb.id());
              }
            }
          }
        } catch (Throwable e) {
          errors.add(e);
        }
      });
      readers.add(th);
      th.start();
    }
    // a second writer churns ids of its own while the first one upserts: both run through compactions
    float[][] other = new float[300][];
    Thread writer = new Thread(() -> {
      SplittableRandom r = new SplittableRandom(77);
      try {
        for (int round = 0; round < 12; round++) {
          for (int i = 0; i < other.length; i++) {
            float[] v = random(r, dim);
            index.upsert("w" + i, v);
            synchronized (other) {
              other[i] = v;
            }
          }
        }
      } catch (Throwable e) {
        errors.add(e);
      }
    });
    writer.start();
    for (int round = 0; round < 4; round++) {
      for (int i = 0; i < n; i++) {
        current[i] = random(rnd, dim);
        index.upsert("i" + i, current[i]);
      }
      index.add("gone" + round, random(rnd, dim));
      index.remove("gone" + round);
      removedUpTo.set(round);
    }
    writer.join();
    // compaction runs on the host's executor, never in a writer's call: wait for it to catch up
    long deadline = System.nanoTime() + 60_000_000_000L;
    while ((index.tombstones() > HnswVectorIndex.COMPACT_THRESHOLD * (index.size() + index.tombstones()) + 1
        || index.compactions() == 0) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    stop.set(true);
    for (Thread th : readers) {
      th.join();
    }
    host.shutdown();
    assertTrue(errors.isEmpty(), errors.toString());
    assertTrue(index.compactions() >= 1, "compactions ran: " + index.compactions());
    assertEquals(n + other.length, index.size());
    assertTrue(index.capacity() <= 4 * (n + other.length), "capacity stays bounded after 9,600 upserts: "
        + index.capacity());
    assertTrue(index.tombstones() <= HnswVectorIndex.COMPACT_THRESHOLD * (index.size() + index.tombstones()) + 1,
        index.tombstones() + " tombstones");
    for (int i = 0; i < other.length; i += 10) {
      assertEquals("w" + i, index.search(other[i], 1, 64).get(0).id(), "the second writer's latest vector");
    }
    int found = 0;
    for (int i = 0; i < n; i += 10) {
      found += index.search(current[i], 1, 64).get(0).id().equals("i" + i) ? 1 : 0;
    }
    assertTrue(found >= 145, "each item's latest vector finds itself after compactions: " + found + " of 150");
  }

  @Test
  void parallelBulkBuildReportsProgressAndValidatesFirst() {
    SplittableRandom rnd = new SplittableRandom(21);
    java.util.Map<String, float[]> items = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 3_000; i++) {
      items.put("b" + i, random(rnd, 8));
    }
    HnswVectorIndex index = HnswVectorIndex.builder(8, VectorMetric.L2).initialCapacity(16).build();
    index.add("b0", items.get("b0"));
    java.util.Map<String, float[]> clash = new java.util.LinkedHashMap<>(items);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> index.addAll(clash, 2, null));
    assertTrue(e.getMessage().contains("'b0'"), e.getMessage());
    assertEquals(1, index.size(), "a refused bulk build inserts nothing");
    items.remove("b0");
    List<Integer> reported = new CopyOnWriteArrayList<>();
    index.addAll(items, 2, (done, total) -> reported.add(done));
    assertEquals(3_000, index.size());
    assertTrue(!reported.isEmpty() && reported.stream().allMatch(d -> d <= 2_999), "progress " + reported);
    for (int i = 1; i < 3_000; i += 300) {
      assertEquals("b" + i, index.search(items.get("b" + i), 1, 64).get(0).id());
    }
  }

  static float[] random(SplittableRandom r, int dim) {
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) {
      v[d] = (float) r.nextGaussian();
    }
    return v;
  }
}
