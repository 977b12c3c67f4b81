package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.telemetry.InMemoryTelemetry;

/**
 * The online state model through a {@link FeatureStore}, the same for every {@link OnlineStore}: windows
 * and rows survive a restart, two replicas on one store serve the same values, materialization rebuilds
 * (after pushes, before pushes, twice), late rows are materialized incrementally and the mark survives a
 * restart, another definition version is never PRESENT, erasure removes rows and tiles, and bad input
 * changes nothing.
 */
abstract class FeatureStoreStateContract {

  static final long MIN = 60_000L;
  static final long HOUR = 60 * MIN;
  static final long DAY = 24 * HOUR;
  static final Entity CARD = Entity.builder("card").joinKey("card_id").build();

  @TempDir
  Path tmp;

  final AtomicLong now = new AtomicLong(500 * DAY);
  private final List<AutoCloseable> open = new ArrayList<>();

  /** Opens (or reopens after a restart) the online store kept under {@code dir}. */
  abstract OnlineStore openOnline(Path dir);

  /** A second client of the same state as {@code first} (another replica); may be {@code first} itself. */
  abstract OnlineStore replica(OnlineStore first, Path dir);

  @AfterEach
  void closeAll() throws Exception {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (RuntimeException e) {
        // already closed by a restart
      }
    }
  }

  static AggregationView txn(boolean withWeek) {
    AggregationView.Builder b = AggregationView.builder("txn").entity(CARD)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1));
    if (withWeek) {
      b.aggregate("amount", Aggregation.MAX, Duration.ofDays(7));
    }
    return b.build();
  }

  static FeatureView profile() {
    return FeatureView.builder("profile").entity(CARD).feature(FeatureSpec.of("limit", FeatureType.DOUBLE))
        .ttl(Duration.ofDays(30)).build();
  }

  static FeatureRegistry registry(boolean withWeek) {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(CARD);
    r.apply(txn(withWeek));
    r.apply(profile());
    r.apply(FeatureService.builder("fraud").features("txn").features("profile").build());
    return r;
  }

  FeatureStore store(FeatureRegistry r, OnlineStore online, OfflineStore offline) {
    return store(r, online, offline, new InMemoryTelemetry());
  }

  FeatureStore store(FeatureRegistry r, OnlineStore online, OfflineStore offline, InMemoryTelemetry t) {
    FeatureStore s = FeatureStore.builder(r).clock(now::get).onlineStore(online).offlineStore(offline).telemetry(t)
        .build();
    open.add(s);
    return s;
  }

  static EventBatch txns(long card, long... eventAndAmount) {
    EventBatch.Builder b = EventBatch.builder(txn(false).inputSchema());
    for (int i = 0; i < eventAndAmount.length; i += 2) {
      b.add(EntityKey.of("card_id", card), eventAndAmount[i], eventAndAmount[i], (double) eventAndAmount[i + 1]);
    }
    return b.build();
  }

  static EventBatch limit(long card, long event, double value) {
    return EventBatch.builder(profile().schema()).add(EntityKey.of("card_id", card), event, event, value).build();
  }

  static List<EntityKey> cards(long... ids) {
    List<EntityKey> out = new ArrayList<>();
    for (long id : ids) {
      out.add(EntityKey.of("card_id", id));
    }
    return out;
  }

  /** The point-in-time join at the clock, as one vector per key of the online read's schema. */
  static List<FeatureVector> pit(FeatureStore s, List<EntityKey> keys, FeatureService svc, OnlineFeatures like) {
    long[] ts = new long[keys.size()];
    java.util.Arrays.fill(ts, like.readTime());
    TrainingData td = s.getHistoricalFeatures(EntityRows.of(keys, ts, null), svc);
    List<FeatureVector> out = new ArrayList<>();
    for (int i = 0; i < keys.size(); i++) {
      out.add(td.frame().select(like.schema().names()).row(i));
    }
    return out;
  }

  @Test
  void windowsAndRowsSurviveARestart() {
    FeatureRegistry r = registry(true);
    FeatureService svc = r.featureService("fraud");
    long t = now.get();
    OnlineStore online = openOnline(tmp.resolve("online"));
    FeatureStore s = store(r, online, EmbeddedOfflineStore.open(tmp.resolve("offline")));
    s.push("txn", txns(1, t - 5 * MIN, 10, t - 2 * HOUR, 20, t - 3 * DAY, 40));
    s.push("profile", limit(1, t - DAY, 500));
    s.sync();
    OnlineFeatures before = s.getOnlineFeatures(cards(1, 2), svc);
    assertEquals(1L, before.vector(0).getLong("count_1h"));
    assertEquals(30.0, before.vector(0).getDouble("amount_sum_1d"));
    assertEquals(40.0, before.vector(0).getDouble("amount_max_7d"));
    s.close();
    FeatureStore again = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.open(tmp.resolve("offline")));
    OnlineFeatures after = again.getOnlineFeatures(cards(1, 2), svc);
    for (int i = 0; i < 2; i++) {
      assertEquals(before.vector(i), after.vector(i), "key " + i + " after a restart, without materializing");
      for (String f : before.schema().names()) {
        assertEquals(before.status(i, f), after.status(i, f), f);
      }
    }
    assertEquals(FeatureStatus.PRESENT, after.status(0, "count_1h"));
    assertEquals(pit(again, cards(1, 2), svc, after), after.vectors());
  }

  @Test
  void twoReplicasServeTheSameWindows() {
    FeatureRegistry r = registry(true);
    FeatureService svc = r.featureService("fraud");
    OnlineStore first = openOnline(tmp.resolve("online"));
    FeatureStore a = store(r, first, EmbeddedOfflineStore.inMemory());
    FeatureStore b = store(r, replica(first, tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    FeatureStore reference = store(r, new EmbeddedOnlineStore(), EmbeddedOfflineStore.inMemory());
    long t = now.get();
    for (int i = 0; i < 20; i++) {
      EventBatch e = txns(i % 3, t - i * 7 * MIN, i * 3L, t - i * 5 * HOUR, i);
      (i % 2 == 0 ? a : b).push("txn", e);
      reference.push("txn", e);
    }
    now.addAndGet(10 * MIN);
    OnlineFeatures fromA = a.getOnlineFeatures(cards(0, 1, 2, 3), svc);
    OnlineFeatures fromB = b.getOnlineFeatures(cards(0, 1, 2, 3), svc);
    assertEquals(fromA.vectors(), fromB.vectors());
    assertEquals(pit(reference, cards(0, 1, 2, 3), svc, fromA), fromA.vectors(), "= the join over both replicas' events");
    assertTrue(fromA.vector(0).getLong("count_1h") > 0);
  }

  @Test
  void materializationRebuildsInsteadOfAdding() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    long t = now.get();
    s.push("txn", txns(7, t - 10 * MIN, 1, t - 20 * MIN, 2, t - 30 * MIN, 4));
    assertEquals(3L, s.getOnlineFeatures(cards(7), svc).vector(0).getLong("count_1h"));
    s.materialize("txn", t - DAY, t + 1, null);
    OnlineFeatures once = s.getOnlineFeatures(cards(7), svc);
    assertEquals(3L, once.vector(0).getLong("count_1h"), "materialize after push: no double counting");
    s.materialize("txn", t - DAY, t + 1, null);
    assertEquals(once.vectors(), s.getOnlineFeatures(cards(7), svc).vectors(), "a second run changes nothing");
    s.push("txn", txns(7, t - MIN, 8));
    OnlineFeatures pushed = s.getOnlineFeatures(cards(7), svc);
    assertEquals(4L, pushed.vector(0).getLong("count_1h"));
    assertEquals(15.0, pushed.vector(0).getDouble("amount_sum_1d"));
    assertEquals(pit(s, cards(7), svc, pushed), pushed.vectors(), "push after materialize");
    // history ingested for the range replaces what pushes built, keeping newer events
    s.ingest("txn", txns(7, t - 50 * MIN, 16));
    s.materialize("txn", t - HOUR, t - 40 * MIN, null);
    OnlineFeatures rebuilt = s.getOnlineFeatures(cards(7), svc);
    assertEquals(5L, rebuilt.vector(0).getLong("count_1h"));
    assertEquals(pit(s, cards(7), svc, rebuilt), rebuilt.vectors());
  }

  @Test
  void lateRowsAreMaterializedIncrementallyAndTheMarkSurvivesARestart() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    long t = now.get();
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.open(tmp.resolve("offline")));
    s.ingest("txn", txns(3, t - 30 * MIN, 5, t - 3 * HOUR, 7));
    s.ingest("profile", limit(3, t - DAY, 100));
    assertEquals(2, s.materializeIncremental("txn", Long.MAX_VALUE, null).rowsScanned());
    s.materializeIncremental("profile", Long.MAX_VALUE, null);
    // late rows: event times before everything materialized so far
    s.ingest("txn", txns(3, t - 40 * MIN, 11));
    s.ingest("profile", limit(3, t - 2 * DAY, 1));
    assertEquals(1, s.materializeIncremental("txn", Long.MAX_VALUE, null).rowsScanned(), "only the new row");
    s.materializeIncremental("profile", Long.MAX_VALUE, null);
    OnlineFeatures on = s.getOnlineFeatures(cards(3), svc);
    assertEquals(2L, on.vector(0).getLong("count_1h"));
    assertEquals(23.0, on.vector(0).getDouble("amount_sum_1d"));
    assertEquals(100.0, on.vector(0).getDouble("limit"), "the late, older row does not replace the newer one");
    assertEquals(pit(s, cards(3), svc, on), on.vectors());
    s.close();
    FeatureStore again = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.open(tmp.resolve("offline")));
    assertEquals(0, again.materializeIncremental("txn", Long.MAX_VALUE, null).rowsScanned(),
        "the high-water mark is durable: nothing to redo");
    assertEquals(on.vectors(), again.getOnlineFeatures(cards(3), svc).vectors());
  }

  @Test
  void anotherDefinitionVersionIsNeverPresent() {
    FeatureRegistry v1 = registry(false);
    FeatureRegistry v2 = registry(true);
    OnlineStore first = openOnline(tmp.resolve("online"));
    InMemoryTelemetry t2 = new InMemoryTelemetry();
    FeatureStore old = store(v1, first, EmbeddedOfflineStore.inMemory());
    FeatureStore neu = store(v2, replica(first, tmp.resolve("online")), EmbeddedOfflineStore.inMemory(), t2);
    long t = now.get();
    old.push("txn", txns(9, t - MIN, 5));
    old.push("profile", limit(9, t - MIN, 50));
    OnlineFeatures seenByNew = neu.getOnlineFeatures(cards(9), v2.featureService("fraud"));
    assertEquals(FeatureStatus.VERSION_MISMATCH, seenByNew.status(0, "count_1h"));
    assertEquals(0L, seenByNew.vector(0).getLong("count_1h"), "old tiles are not read");
    assertEquals(FeatureStatus.PRESENT, seenByNew.status(0, "limit"), "the plain view did not change");
    assertTrue(t2.snapshot().counter(FeatureStore.VERSION_MISMATCH_COUNTER) > 0, "counted in telemetry");
    neu.push("txn", txns(9, t - 2 * MIN, 6));
    assertEquals(FeatureStatus.VERSION_MISMATCH,
        neu.getOnlineFeatures(cards(9), v2.featureService("fraud")).status(0, "count_1h"),
        "a push holds only its own events: it does not make the old version's tiles live");
    neu.materialize("txn", t - DAY, t + 1, null);
    OnlineFeatures mine = neu.getOnlineFeatures(cards(9), v2.featureService("fraud"));
    assertEquals(FeatureStatus.PRESENT, mine.status(0, "count_1h"));
    assertEquals(1L, mine.vector(0).getLong("count_1h"), "rebuilt from the new replica's log");
    assertEquals(6.0, mine.vector(0).getDouble("amount_sum_1d"));
    assertEquals(FeatureStatus.VERSION_MISMATCH,
        old.getOnlineFeatures(cards(9), v1.featureService("fraud")).status(0, "amount_sum_1d"),
        "the old replica does not serve the new version's tiles either");
    old.push("txn", txns(9, t - 3 * MIN, 7));
    assertEquals(mine.vectors(), neu.getOnlineFeatures(cards(9), v2.featureService("fraud")).vectors(),
        "the old replica's push does not touch the new version's tiles");
  }

  @Test
  void erasingAnEntityRemovesItsRowsAndTiles() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    long t = now.get();
    s.push("txn", txns(4, t - MIN, 5));
    s.push("txn", txns(5, t - MIN, 6));
    s.push("profile", limit(4, t - MIN, 50));
    s.erase("card", EntityKey.of("card_id", 4L));
    OnlineFeatures on = s.getOnlineFeatures(cards(4, 5), svc);
    assertEquals(FeatureStatus.NOT_FOUND, on.status(0, "count_1h"));
    assertEquals(FeatureStatus.NOT_FOUND, on.status(0, "limit"));
    assertEquals(FeatureStatus.PRESENT, on.status(1, "count_1h"), "other entities stay");
    assertEquals(pit(s, cards(4, 5), svc, on), on.vectors());
  }

  @Test
  void aggregationStatusesFollowTtlAndTheLongestWindow() {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(CARD);
    r.apply(AggregationView.builder("txn").entity(CARD).input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1)).aggregate("amount", Aggregation.SUM, Duration.ofHours(6))
        .ttl(Duration.ofHours(2)).build());
    r.apply(FeatureService.builder("w").features("txn").build());
    FeatureService svc = r.featureService("w");
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    long t = now.get();
    s.push("txn", txns(1, t - 10 * MIN, 5));
    assertEquals(FeatureStatus.PRESENT, s.getOnlineFeatures(cards(1), svc).status(0, "count_1h"));
    now.set(t - 10 * MIN + 2 * HOUR); // exactly the TTL after the event
    OnlineFeatures expired = s.getOnlineFeatures(cards(1), svc);
    assertEquals(FeatureStatus.EXPIRED, expired.status(0, "count_1h"));
    assertEquals(5.0, expired.vector(0).getDouble("amount_sum_6h"), "expired windows still read their values");
    now.set(t + 7 * HOUR); // beyond the longest window: no event can count any more
    OnlineFeatures gone = s.getOnlineFeatures(cards(1), svc);
    assertEquals(FeatureStatus.NOT_FOUND, gone.status(0, "amount_sum_6h"));
    assertEquals(pit(s, cards(1), svc, gone), gone.vectors());
  }

  @Test
  void badInputChangesNothing() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    long t = now.get();
    s.push("txn", txns(1, t - MIN, 5));
    OnlineFeatures before = s.getOnlineFeatures(cards(1), svc);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> s.push("txn", txns(1, t - MIN, 1, t + 2 * MIN, 2)));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains(Long.toString(t + 2 * MIN))
        && e.getMessage().contains(Long.toString(t)), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> s.push("txn", EventBatch.builder(txn(false).inputSchema())
        .add(EntityKey.of("card_id", 1L), t, t, 1.0).add(EntityKey.of("user_id", 1L), t, t, 1.0).build()));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("card_id"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> s.push("txn", limit(1, t, 3)));
    assertTrue(e.getMessage().contains("schema"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> s.push("txn", EventBatch.builder(txn(false)
        .inputSchema()).add(EntityKey.of("card_id", 1L), t, t, Double.POSITIVE_INFINITY).build()));
    assertTrue(e.getMessage().contains("amount") && e.getMessage().contains("Infinity"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> s.push("nope", txns(1, t, 1)));
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
    assertEquals(before.vectors(), s.getOnlineFeatures(cards(1), svc).vectors(), "the online state is unchanged");
    TrainingData td = s.getHistoricalFeatures(EntityRows.of(cards(1), new long[] {t}, null), svc);
    assertEquals(1L, td.frame().getLong(0, td.frame().schema().indexOf("count_1h"), -1),
        "the offline log is unchanged");
    assertNotEquals(FeatureStatus.PRESENT, s.getOnlineFeatures(cards(2), svc).status(0, "count_1h"));
  }

  // ---------------------------------------------------------------- streams, exactly once

  /** Events 0..n-1 of a seeded stream: (card, event time, amount), one per offset. */
  static long[][] stream(int n, long t, long seed) {
    java.util.Random rnd = new java.util.Random(seed);
    long[][] out = new long[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new long[] {rnd.nextInt(5), t - rnd.nextInt(36) * 20 * MIN - rnd.nextInt(1000), rnd.nextInt(100)};
    }
    return out;
  }

  static EventBatch txnRows(long[][] ev, int from, int to) {
    EventBatch.Builder b = EventBatch.builder(txn(false).inputSchema());
    for (int i = from; i < to; i++) {
      b.add(EntityKey.of("card_id", ev[i][0]), ev[i][1], ev[i][1], (double) ev[i][2]);
    }
    return b.build();
  }

  static long[] offsets(int from, int to) {
    long[] o = new long[to - from];
    for (int i = from; i < to; i++) {
      o[i - from] = i;
    }
    return o;
  }

  @Test
  void aStreamIsAppliedExactlyOnceAcrossRedeliveryAndRestart() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    long t = now.get();
    long[][] ev = stream(300, t, 7);
    FeatureStore reference = store(r, new EmbeddedOnlineStore(), EmbeddedOfflineStore.inMemory());
    reference.push("txn", txnRows(ev, 0, 300));
    OnlineStore online = openOnline(tmp.resolve("online"));
    EmbeddedOfflineStore offline = EmbeddedOfflineStore.open(tmp.resolve("offline"));
    FeatureStore s = store(r, online, offline);
    assertEquals(Long.MIN_VALUE, s.streamPosition("txn", "txns/0"));
    assertTrue(s.pushFrom(StreamBatch.builder().add("txn", "txns/0", txnRows(ev, 0, 100), offsets(0, 100),
        Long.MIN_VALUE, 100).build()));
    assertEquals(100, s.streamPosition("txn", "txns/0"));
    // a crash after the offline append of 100..179 and before the online commit: the log holds them
    assertEquals(80, offline.appendFrom(txn(false), txnRows(ev, 100, 180), t, "txns/0", offsets(100, 180)));
    assertEquals(180, offline.sourcePosition(txn(false), "txns/0"));
    // the consumer resumes at the online position (100): 100..179 arrive again, with 180..199
    assertTrue(s.pushFrom(StreamBatch.builder().add("txn", "txns/0", txnRows(ev, 100, 200), offsets(100, 200), 100,
        200).build()));
    assertEquals(200, offline.sourcePosition(txn(false), "txns/0"));
    // a delivery from before the stored position (a resumed consumer that read an old position) is refused
    assertFalse(s.pushFrom(StreamBatch.builder().add("txn", "txns/0", txnRows(ev, 150, 250), offsets(150, 250), 150,
        250).build()), "fenced: the position is 200, not 150");
    assertEquals(200, s.streamPosition("txn", "txns/0"));
    s.close();
    // restart: resume from the stored position
    FeatureStore again = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.open(tmp.resolve("offline")));
    long from = again.streamPosition("txn", "txns/0");
    assertEquals(200, from);
    assertTrue(again.pushFrom(StreamBatch.builder().add("txn", "txns/0", txnRows(ev, 200, 300), offsets(200, 300),
        from, 300).build()));
    List<EntityKey> keys = cards(0, 1, 2, 3, 4, 5);
    OnlineFeatures got = again.getOnlineFeatures(keys, svc);
    OnlineFeatures want = reference.getOnlineFeatures(keys, svc);
    assertEquals(want.vectors(), got.vectors(), "every event counted once online");
    assertTrue(got.vector(0).getLong("count_1h") + got.vector(1).getLong("count_1h") > 0);
    long[] ts = new long[keys.size() * 3];
    List<EntityKey> rowsKeys = new ArrayList<>();
    for (int i = 0; i < ts.length; i++) {
      rowsKeys.add(keys.get(i % keys.size()));
      ts[i] = t - (i / keys.size()) * 5 * HOUR;
    }
    EntityRows er = EntityRows.of(rowsKeys, ts, null);
    org.sieveml.core.FeatureFrame want2 = reference.getHistoricalFeatures(er, svc, Visibility.EVENT_TIME_MAY_LEAK)
        .frame();
    org.sieveml.core.FeatureFrame got2 = again.getHistoricalFeatures(er, svc, Visibility.EVENT_TIME_MAY_LEAK).frame();
    assertEquals(want2.rowCount(), got2.rowCount());
    for (int i = 0; i < want2.rowCount(); i++) {
      assertEquals(want2.row(i), got2.row(i), "every event stored once offline: row " + i);
    }
    assertTrue(got2.row(0).getLong("count_1h") + got2.row(1).getLong("count_1h") > 0);
  }

  @Test
  void aFencedWriterChangesNothingOnlineAndPositionsArePerViewAndSource() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    long t = now.get();
    long[][] ev = stream(40, t, 11);
    OnlineStore first = openOnline(tmp.resolve("online"));
    FeatureStore a = store(r, first, EmbeddedOfflineStore.inMemory());
    FeatureStore b = store(r, replica(first, tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    long readByA = a.streamPosition("txn", "txns/1");
    // b took the partition over and applied 0..19
    assertTrue(b.pushFrom(StreamBatch.builder().add("txn", "txns/1", txnRows(ev, 0, 20), offsets(0, 20),
        b.streamPosition("txn", "txns/1"), 20).build()));
    OnlineFeatures before = b.getOnlineFeatures(cards(0, 1, 2, 3, 4), svc);
    // a resumes with the position it read before b took over: refused, nothing applied
    assertFalse(a.pushFrom(StreamBatch.builder().add("txn", "txns/1", txnRows(ev, 0, 30), offsets(0, 30), readByA, 30)
        .build()));
    assertEquals(before.vectors(), a.getOnlineFeatures(cards(0, 1, 2, 3, 4), svc).vectors());
    assertEquals(20, a.streamPosition("txn", "txns/1"));
    assertEquals(Long.MIN_VALUE, a.streamPosition("txn", "txns/0"), "another source has its own position");
    assertEquals(Long.MIN_VALUE, a.streamPosition("profile", "txns/1"), "another view has its own position");
    // an empty part still moves the position (records that held no events for the view)
    assertTrue(a.pushFrom(StreamBatch.builder().add("txn", "txns/1", txnRows(ev, 0, 0), new long[0], 20, 25)
        .build()));
    assertEquals(25, b.streamPosition("txn", "txns/1"));
  }

  @Test
  void aBadStreamBatchChangesNothing() {
    FeatureRegistry r = registry(false);
    long t = now.get();
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), EmbeddedOfflineStore.inMemory());
    EventBatch future = txns(1, t + DAY, 5);
    StreamBatch bad = StreamBatch.builder()
        .add("txn", "txns/0", txns(1, t - MIN, 5), new long[] {0}, Long.MIN_VALUE, 1)
        .add("txn", "txns/1", future, new long[] {0}, Long.MIN_VALUE, 1).build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.pushFrom(bad));
    assertTrue(e.getMessage().contains("future tolerance"), e.getMessage());
    assertEquals(Long.MIN_VALUE, s.streamPosition("txn", "txns/0"), "the good part was not applied either");
    assertEquals(0L, s.offlineStore().nextSequence(txn(false)));
    assertThrows(IllegalArgumentException.class, () -> StreamBatch.builder().add("txn", "s", txns(1, t, 1, t + 1, 2),
        new long[] {5, 5}, Long.MIN_VALUE, 6), "offsets must increase");
    assertThrows(IllegalArgumentException.class, () -> StreamBatch.builder().add("txn", "s", txns(1, t, 1),
        new long[] {5}, Long.MIN_VALUE, 5), "next must be above the last offset");
    IllegalArgumentException k = assertThrows(IllegalArgumentException.class, () -> s.checkEvent("txn",
        EntityKey.of("user_id", 1L), t, t, FeatureVector.builder(txn(false).inputSchema()).setDouble("amount", 1)
            .build()));
    assertTrue(k.getMessage().contains("card_id"), k.getMessage());
  }

  @Test
  void aRebuildWaitsUntilTheStreamEventsInTheLogAreAppliedOnline() {
    FeatureRegistry r = registry(false);
    FeatureService svc = r.featureService("fraud");
    long t = now.get();
    long[][] ev = stream(120, t, 13);
    FeatureStore reference = store(r, new EmbeddedOnlineStore(), EmbeddedOfflineStore.inMemory());
    reference.push("txn", txnRows(ev, 0, 120));
    EmbeddedOfflineStore offline = EmbeddedOfflineStore.inMemory();
    FeatureStore s = store(r, openOnline(tmp.resolve("online")), offline);
    assertTrue(s.pushFrom(StreamBatch.builder().add("txn", "txns/0", txnRows(ev, 0, 60), offsets(0, 60),
        Long.MIN_VALUE, 60).build()));
    // a consumer that appended 60..119 offline and stopped before its online commit
    offline.appendFrom(txn(false), txnRows(ev, 60, 120), t, "txns/0", offsets(60, 120));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.materialize("txn", t - 8 * DAY,
        t + 1, null));
    assertTrue(e.getMessage().contains("txns/0"), e.getMessage());
    // it resumes from the online position: the log skips what it holds, the tiles get every event once
    assertTrue(s.pushFrom(StreamBatch.builder().add("txn", "txns/0", txnRows(ev, 60, 120), offsets(60, 120), 60, 120)
        .build()));
    s.materialize("txn", t - 8 * DAY, t + 1, null);
    assertEquals(reference.getOnlineFeatures(cards(0, 1, 2, 3, 4), svc).vectors(),
        s.getOnlineFeatures(cards(0, 1, 2, 3, 4), svc).vectors());
  }
}
