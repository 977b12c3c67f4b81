package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * The {@link OnlineStore} contract, run against every implementation (embedded, Caffeine tier,
 * Redis): round trips of every feature type, newest wins (event time, then created time, ties to the
 * later write) within a batch, across batches and under concurrent writers with concurrent readers
 * that must never see a torn row, view isolation, clear, awkward keys, bad input that leaves the
 * store unchanged, and TTL statuses through a {@link FeatureStore} on top.
 */
abstract class OnlineStoreContract {

  static final FeatureSchema SCHEMA = FeatureSchema.builder()
      .addDouble("d").addLong("l").addBoolean("b").addString("s").add(FeatureSpec.embedding("e", 3)).build();

  OnlineStore store;

  /** A new, empty store. */
  abstract OnlineStore newStore() throws Exception;

  @BeforeEach
  void open() throws Exception {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  static OnlineRow row(EntityKey key, long event, long created, double d) {
    FeatureVector v = FeatureVector.builder(SCHEMA).setDouble("d", d).setLong("l", event).setBoolean("b", d > 0)
        .setString("s", "v" + (long) d).setEmbedding("e", new float[] {(float) d, 1f, -2f}).build();
    return new OnlineRow(key, v, event, created, created, "v1");
  }

  static EntityKey user(long id) {
    return EntityKey.of("user_id", id);
  }

  @Test
  void roundTripsEveryTypeAndMissingValues() {
    OnlineRow full = row(user(1), 100, 100, 3.5);
    FeatureVector sparse = FeatureVector.builder(SCHEMA).setDouble("d", -1).build();
    OnlineRow partial = new OnlineRow(user(2), sparse, 50, 60, 60, "v1");
    assertEquals(2, store.write("v", List.of(full, partial)));
    List<OnlineRow> got = store.read("v", List.of(user(1), user(3), user(2)));
    assertEquals(3, got.size());
    assertEquals(full.values(), got.get(0).values());
    assertEquals(100, got.get(0).eventTime());
    assertArrayEquals(new float[] {3.5f, 1f, -2f}, got.get(0).values().getEmbedding("e"));
    assertNull(got.get(1), "unknown key");
    assertEquals(sparse, got.get(2).values());
    assertTrue(!got.get(2).values().isPresent("l"), "a missing value stays missing");
    assertEquals(60, got.get(2).createdTime());
    assertEquals(user(2), got.get(2).key());
  }

  @Test
  void newestWinsByEventTimeThenCreatedTime() {
    EntityKey k = user(7);
    assertEquals(1, store.write("v", List.of(row(k, 100, 100, 1))));
    assertEquals(0, store.write("v", List.of(row(k, 99, 500, 2))), "older event time never overwrites");
    assertEquals(1.0, store.read("v", List.of(k)).get(0).values().getDouble("d"));
    assertEquals(0, store.write("v", List.of(row(k, 100, 99, 3))), "same event, older created time");
    assertEquals(1, store.write("v", List.of(row(k, 100, 100, 4))), "same event and created time: the later write");
    assertEquals(4.0, store.read("v", List.of(k)).get(0).values().getDouble("d"));
    assertEquals(1, store.write("v", List.of(row(k, 100, 101, 5))));
    assertEquals(1, store.write("v", List.of(row(k, 101, 0, 6))));
    assertEquals(6.0, store.read("v", List.of(k)).get(0).values().getDouble("d"));
    // within one batch, in any order
    EntityKey j = user(8);
    store.write("v", List.of(row(j, 300, 0, 30), row(j, 100, 0, 10), row(j, 200, 0, 20)));
    assertEquals(30.0, store.read("v", List.of(j)).get(0).values().getDouble("d"));
  }

  @Test
  void viewsAreIsolatedAndClearRemovesOneView() {
    store.write("a", List.of(row(user(1), 1, 1, 1)));
    store.write("b", List.of(row(user(1), 1, 1, 2)));
    assertEquals(1.0, store.read("a", List.of(user(1))).get(0).values().getDouble("d"));
    assertEquals(2.0, store.read("b", List.of(user(1))).get(0).values().getDouble("d"));
    store.clear("a");
    assertNull(store.read("a", List.of(user(1))).get(0));
    assertNotNull(store.read("b", List.of(user(1))).get(0));
    assertEquals(1, store.write("a", List.of(row(user(1), 0, 0, 9))), "a cleared view accepts any row again");
  }

  @Test
  void awkwardKeysStayDistinct() {
    List<EntityKey> keys = List.of(
        EntityKey.of("id", "a:b"), EntityKey.of("id", "a|b"), EntityKey.of("id", "a=b"), EntityKey.of("id", "a%3ab"),
        EntityKey.of("id", "ünï©ødé"), EntityKey.of("id", ""), EntityKey.of("id", 42L), EntityKey.of("id", "42"),
        EntityKey.of(Map.of("user_id", 1L, "item_id", "x")), EntityKey.of(Map.of("user_id", "1", "item_id", "x")));
    List<OnlineRow> rows = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      rows.add(row(keys.get(i), 10, 10, i));
    }
    assertEquals(keys.size(), store.write("v:w|x", rows));
    List<OnlineRow> got = store.read("v:w|x", keys);
    for (int i = 0; i < keys.size(); i++) {
      assertEquals((double) i, got.get(i).values().getDouble("d"), "key " + keys.get(i));
      assertEquals(keys.get(i), got.get(i).key());
    }
  }

  @Test
  void badInputLeavesTheStoreUnchanged() {
    store.write("v", List.of(row(user(1), 10, 10, 1)));
    List<OnlineRow> withNull = Arrays.asList(row(user(1), 20, 20, 2), null);
    assertThrows(RuntimeException.class, () -> store.write("v", withNull));
    assertEquals(1.0, store.read("v", List.of(user(1))).get(0).values().getDouble("d"), "nothing of the bad batch");
    assertThrows(RuntimeException.class, () -> store.read("v", Arrays.asList(user(1), null)));
    assertThrows(RuntimeException.class, () -> store.write(null, List.of(row(user(1), 30, 30, 3))));
  }

  @Test
  void concurrentWritersKeepTheNewestAndReadersNeverSeeTornRows() throws Exception {
    int keys = 40;
    int writers = 3;
    long[][] newest = new long[keys][2];
    for (long[] n : newest) {
      n[0] = Long.MIN_VALUE;
    }
    AtomicBoolean done = new AtomicBoolean();
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    List<List<OnlineRow>> written = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      List<OnlineRow> mine = new ArrayList<>();
      written.add(mine);
      SplittableRandom r = new SplittableRandom(w);
      for (int n = 0; n < 300; n++) {
        long event = r.nextLong(1000);
        long created = r.nextLong(1000);
        // d encodes (event, created) so readers can check a row is whole
        mine.add(row(user(r.nextInt(keys)), event, created, event * 1000 + created));
      }
      threads.add(new Thread(() -> {
        try {
          start.await();
          for (int from = 0; from < mine.size(); from += 10) {
            store.write("v", mine.subList(from, Math.min(mine.size(), from + 10)));
          }
        } catch (Throwable t) {
          problems.add("writer: " + t);
        }
      }));
    }
    List<EntityKey> all = new ArrayList<>();
    for (int k = 0; k < keys; k++) {
      all.add(user(k));
    }
    AtomicLong reads = new AtomicLong();
    Thread reader = new Thread(() -> {
      try {
        start.await();
        do {
          for (OnlineRow r : store.read("v", all)) {
            if (r != null) {
              double d = r.values().getDouble("d");
              if (d != r.eventTime() * 1000 + r.createdTime() || r.values().getLong("l") != r.eventTime()) {
                problems.add("torn row " + r);
              }
            }
          }
          reads.incrementAndGet();
        } while (!done.get());
      } catch (Throwable t) {
        problems.add("reader: " + t);
      }
    });
    threads.forEach(Thread::start);
    reader.start();
    start.countDown();
    for (Thread t : threads) {
      t.join(60_000);
    }
    done.set(true);
    reader.join(60_000);
    assertTrue(problems.isEmpty(), problems.toString());
    assertTrue(reads.get() > 0);
    for (List<OnlineRow> mine : written) {
      for (OnlineRow r : mine) {
        int k = (int) (long) (Long) r.key().value(0);
        if (r.eventTime() > newest[k][0] || (r.eventTime() == newest[k][0] && r.createdTime() > newest[k][1])) {
          newest[k][0] = r.eventTime();
          newest[k][1] = r.createdTime();
        }
      }
    }
    List<OnlineRow> got = store.read("v", all);
    for (int k = 0; k < keys; k++) {
      if (newest[k][0] == Long.MIN_VALUE) {
        assertNull(got.get(k));
        continue;
      }
      assertEquals(newest[k][0], got.get(k).eventTime(), "key " + k);
      assertEquals(newest[k][1], got.get(k).createdTime(), "key " + k);
    }
  }

  @Test
  void featureStoreOnTopGivesTtlStatuses() {
    Entity user = Entity.builder("user").joinKey("user_id").build();
    FeatureView view = FeatureView.builder("profile").entity(user)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE)).ttl(Duration.ofHours(1)).build();
    FeatureService service = FeatureService.builder("svc").features("profile").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(user);
    registry.apply(view);
    registry.apply(service);
    AtomicLong now = new AtomicLong(10_000_000);
    FeatureStore fs = FeatureStore.builder(registry).onlineStore(store).clock(now::get).build();
    fs.push("profile", EventBatch.builder(view.schema()).add(user.key(1L), 9_000_000, 9_000_000, 0.5).build());
    OnlineFeatures f = fs.getOnlineFeatures(List.of(user.key(1L), user.key(2L)), service);
    assertEquals(FeatureStatus.PRESENT, f.status(0, "score"));
    assertEquals(0.5, f.vector(0).getDouble("score"));
    assertEquals(FeatureStatus.NOT_FOUND, f.status(1, "score"));
    now.set(9_000_000 + Duration.ofHours(1).toMillis() + 1);
    assertEquals(FeatureStatus.EXPIRED, fs.getOnlineFeatures(List.of(user.key(1L)), service).status(0, "score"));
  }
}
