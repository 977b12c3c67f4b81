package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * As-of reads ({@link FeatureStore#getOnlineFeatures(List, FeatureService, List, long)}) replay what
 * current reads returned: a random stream of pushes (late and superseded events included), offline
 * ingests, incremental materializations and rebuilds runs on a controlled clock; every few steps a
 * current read of a feature view, an aggregation view and an on-demand view is logged with its read
 * time; then every logged read still within the horizon is replayed as of its time and must give the
 * same vectors, statuses, event times and read time, and the older ones are refused.
 */
class AsOfReadTest {

  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final long DAY = 24 * HOUR;
  static final Duration HORIZON = Duration.ofHours(48);
  static final FeatureSchema REQUEST = FeatureSchema.of(FeatureSpec.of("boost", FeatureType.DOUBLE));

  /** A logged read: the keys, the request data and what was served. */
  record Logged(List<EntityKey> keys, FeatureService service, List<FeatureVector> request, OnlineFeatures served) {}

  /** The feature store under test, over some online store, reopened as after a restart when it persists. */
  static final class World implements AutoCloseable {
    final AtomicLong now;
    final FeatureRegistry registry = OnlineOfflineAgreementTest.registry();
    final Supplier<OnlineStore> onlineStores;
    final Supplier<OfflineStore> offlineStores;
    FeatureStore store;
    int restarts;

    World(long start, Supplier<OnlineStore> onlineStores) {
      this(start, onlineStores, () -> EmbeddedOfflineStore.inMemory());
    }

    World(long start, Supplier<OnlineStore> onlineStores, Supplier<OfflineStore> offlineStores) {
      this.now = new AtomicLong(start);
      this.onlineStores = onlineStores;
      this.offlineStores = offlineStores;
      open();
    }

    void open() {
      store = FeatureStore.builder(registry).clock(now::get).onlineStore(onlineStores.get())
          .offlineStore(offlineStores.get()).historyHorizon(HORIZON).build();
    }

    /** Closes and reopens both stores, every other time after a checkpoint (history from the snapshot). */
    void restart() {
      if (restarts++ % 2 == 0 && store.onlineStore() instanceof EmbeddedOnlineStore e) {
        e.checkpoint();
      }
      store.close();
      open();
    }

    @Override
    public void close() {
      store.close();
    }
  }

  /** Runs the stream on a world, logs reads, replays them; returns the number of reads replayed. */
  static int replayStream(World w, long seed, Runnable restart) {
    Random rnd = new Random(seed);
    FeatureService svc = w.registry.featureService("all");
    FeatureSchema profile = w.registry.view("profile").schema();
    FeatureSchema txn = ((AggregationView) w.registry.view("txn")).inputSchema();
    // services that are one view whole take the fast path
    FeatureService p = FeatureService.builder("p").features("profile").build();
    FeatureService t = FeatureService.builder("t").features("txn").build();
    w.registry.apply(p);
    w.registry.apply(t);
    List<Logged> log = new ArrayList<>();
    int replayed = 0;
    for (int step = 0; step < 220; step++) {
      // the clock moves at least 1 ms after a read: a write in the read's own millisecond, after it, would
      // be part of the store's state at that millisecond (the as-of rule), not of the logged read
      long now = w.now.addAndGet(1 + (rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(30) * MIN));
      int what = rnd.nextInt(12);
      if (what < 4) {
        EventBatch.Builder b = EventBatch.builder(txn);
        for (int i = 0; i < 1 + rnd.nextInt(6); i++) {
          long event = now - (rnd.nextInt(4) == 0 ? rnd.nextInt(48) * HOUR : rnd.nextInt(90) * MIN);
          b.add(user(rnd), event, event, rnd.nextInt(5) == 0 ? Double.NaN : rnd.nextInt(200) - 50);
        }
        w.store.push("txn", b.build());
      } else if (what < 7) { // late rows are superseded (not applied): they leave no history
        EventBatch.Builder b = EventBatch.builder(profile);
        for (int i = 0; i < 1 + rnd.nextInt(4); i++) {
          long event = now - (rnd.nextInt(3) == 0 ? rnd.nextInt(5) * HOUR : rnd.nextInt(30) * MIN);
          b.add(user(rnd), event, event, (double) rnd.nextInt(100), (long) rnd.nextInt(9));
        }
        w.store.push("profile", b.build());
      } else if (what < 9) { // offline history, then materialized (rows with their offline ingestion time)
        boolean agg = rnd.nextBoolean();
        EventBatch.Builder b = EventBatch.builder(agg ? txn : profile);
        for (int i = 0; i < 1 + rnd.nextInt(5); i++) {
          long event = now - rnd.nextInt(6) * HOUR - rnd.nextInt(60) * MIN;
          if (agg) {
            b.add(user(rnd), event, event, (double) rnd.nextInt(100));
          } else {
            b.add(user(rnd), event, event, (double) rnd.nextInt(100), (long) rnd.nextInt(9));
          }
        }
        w.store.ingest(agg ? "txn" : "profile", b.build());
        w.store.materializeIncremental("profile", Long.MAX_VALUE, null);
        w.store.materializeIncremental("txn", Long.MAX_VALUE, null);
      } else if (what == 9) { // a rebuild replaces tiles (putTiles): a history event too
        w.store.materialize("txn", now - 2 * DAY, now + 1, null);
      } else if (what == 10 && restart != null) {
        restart.run();
      }
      if (rnd.nextInt(2) == 0) {
        List<EntityKey> keys = new ArrayList<>();
        for (int k = 0; k < 6; k++) {
          keys.add(EntityKey.of("user_id", (long) k));
        }
        List<FeatureVector> req = List.of(FeatureVector.builder(REQUEST).setDouble("boost", rnd.nextInt(5)).build());
        log.add(new Logged(keys, svc, req, w.store.getOnlineFeatures(keys, svc, req)));
        FeatureService whole = rnd.nextBoolean() ? p : t;
        log.add(new Logged(keys, whole, null, w.store.getOnlineFeatures(keys, whole)));
      }
      if (rnd.nextInt(20) == 0 && !log.isEmpty()) { // replay some while pushes continue
        replayed += replay(w, log.subList(Math.max(0, log.size() - 6), log.size()));
      }
    }
    replayed += replay(w, log);
    return replayed;
  }

  /** Replays logged reads within the horizon (checking they equal what was served); older ones are refused. */
  static int replay(World w, List<Logged> log) {
    int n = 0;
    long oldest = w.now.get() - HORIZON.toMillis();
    for (Logged l : log) {
      long t = l.served().readTime();
      FeatureService svc = l.service();
      if (t < oldest) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> w.store.getOnlineFeatures(l.keys(), svc, l.request(), t));
        assertTrue(e.getMessage().contains("asOf=" + t) && e.getMessage().contains("horizon")
            && e.getMessage().contains("oldest time available"), e.getMessage());
        continue;
      }
      OnlineFeatures again = w.store.getOnlineFeatures(l.keys(), svc, l.request(), t);
      assertSame(l.served(), again);
      n++;
    }
    return n;
  }

  static void assertSame(OnlineFeatures served, OnlineFeatures again) {
    assertEquals(served.readTime(), again.readTime());
    assertEquals(served.schema(), again.schema());
    for (int i = 0; i < served.size(); i++) {
      assertEquals(served.vector(i), again.vector(i), "key " + served.keys().get(i) + " at " + served.readTime());
      for (int f = 0; f < served.schema().size(); f++) {
        assertEquals(served.status(i, f), again.status(i, f), "status of " + served.schema().get(f).name()
            + " of key " + served.keys().get(i) + " at " + served.readTime());
        assertEquals(served.eventTime(i, f), again.eventTime(i, f), "event time of " + served.schema().get(f).name()
            + " of key " + served.keys().get(i) + " at " + served.readTime());
      }
    }
  }

  private static EntityKey user(Random rnd) {
    return EntityKey.of("user_id", (long) rnd.nextInt(5)); // user 5 never gets data
  }

  @Test
  void replayOnTheInMemoryEmbeddedStoreGivesWhatWasServed() {
    int replayed = 0;
    for (int trial = 0; trial < 3; trial++) {
      try (World w = new World(1_000 * DAY, EmbeddedOnlineStore::new)) {
        replayed += replayStream(w, 40 + trial, null);
      }
    }
    assertTrue(replayed > 200, replayed + " reads replayed");
  }

  @Test
  void replayOnTheDurableEmbeddedStoreAcrossRestartsGivesWhatWasServed(@TempDir Path tmp) {
    int replayed = 0;
    int restarts = 0;
    for (int trial = 0; trial < 2; trial++) {
      Path dir = tmp.resolve("t" + trial);
      try (World w = new World(1_000 * DAY, () -> EmbeddedOnlineStore.open(dir.resolve("online")),
          () -> EmbeddedOfflineStore.builder(dir.resolve("offline")).build())) {
        final World world = w;
        replayed += replayStream(w, 80 + trial, world::restart);
        restarts += w.restarts;
      }
    }
    assertTrue(replayed > 100 && restarts > 5, replayed + " reads replayed, " + restarts + " restarts");
  }

  @Test
  void replayThroughTheCaffeineTierGivesWhatWasServed() {
    int replayed = 0;
    for (int trial = 0; trial < 2; trial++) {
      try (World w = new World(1_000 * DAY, () -> new CachingOnlineStore(new EmbeddedOnlineStore(), 1_000,
          Duration.ofHours(1)))) {
        replayed += replayStream(w, 60 + trial, null);
      }
    }
    assertTrue(replayed > 100, replayed + " reads replayed");
  }

  @Test
  void asOfReadsOfOneKeyFollowItsWritesAndTrimToTheHorizon() {
    AtomicLong now = new AtomicLong(1_000 * DAY);
    EmbeddedOnlineStore online = new EmbeddedOnlineStore();
    FeatureRegistry reg = OnlineOfflineAgreementTest.registry();
    FeatureStore store = FeatureStore.builder(reg).clock(now::get).onlineStore(online)
        .historyHorizon(Duration.ofHours(1)).build();
    FeatureService p = FeatureService.builder("p").features("profile").build();
    reg.apply(p);
    EntityKey u = EntityKey.of("user_id", 1L);
    long start = now.get();
    List<Long> times = new ArrayList<>();
    List<OnlineFeatures> served = new ArrayList<>();
    for (int i = 0; i < 30; i++) { // one write every 10 minutes for 5 hours
      now.addAndGet(10 * MIN);
      store.push("profile", EventBatch.builder(reg.view("profile").schema())
          .add(u, now.get(), now.get(), (double) i, (long) i).build());
      times.add(now.get());
      served.add(store.getOnlineFeatures(List.of(u), p));
      // a write that is superseded (an older event) leaves no history
      store.push("profile", EventBatch.builder(reg.view("profile").schema())
          .add(u, now.get() - MIN, now.get() - MIN, -5.0, -5L).build());
    }
    // 1 h of one write per 10 min: 6 changes plus the state before them, whatever came earlier
    assertTrue(online.historyEntries() <= 8, online.historyEntries() + " entries kept");
    for (int i = 0; i < times.size(); i++) {
      long t = times.get(i);
      if (t >= now.get() - HOUR) {
        assertSame(served.get(i), store.getOnlineFeatures(List.of(u), p, t));
        assertEquals((double) i, store.getOnlineFeatures(List.of(u), p, t + 5 * MIN > now.get() ? t : t + 5 * MIN)
            .vector(0).getDouble("score"));
      } else {
        final long at = t;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> store.getOnlineFeatures(List.of(u), p, at));
        assertTrue(e.getMessage().contains("asOf=" + t) && e.getMessage().contains("3600000 ms")
            && e.getMessage().contains("oldest time available is " + (now.get() - HOUR)), e.getMessage());
      }
    }
    // exactly at the horizon's start (write 23, at minute 240 of 300): the state current then, kept for it
    assertEquals(23.0, store.getOnlineFeatures(List.of(u), p, now.get() - HOUR).vector(0).getDouble("score"));
    // a key never written reads NOT_FOUND at any time in the horizon
    assertEquals(FeatureStatus.NOT_FOUND, store.getOnlineFeatures(List.of(EntityKey.of("user_id", 9L)), p,
        now.get() - 30 * MIN).status(0, "score"));
    // TTL at the as-of time: profile's TTL is 2 h; a read as of now of a key last written 4 h ago is EXPIRED
    // while the same row read as of its write time was PRESENT
    EntityKey v = EntityKey.of("user_id", 2L);
    store.push("profile", EventBatch.builder(reg.view("profile").schema())
        .add(v, now.get() - 4 * HOUR, now.get() - 4 * HOUR, 1.0, 1L).build());
    long wrote = now.get();
    now.addAndGet(MIN);
    assertEquals(FeatureStatus.EXPIRED, store.getOnlineFeatures(List.of(v), p, wrote).status(0, "score"));
    assertTrue(start < now.get());
  }

  /**
   * Readers race a writer whose every write is a key's first (so it creates the key's history while
   * readers read it, the path where a key has no history yet): a read as of a time all of whose writes
   * have returned gives exactly the state then, a read at the time of the write being applied gives it
   * or the state before it, and a read just before that write never sees it.
   */
  @Test
  void asOfReadsRacingWritesSeeTheStateAtTheirTime() throws Exception {
    long start = 1_000 * DAY;
    long step = 1_000;
    int rounds = 4_000;
    int window = 4;
    AtomicLong now = new AtomicLong(start);
    FeatureRegistry reg = OnlineOfflineAgreementTest.registry();
    FeatureStore store = FeatureStore.builder(reg).clock(now::get).onlineStore(new EmbeddedOnlineStore())
        .historyHorizon(HORIZON).build();
    FeatureService p = FeatureService.builder("p").features("profile", "score").build();
    reg.apply(p);
    AtomicReference<Throwable> failed = new AtomicReference<>();
    AtomicBoolean done = new AtomicBoolean();
    AtomicLong checked = new AtomicLong();
    List<Thread> readers = new ArrayList<>();
    for (int t = 0; t < 2; t++) {
      Random rnd = new Random(t);
      Thread reader = new Thread(() -> {
        try {
          while (!done.get()) {
            int round = (int) ((now.get() - start) / step); // key 'round' may be being written now
            int at = Math.max(0, round - rnd.nextInt(3)); // now, just before it, or a round before that
            List<EntityKey> keys = new ArrayList<>();
            for (int j = Math.max(0, round - window); j <= round + window; j++) {
              keys.add(EntityKey.of("user_id", (long) j));
            }
            OnlineFeatures f = store.getOnlineFeatures(keys, p, start + at * step);
            for (int i = 0; i < keys.size(); i++) {
              long j = (Long) keys.get(i).value(0);
              boolean present = f.status(i, "score") == FeatureStatus.PRESENT;
              // key j was written (score j) at round j: present as of 'at' iff j <= at, except that the
              // write of this round may not be applied yet when at == round
              boolean ok = j <= at ? present && f.vector(i).getDouble("score") == j || (j == round && !present)
                  : !present;
              assertTrue(ok, "key " + j + " as of round " + at + " (clock at round " + round + "): "
                  + f.status(i, "score") + " " + f.vector(i).getDouble("score"));
              checked.incrementAndGet();
            }
          }
        } catch (Throwable e) {
          failed.compareAndSet(null, e);
        }
      });
      readers.add(reader);
      reader.start();
    }
    try {
      for (int r = 0; r < rounds && failed.get() == null; r++) {
        now.set(start + r * step);
        store.push("profile", EventBatch.builder(reg.view("profile").schema())
            .add(EntityKey.of("user_id", (long) r), now.get(), now.get(), (double) r, (long) r).build());
      }
    } finally {
      done.set(true);
      for (Thread t : readers) {
        t.join();
      }
    }
    if (failed.get() != null) {
      throw new AssertionError(failed.get());
    }
    assertTrue(checked.get() > 1_000, checked.get() + " states checked");
    // once the writer is done: every key as of the rounds around its write
    for (int j = 0; j < rounds; j += 7) {
      for (int at = Math.max(0, j - 2); at <= Math.min(rounds - 1, j + 2); at++) {
        OnlineFeatures f = store.getOnlineFeatures(List.of(EntityKey.of("user_id", (long) j)), p,
            start + at * step);
        assertEquals(j <= at ? FeatureStatus.PRESENT : FeatureStatus.NOT_FOUND, f.status(0, "score"),
            "key " + j + " as of round " + at);
      }
    }
  }

  @Test
  void eraseRemovesTheHistoryToo() {
    AtomicLong now = new AtomicLong(1_000 * DAY);
    EmbeddedOnlineStore online = new EmbeddedOnlineStore();
    FeatureRegistry reg = OnlineOfflineAgreementTest.registry();
    FeatureStore store = FeatureStore.builder(reg).clock(now::get).onlineStore(online).historyHorizon(HORIZON)
        .build();
    FeatureService all = reg.featureService("all");
    List<FeatureVector> req = List.of(FeatureVector.builder(REQUEST).setDouble("boost", 1.0).build());
    EntityKey u = EntityKey.of("user_id", 1L);
    EntityKey other = EntityKey.of("user_id", 2L);
    FeatureSchema txn = ((AggregationView) reg.view("txn")).inputSchema();
    for (int i = 0; i < 3; i++) {
      now.addAndGet(MIN);
      store.push("profile", EventBatch.builder(reg.view("profile").schema())
          .add(u, now.get(), now.get(), (double) i, (long) i).add(other, now.get(), now.get(), (double) i, 1L).build());
      store.push("txn", EventBatch.builder(txn).add(u, now.get(), now.get(), 10.0).add(other, now.get(), now.get(), 3.0)
          .build());
    }
    long before = now.get();
    OnlineFeatures served = store.getOnlineFeatures(List.of(u, other), all, req);
    assertEquals(FeatureStatus.PRESENT, served.status(0, "score"));
    now.addAndGet(MIN);
    store.erase("user", u);
    OnlineFeatures past = store.getOnlineFeatures(List.of(u, other), all, req, before);
    for (String f : List.of("score", "amount_sum_1h", "combo")) {
      assertEquals(FeatureStatus.NOT_FOUND, past.status(0, f), f + " of the erased key as of before the erasure");
    }
    assertEquals(served.vector(1), past.vector(1), "other keys keep their history");
    assertNull(online.readAsOf("profile", List.of(u), before - 2 * MIN).get(0));
    assertNull(online.readTilesAsOf("txn", List.of(u), before - MIN).get(0));
  }

  @Test
  void hostileTimesAndHorizonsAreRefusedClearly() {
    AtomicLong now = new AtomicLong(1_000 * DAY);
    FeatureRegistry reg = OnlineOfflineAgreementTest.registry();
    FeatureService all = reg.featureService("all");
    List<FeatureVector> req = List.of(FeatureVector.builder(REQUEST).setDouble("boost", 1.0).build());
    List<EntityKey> keys = List.of(EntityKey.of("user_id", 1L));
    for (Duration bad : new Duration[] {Duration.ofMillis(-1), Duration.ofDays(3651), null}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> FeatureStore.builder(reg).historyHorizon(bad));
      assertTrue(e.getMessage().contains("history horizon") && e.getMessage().contains(String.valueOf(bad)),
          e.getMessage());
    }
    // no horizon: as-of reads are refused, naming the setting
    FeatureStore none = FeatureStore.builder(reg).clock(now::get).build();
    IllegalStateException off = assertThrows(IllegalStateException.class,
        () -> none.getOnlineFeatures(keys, all, req, now.get()));
    assertTrue(off.getMessage().contains("historyHorizon"), off.getMessage());
    // a store that keeps no history is refused when the horizon is set
    UnsupportedOperationException unsupported = assertThrows(UnsupportedOperationException.class,
        () -> FeatureStore.builder(reg).onlineStore(new ForwardingOnlineStore(new EmbeddedOnlineStore()))
            .historyHorizon(HORIZON).build());
    assertTrue(unsupported.getMessage().contains("ForwardingOnlineStore"), unsupported.getMessage());
    long started = now.get();
    FeatureStore store = FeatureStore.builder(reg).clock(now::get).historyHorizon(HORIZON).build();
    now.addAndGet(HOUR);
    // in the future
    IllegalArgumentException future = assertThrows(IllegalArgumentException.class,
        () -> store.getOnlineFeatures(keys, all, req, now.get() + 1));
    assertTrue(future.getMessage().contains("asOf=" + (now.get() + 1)) && future.getMessage().contains("clock"),
        future.getMessage());
    // before history was kept (the store was built an hour ago, within the horizon)
    IllegalArgumentException early = assertThrows(IllegalArgumentException.class,
        () -> store.getOnlineFeatures(keys, all, req, started - 1));
    assertTrue(early.getMessage().contains("asOf=" + (started - 1))
        && early.getMessage().contains("oldest time available is " + started)
        && early.getMessage().contains("kept since"), early.getMessage());
    // long ago
    IllegalArgumentException old = assertThrows(IllegalArgumentException.class,
        () -> store.getOnlineFeatures(keys, all, req, Long.MIN_VALUE));
    assertTrue(old.getMessage().contains("asOf=" + Long.MIN_VALUE), old.getMessage());
    assertEquals(FeatureStatus.NOT_FOUND, store.getOnlineFeatures(keys, all, req, started).status(0, "score"));
    IllegalArgumentException nullKeys = assertThrows(IllegalArgumentException.class,
        () -> store.getOnlineFeatures(null, all, req, started));
    assertTrue(nullKeys.getMessage().contains("keys"), nullKeys.getMessage());
  }
}
