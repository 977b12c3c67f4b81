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
import java.util.concurrent.CyclicBarrier;
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
 * store unchanged, and TTL statuses through a {@link FeatureStore} on top. Window tiles: adds merge
 * exactly as {@link WindowTiles#merge} (checked against applying it by hand), retention drops tiles,
 * another definition version replaces rows and tiles, puts replace, erase removes one entity of one
 * view, concurrent adds to the same keys sum exactly; marks only ever rise.
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
        EntityKey.of("id", "ünï©ødé"), EntityKey.of("id", " "), EntityKey.of("id", 42L), EntityKey.of("id", "42"),
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

  // ------------------------------------------------------------------ window tiles and marks

  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;

  /**
   * Tiles of one input field from rows {@code {length, start, count, sum}} (sorted by length, start):
   * every value present, min = max = sum / count, times derived from the start.
   */
  static WindowTiles tiles(EntityKey key, String version, long[]... t) {
    int n = t.length;
    long[] len = new long[n];
    long[] st = new long[n];
    long[] tm = new long[n * WindowTiles.TIMES];
    double[] sv = new double[n * 5];
    for (int i = 0; i < n; i++) {
      len[i] = t[i][0];
      st[i] = t[i][1];
      tm[i * 3] = t[i][1] + t[i][2];
      tm[i * 3 + 1] = t[i][1] + t[i][2] + 1;
      tm[i * 3 + 2] = t[i][1] + t[i][2] + 2;
      sv[i * 5] = t[i][2];
      sv[i * 5 + 1] = t[i][2];
      sv[i * 5 + 2] = t[i][3];
      sv[i * 5 + 3] = t[i][2] == 0 ? Double.POSITIVE_INFINITY : (double) t[i][3] / t[i][2] - i;
      sv[i * 5 + 4] = t[i][2] == 0 ? Double.NEGATIVE_INFINITY : (double) t[i][3] / t[i][2] + i;
    }
    return WindowTiles.of(key, version, 1, len, st, tm, sv);
  }

  static WindowTiles.Retention keepFrom(long minuteFrom, long hourFrom) {
    return WindowTiles.Retention.of(new long[] {MIN, HOUR}, new long[] {minuteFrom, hourFrom});
  }

  @Test
  void addTilesMergesExactlyLikeWindowTilesMerge() {
    SplittableRandom r = new SplittableRandom(11);
    List<EntityKey> keys = List.of(user(1), user(2), EntityKey.of("id", "k:3"));
    Map<EntityKey, WindowTiles> expected = new java.util.HashMap<>();
    for (int step = 0; step < 60; step++) {
      List<WindowTiles> deltas = new ArrayList<>();
      for (EntityKey k : keys) {
        if (r.nextInt(3) == 0) {
          continue;
        }
        java.util.TreeMap<Long, long[]> m = new java.util.TreeMap<>();
        int n = 1 + r.nextInt(3);
        for (int i = 0; i < n; i++) {
          boolean hour = r.nextBoolean();
          long start = hour ? HOUR * r.nextInt(4) : MIN * r.nextInt(240);
          long len = hour ? HOUR : MIN;
          m.put(len * 1_000_000_000L + start / MIN, new long[] {len, start, 1 + r.nextInt(3), r.nextInt(100) - 20});
        }
        deltas.add(tiles(k, "v1", m.values().toArray(new long[0][])));
      }
      WindowTiles.Retention ret = step % 7 == 6 ? keepFrom(MIN * (step * 2L), HOUR * (step / 20)) :
          WindowTiles.Retention.ALL;
      store.addTiles("w", deltas, ret);
      for (WindowTiles d : deltas) {
        WindowTiles merged = WindowTiles.merge(expected.get(d.key()), d, ret);
        if (merged == null) {
          expected.remove(d.key());
        } else {
          expected.put(d.key(), merged);
        }
      }
      List<WindowTiles> got = store.readTiles("w", keys);
      for (int i = 0; i < keys.size(); i++) {
        assertEquals(expected.get(keys.get(i)), got.get(i), "step " + step + ", key " + keys.get(i));
      }
    }
    assertNull(store.readTiles("w", List.of(user(99))).get(0), "a key without tiles");
    assertNull(store.readTiles("other", List.of(user(1))).get(0), "a view without tiles");
    assertNull(store.read("w", List.of(user(1))).get(0), "tiles are not rows");
  }

  @Test
  void retentionDropsTilesAndAKeyWithoutTilesIsGone() {
    EntityKey k = user(5);
    store.addTiles("w", List.of(tiles(k, "v1", new long[] {MIN, 0, 1, 10}, new long[] {MIN, MIN, 2, 20},
        new long[] {MIN, 2 * MIN, 3, 30}, new long[] {HOUR, 0, 6, 60})), WindowTiles.Retention.ALL);
    store.addTiles("w", List.of(tiles(k, "v1", new long[] {MIN, 3 * MIN, 1, 5})), keepFrom(2 * MIN, 0));
    assertEquals(tiles(k, "v1", new long[] {MIN, 2 * MIN, 3, 30}, new long[] {MIN, 3 * MIN, 1, 5},
        new long[] {HOUR, 0, 6, 60}).toString(), store.readTiles("w", List.of(k)).get(0).toString());
    WindowTiles stored = store.readTiles("w", List.of(k)).get(0);
    assertEquals(3, stored.size());
    assertEquals(2 * MIN, stored.start(0), "minute tiles before the bound were dropped");
    // the delta's own tiles are subject to retention too; nothing left removes the key
    store.addTiles("w", List.of(tiles(k, "v1", new long[] {MIN, 0, 1, 1})), keepFrom(10 * MIN, HOUR));
    assertNull(store.readTiles("w", List.of(k)).get(0), "every tile dropped: the key has no tiles");
  }

  @Test
  void versionsFollowTheMergeRulesForRowsAndTiles() {
    EntityKey k = user(3);
    assertEquals(1, store.write("v", List.of(row(k, 500, 500, 1))));
    OnlineRow older = new OnlineRow(k, row(k, 100, 100, 2).values(), 100, 100, 100, "v2");
    assertEquals(0, store.write("v", List.of(older)), "an older row does not replace a newer one, whatever the version");
    assertEquals("v1", store.read("v", List.of(k)).get(0).version());
    OnlineRow newer = new OnlineRow(k, older.values(), 500, 500, 700, "v2");
    assertEquals(1, store.write("v", List.of(newer)), "a row as new (equal times) of another version replaces it");
    OnlineRow got = store.read("v", List.of(k)).get(0);
    assertEquals("v2", got.version());
    assertEquals(500, got.eventTime());
    assertEquals(700, got.ingestedTime());

    WindowTiles v1 = tiles(k, "v1", new long[] {MIN, 0, 4, 40}, new long[] {MIN, MIN, 1, 1});
    store.addTiles("w", List.of(v1), WindowTiles.Retention.ALL);
    store.addTiles("w", List.of(tiles(k, "v2", new long[] {MIN, MIN, 2, 7})), WindowTiles.Retention.ALL);
    assertEquals(v1, store.readTiles("w", List.of(k)).get(0), "a delta of another version leaves the tiles as they are");
    WindowTiles rebuilt = tiles(k, "v2", new long[] {MIN, MIN, 2, 7});
    store.putTiles("w", List.of(rebuilt));
    assertEquals(rebuilt, store.readTiles("w", List.of(k)).get(0), "a rebuild replaces them");
    store.addTiles("w", List.of(tiles(k, "v2", new long[] {MIN, MIN, 1, 3})), WindowTiles.Retention.ALL);
    assertEquals(3.0, store.readTiles("w", List.of(k)).get(0).stat(0, 0), "same version adds");
    assertEquals(10.0, store.readTiles("w", List.of(k)).get(0).stat(0, 2));
    store.addTiles("w", List.of(tiles(k, "v1", new long[] {MIN, MIN, 9, 9})), WindowTiles.Retention.ALL);
    assertEquals(3.0, store.readTiles("w", List.of(k)).get(0).stat(0, 0), "nor does an old replica's delta");
  }

  @Test
  void putTilesReplacesAndAnEmptySetRemoves() {
    EntityKey a = user(1);
    EntityKey b = user(2);
    store.addTiles("w", List.of(tiles(a, "v1", new long[] {MIN, 0, 5, 5}), tiles(b, "v1", new long[] {MIN, 0, 1, 1})),
        WindowTiles.Retention.ALL);
    WindowTiles put = tiles(a, "v1", new long[] {MIN, MIN, 2, 2}, new long[] {HOUR, 0, 2, 2});
    store.putTiles("w", List.of(put, tiles(b, "v1")));
    assertEquals(put, store.readTiles("w", List.of(a)).get(0), "replaced, not merged");
    assertNull(store.readTiles("w", List.of(b)).get(0), "an empty set removes the key's tiles");
    store.addTiles("w", List.of(tiles(a, "v1", new long[] {MIN, MIN, 1, 1})), WindowTiles.Retention.ALL);
    assertEquals(3.0, store.readTiles("w", List.of(a)).get(0).stat(0, 0), "adds merge into put tiles");
  }

  @Test
  void eraseRemovesOneEntityOfOneView() {
    EntityKey a = user(1);
    EntityKey b = user(2);
    store.write("v", List.of(row(a, 1, 1, 1), row(b, 1, 1, 2)));
    store.write("u", List.of(row(a, 1, 1, 3)));
    store.addTiles("v", List.of(tiles(a, "v1", new long[] {MIN, 0, 1, 1}), tiles(b, "v1", new long[] {MIN, 0, 2, 2})),
        WindowTiles.Retention.ALL);
    store.addTiles("u", List.of(tiles(a, "v1", new long[] {MIN, 0, 3, 3})), WindowTiles.Retention.ALL);
    store.erase("v", a);
    assertNull(store.read("v", List.of(a)).get(0));
    assertNull(store.readTiles("v", List.of(a)).get(0));
    assertEquals(2.0, store.read("v", List.of(b)).get(0).values().getDouble("d"), "another key stays");
    assertEquals(2.0, store.readTiles("v", List.of(b)).get(0).stat(0, 0));
    assertEquals(3.0, store.read("u", List.of(a)).get(0).values().getDouble("d"), "another view stays");
    assertEquals(3.0, store.readTiles("u", List.of(a)).get(0).stat(0, 0));
    store.erase("v", user(77)); // nothing to erase: no error
    assertEquals(1, store.write("v", List.of(row(a, 0, 0, 9))), "an erased key accepts any row again");
    store.addTiles("v", List.of(tiles(a, "v1", new long[] {MIN, 0, 1, 1})), WindowTiles.Retention.ALL);
    assertEquals(1.0, store.readTiles("v", List.of(a)).get(0).stat(0, 0), "and starts its tiles afresh");
  }

  @Test
  void clearRemovesTilesToo() {
    store.addTiles("a", List.of(tiles(user(1), "v1", new long[] {MIN, 0, 1, 1})), WindowTiles.Retention.ALL);
    store.addTiles("b", List.of(tiles(user(1), "v1", new long[] {MIN, 0, 2, 2})), WindowTiles.Retention.ALL);
    store.clear("a");
    assertNull(store.readTiles("a", List.of(user(1))).get(0));
    assertEquals(2.0, store.readTiles("b", List.of(user(1))).get(0).stat(0, 0));
  }

  @Test
  void marksOnlyRise() {
    assertEquals(Long.MIN_VALUE, store.readMark("m:view/a"), "never set");
    store.advanceMark("m:view/a", 100);
    assertEquals(100, store.readMark("m:view/a"));
    store.advanceMark("m:view/a", 50);
    assertEquals(100, store.readMark("m:view/a"), "a lower value leaves the mark");
    store.advanceMark("m:view/a", 101);
    assertEquals(101, store.readMark("m:view/a"));
    store.advanceMark("m:view/b", -5);
    assertEquals(-5, store.readMark("m:view/b"));
    assertEquals(101, store.readMark("m:view/a"), "marks are independent");
    store.clear("m:view/a");
    assertEquals(101, store.readMark("m:view/a"), "clearing a view leaves marks");
  }

  @Test
  void concurrentAddTilesToTheSameKeysSumExactly() throws Exception {
    int threads = 4;
    int rounds = 150;
    List<EntityKey> keys = List.of(user(1), user(2), user(3), EntityKey.of("id", "x"), EntityKey.of("id", "y"));
    CyclicBarrier start = new CyclicBarrier(threads);
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int me = t;
      ts.add(new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < rounds; i++) {
            List<WindowTiles> deltas = new ArrayList<>();
            for (EntityKey k : keys) {
              // each add puts 1 event in one shared tile and 1 in a tile of its own thread
              deltas.add(tiles(k, "v1", new long[] {MIN, 0, 1, me + 1}, new long[] {MIN, (me + 1) * MIN, 1, i}));
            }
            store.addTiles("w", deltas, WindowTiles.Retention.ALL);
          }
        } catch (Throwable e) {
          problems.add(e.toString());
        }
      }));
    }
    ts.forEach(Thread::start);
    for (Thread t : ts) {
      t.join(60_000);
    }
    assertTrue(problems.isEmpty(), problems.toString());
    long sumOfIds = threads * (threads + 1L) / 2;
    for (WindowTiles got : store.readTiles("w", keys)) {
      assertNotNull(got);
      assertEquals(threads + 1, got.size(), got.toString());
      assertEquals((double) threads * rounds, got.stat(0, 0), "events of the shared tile: no add lost");
      assertEquals((double) rounds * sumOfIds, got.stat(0, 2), "sum of the shared tile");
      for (int t = 1; t <= threads; t++) {
        assertEquals(t * MIN, got.start(t));
        assertEquals((double) rounds, got.stat(t, 0), "tile of thread " + t);
        assertEquals(rounds * (rounds - 1) / 2.0, got.stat(t, 2), "sum of the tile of thread " + t);
      }
    }
  }

  @Test
  void aBadTileBatchLeavesTheStoreUnchanged() {
    EntityKey a = user(1);
    WindowTiles before = tiles(a, "v1", new long[] {MIN, 0, 1, 1});
    store.addTiles("w", List.of(before), WindowTiles.Retention.ALL);
    List<WindowTiles> withNull = Arrays.asList(tiles(a, "v1", new long[] {MIN, 0, 5, 5}), null);
    assertThrows(RuntimeException.class, () -> store.addTiles("w", withNull, WindowTiles.Retention.ALL));
    assertThrows(RuntimeException.class, () -> store.putTiles("w", withNull));
    assertThrows(RuntimeException.class, () -> store.addTiles(null, List.of(before), WindowTiles.Retention.ALL));
    assertEquals(before, store.readTiles("w", List.of(a)).get(0), "nothing of the bad batches");
  }
}
