package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

/**
 * Edge cases of the online state model found in review (each failed before its fix): a push racing a
 * materialization, pushes after a definition change, replicas with slightly different clocks, rows
 * beyond the future tolerance, the ingestion time of materialized rows, and the caching tier racing a
 * clear. Every test states what "online = point-in-time join at now" (or the documented contract)
 * requires.
 */
class StateModelRegressionTest {

  private static final long MIN = 60_000L;
  private static final long HOUR = 60 * MIN;
  private static final long DAY = 24 * HOUR;
  private static final long T0 = 1_000 * DAY; // a day (and hour) boundary
  private static final Entity USER = Entity.builder("user").joinKey("user_id").build();
  private static final EntityKey K1 = EntityKey.of("user_id", 1L);

  private static AggregationView txn(String description, Duration ttl) {
    AggregationView.Builder b = AggregationView.builder("txn").entity(USER)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofDays(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))
        .description(description);
    if (ttl != null) {
      b.ttl(ttl);
    }
    return b.build();
  }

  private static FeatureRegistry registry(AggregationView view) {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(USER);
    r.apply(view);
    r.apply(FeatureService.builder("svc").features("txn").build());
    return r;
  }

  private static EventBatch events(long... eventTimes) {
    EventBatch.Builder b = EventBatch.builder(txn("", null).inputSchema());
    for (long t : eventTimes) {
      b.add(K1, t, t, 10.0);
    }
    return b.build();
  }

  /** The point-in-time join's count_1d for K1 at the store's clock. */
  private static long offlineCount(FeatureStore store, long now) {
    TrainingData td = store.getHistoricalFeatures(EntityRows.of(List.of(K1), new long[] {now}, null),
        store.registry().featureService("svc"));
    return td.frame().row(0).getLong("count_1d");
  }

  private static long onlineCount(FeatureStore store) {
    return store.getOnlineFeatures(List.of(K1), store.registry().featureService("svc")).vector(0).getLong("count_1d");
  }

  // ------------------------------------------------------------------------------------------------
  // (2) materialization vs pushes: lost update

  /**
   * A push that completes while a materialization scans for affected keys (after it read the clock) is
   * in the log and in the tiles; the rebuild reads the clock again under its lock and keeps it.
   */
  @Test
  void aPushDuringAMaterializationIsKept() {
    AtomicLong time = new AtomicLong(T0 - 5 * MIN);
    AtomicReference<Runnable> onNextClockRead = new AtomicReference<>();
    LongSupplier clock = () -> {
      long t = time.get();
      Runnable hook = onNextClockRead.getAndSet(null);
      if (hook != null) {
        hook.run(); // a push that lands after materialize read its clock, before its rebuild locks
      }
      return t;
    };
    FeatureStore store = FeatureStore.builder(registry(txn("", null))).clock(clock).build();
    store.push("txn", events(T0 - 10 * MIN));
    time.set(T0);
    onNextClockRead.set(() -> {
      time.set(T0 + 1_000);
      store.push("txn", events(T0 - MIN));
    });
    store.materialize("txn", T0 - DAY, T0, null);
    assertEquals(2, onlineCount(store), "the push that raced with the materialization is kept");
    assertEquals(offlineCount(store, time.get()), onlineCount(store));
  }

  // ------------------------------------------------------------------------------------------------
  // (3)/(5) versions: a push after a definition change serves a partial state as PRESENT

  /**
   * After a definition change a push holds only its own events: it must not turn the key's tiles into
   * a PRESENT window of just those events. They stay VERSION_MISMATCH until a materialization rebuilds
   * them, then equal the point-in-time join at now.
   */
  @Test
  void aPushAfterADefinitionChangeDoesNotMakeOldTilesLive() {
    AtomicLong time = new AtomicLong(T0);
    FeatureRegistry reg = registry(txn("v1", null));
    FeatureStore store = FeatureStore.builder(reg).clock(time::get).build();
    store.push("txn", events(T0 - 3 * HOUR, T0 - 2 * HOUR, T0 - HOUR));
    reg.replace(txn("v2", null)); // e.g. a rolling deploy with a new description / TTL / extra window
    store.push("txn", events(T0 - MIN));

    OnlineFeatures on = store.getOnlineFeatures(List.of(K1), reg.featureService("svc"));
    assertEquals(FeatureStatus.VERSION_MISMATCH, on.status(0, "count_1d"), "not a live window of one event");
    store.materialize("txn", T0 - DAY, T0 + 1, null);
    on = store.getOnlineFeatures(List.of(K1), reg.featureService("svc"));
    assertEquals(FeatureStatus.PRESENT, on.status(0, "count_1d"));
    assertEquals(offlineCount(store, T0), on.vector(0).getLong("count_1d"),
        "a PRESENT window equals the point-in-time join at now");
  }

  /**
   * A late (older) row pushed after a definition change does not replace a newer row of the old
   * version (which is served VERSION_MISMATCH, never the late row as PRESENT); a materialization under
   * the new version then serves what the join at now gives.
   */
  @Test
  void aLateRowOfANewVersionDoesNotHideANewerRow() {
    AtomicLong time = new AtomicLong(T0);
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(USER);
    reg.apply(profile("v1"));
    reg.apply(FeatureService.builder("p").features("profile").build());
    FeatureStore store = FeatureStore.builder(reg).clock(time::get).build();
    store.push("profile", EventBatch.builder(profile("v1").schema()).add(K1, T0 - 10 * MIN, T0 - 10 * MIN, 1.0)
        .build());
    reg.replace(profile("v2"));
    store.push("profile", EventBatch.builder(profile("v2").schema()).add(K1, T0 - HOUR, T0 - HOUR, 2.0).build());

    OnlineFeatures on = store.getOnlineFeatures(List.of(K1), reg.featureService("p"));
    assertEquals(FeatureStatus.VERSION_MISMATCH, on.status(0, "score"), "the late row does not hide the newer one");
    store.materialize("profile", T0 - DAY, T0 + 1, null);
    on = store.getOnlineFeatures(List.of(K1), reg.featureService("p"));
    TrainingData td = store.getHistoricalFeatures(EntityRows.of(List.of(K1), new long[] {T0}, null),
        reg.featureService("p"));
    assertEquals(FeatureStatus.PRESENT, on.status(0, "score"));
    assertEquals(td.frame().row(0).getDouble("score"), on.vector(0).getDouble("score"),
        "online serves what the join at now gives");
  }

  private static FeatureView profile(String description) {
    return FeatureView.builder("profile").entity(USER).feature(FeatureSpec.of("score", FeatureType.DOUBLE))
        .description(description).build();
  }

  // ------------------------------------------------------------------------------------------------
  // (1) retention depends on the writer's clock: a replica whose clock is slightly behind reads
  //     windows whose tiles were already dropped

  /**
   * Two replicas on one online store whose clocks differ by two seconds straddle an hour boundary: the
   * replica ahead pushes, and its retention (kept down to the future tolerance before its clock) must
   * not drop minute tiles the replica behind still reads.
   */
  @Test
  void aReplicaWhoseClockIsSlightlyBehindStillReadsItsWindows() {
    AtomicLong clockA = new AtomicLong(T0 + 1_000); // one second past the hour
    AtomicLong clockB = new AtomicLong(T0 - 1_000); // one second before it
    FeatureRegistry reg = registry(txn("", null));
    EmbeddedOnlineStore online = new EmbeddedOnlineStore();
    EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
    FeatureStore a = FeatureStore.builder(reg).clock(clockA::get).onlineStore(online).offlineStore(offline).build();
    FeatureStore b = FeatureStore.builder(reg).clock(clockB::get).onlineStore(online).offlineStore(offline).build();
    b.push("txn", events(T0 - 30_000));
    assertEquals(1, onlineCount(b));
    a.push("txn", events(T0)); // same key, event at the hour, on the replica ahead

    OnlineFeatures on = b.getOnlineFeatures(List.of(K1), reg.featureService("svc"));
    assertEquals(FeatureStatus.PRESENT, on.status(0, "count_1d"));
    assertEquals(offlineCount(b, clockB.get()), on.vector(0).getLong("count_1d"),
        "replica B at its clock must read what the join at that time reads");
  }

  // ------------------------------------------------------------------------------------------------
  // (2)/(3) rebuild ignores the future tolerance: an ingested far-future row pins the key PRESENT

  /**
   * An ingested history row dated far after the clock stays out of the rebuilt tiles (it would pin the
   * key's newest event time and keep it from ever being EXPIRED).
   */
  @Test
  void aRebuildLeavesRowsBeyondTheFutureToleranceOffline() {
    AtomicLong time = new AtomicLong(T0);
    FeatureRegistry reg = registry(txn("", Duration.ofHours(1)));
    FeatureStore store = FeatureStore.builder(reg).clock(time::get).build();
    EventBatch.Builder b = EventBatch.builder(txn("", null).inputSchema());
    b.add(K1, T0 - 2 * HOUR, T0 - 2 * HOUR, 10.0);
    b.add(K1, T0 + 30 * DAY, T0 - 2 * HOUR, 10.0); // created (= ingested) in the past, dated in the future
    store.ingest("txn", b.build());
    store.materializeIncremental("txn", T0, null);

    OnlineFeatures on = store.getOnlineFeatures(List.of(K1), reg.featureService("svc"));
    assertEquals(1, on.vector(0).getLong("count_1d"));
    assertEquals(FeatureStatus.EXPIRED, on.status(0, "count_1d"),
        "the newest event within the tolerance is 2 h old with a 1 h TTL; tiles hold a row dated "
            + "30 days ahead: " + on.eventTime(0, 0));
  }

  // ------------------------------------------------------------------------------------------------
  // (5) bitemporal rows: materialization stamps the wrong ingestion time

  /** A materialized feature row carries its ingestion time from the log, not the run's time. */
  @Test
  void aMaterializedRowKeepsItsIngestionTime() {
    AtomicLong time = new AtomicLong(T0);
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(USER);
    reg.apply(profile(""));
    FeatureStore store = FeatureStore.builder(reg).clock(time::get).build();
    store.ingest("profile", EventBatch.builder(profile("").schema()).add(K1, T0 - HOUR, T0 - 50 * MIN, 1.0).build());
    time.set(T0 + 5 * HOUR);
    store.materialize("profile", 0, T0, null);
    OnlineRow row = store.onlineStore().read("profile", List.of(K1)).get(0);
    assertEquals(T0 - 50 * MIN, row.ingestedTime(), "ingest() ingests a row at its created time");
  }

  // ------------------------------------------------------------------------------------------------
  // (4) CachingOnlineStore: clear() does not fence a concurrent tile read

  /**
   * A tile read that fetched from the backing store just before a concurrent clear must not be cached
   * after it (the tier would serve erased tiles until they expire).
   */
  @Test
  void theCachingTierDoesNotCacheTilesReadJustBeforeAClear() {
    AtomicReference<Runnable> afterBackingRead = new AtomicReference<>();
    EmbeddedOnlineStore inner = new EmbeddedOnlineStore();
    OnlineStore backing = new ForwardingOnlineStore(inner) {
      @Override
      public List<WindowTiles> readTiles(String view, List<EntityKey> keys) {
        List<WindowTiles> out = inner.readTiles(view, keys);
        Runnable r = afterBackingRead.getAndSet(null);
        if (r != null) {
          r.run(); // another thread's clear() lands here
        }
        return out;
      }
    };
    CachingOnlineStore tier = new CachingOnlineStore(backing, 1_000, Duration.ofHours(1));
    WindowTiles t = WindowTiles.of(K1, "v", 0, new long[] {MIN}, new long[] {T0}, new long[] {T0, T0, T0},
        new double[] {1});
    tier.addTiles("txn", List.of(t), WindowTiles.Retention.ALL);
    afterBackingRead.set(() -> tier.clear("txn"));
    tier.readTiles("txn", List.of(K1)); // races with the clear
    assertNull(inner.readTiles("txn", List.of(K1)).get(0), "the backing store was cleared");
    assertNull(tier.readTiles("txn", List.of(K1)).get(0), "the tier still serves the cleared tiles");
  }

  /**
   * Issue 15: the Caffeine tier re-cached a row deleted by {@code clear} ({@code dropData}) when a miss
   * was in flight, and kept serving it. Rows now go through the same eviction gate as tiles.
   */
  @Test
  void theCachingTierDoesNotResurrectARowReadJustBeforeAClearOrErase() {
    AtomicReference<Runnable> afterBackingRead = new AtomicReference<>();
    EmbeddedOnlineStore inner = new EmbeddedOnlineStore();
    OnlineStore backing = new ForwardingOnlineStore(inner) {
      @Override
      public List<OnlineRow> read(String view, List<EntityKey> keys) {
        List<OnlineRow> out = inner.read(view, keys);
        Runnable r = afterBackingRead.getAndSet(null);
        if (r != null) {
          r.run(); // another thread's clear() or erase() lands here
        }
        return out;
      }
    };
    CachingOnlineStore tier = new CachingOnlineStore(backing, 1_000, Duration.ofHours(1));
    FeatureSchema schema = FeatureSchema.of(List.of(FeatureSpec.of("score", FeatureType.DOUBLE)));
    OnlineRow row = new OnlineRow(K1, FeatureVector.builder(schema).setDouble("score", 1).build(), T0, T0, T0, "v");
    tier.write("profile", List.of(row));
    afterBackingRead.set(() -> tier.clear("profile"));
    tier.read("profile", List.of(K1)); // races with the clear
    assertNull(tier.read("profile", List.of(K1)).get(0), "a cleared row is not served from the tier");
    tier.write("profile", List.of(row));
    afterBackingRead.set(() -> tier.erase("profile", K1));
    tier.read("profile", List.of(K1)); // races with the erasure
    assertNull(tier.read("profile", List.of(K1)).get(0), "an erased row is not served from the tier");
  }


}
