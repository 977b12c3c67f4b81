package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;

class FeatureStoreTest {

  static final Entity USER = Entity.builder("user").joinKey("user_id").build();
  static final long DAY = Duration.ofDays(1).toMillis();

  static FeatureView profile(Duration ttl) {
    return FeatureView.builder("profile").entity(USER)
        .feature(FeatureSpec.of("score", FeatureType.DOUBLE), -1.0)
        .feature(FeatureSpec.of("visits", FeatureType.LONG))
        .feature(FeatureSpec.of("country", FeatureType.STRING))
        .ttl(ttl).build();
  }

  static final class World {
    final AtomicLong now;
    final FeatureRegistry registry;
    final FeatureStore store;
    final FeatureService service;
    final java.nio.file.Path dir;

    World(Duration ttl) {
      this(ttl, null);
    }

    World(Duration ttl, java.nio.file.Path dir) {
      now = new AtomicLong(100 * DAY);
      registry = new FeatureRegistry();
      registry.apply(USER);
      registry.apply(profile(ttl));
      service = FeatureService.builder("svc").features("profile").build();
      registry.apply(service);
      this.dir = dir;
      store = open();
    }

    private World(World before) {
      now = before.now;
      registry = before.registry;
      service = before.service;
      dir = before.dir;
      store = open();
    }

    private FeatureStore open() {
      // the reference test pushes rows dated after the clock on purpose (late and early rows)
      FeatureStore.Builder b = FeatureStore.builder(registry).clock(now::get).futureTolerance(Duration.ofDays(30));
      if (dir != null) {
        b.offlineStore(EmbeddedOfflineStore.builder(dir).maxSegmentRows(1_000).build());
      }
      return b.build();
    }

    /** Closes the store and opens a new one on the same directory, as after a restart. */
    World restart() {
      store.close();
      return new World(this);
    }
  }

  /** One random feature row. */
  record Row(String user, long event, long created, long ingested, int order, double score, long visits) {}

  /** The deliberately simple reference: scan every row. */
  static Row reference(List<Row> rows, String user, long t, long ttl, boolean cut) {
    Row best = null;
    for (Row r : rows) {
      if (!r.user.equals(user) || r.event > t || r.event <= t - ttl || (cut && r.ingested > t)) {
        continue;
      }
      if (best == null || r.event > best.event || (r.event == best.event && r.created > best.created)
          || (r.event == best.event && r.created == best.created && r.order > best.order)) {
        best = r;
      }
    }
    return best;
  }

  @Test
  void historicalFeaturesArePointInTimeCorrectAgainstAReference(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
    Random rnd = new Random(7);
    long checks = 0;
    for (int trial = 0; trial < 24; trial++) {
      long ttlDays = 1 + rnd.nextInt(5);
      World w = new World(Duration.ofDays(ttlDays), trial % 3 == 0 ? null : tmp.resolve("t" + trial));
      List<Row> rows = new ArrayList<>();
      int batches = 1 + rnd.nextInt(14); // reads between batches seal segments; more than 8 start merges
      for (int b = 0; b < batches; b++) {
        EventBatch.Builder eb = EventBatch.builder(w.registry.view("profile").schema());
        int n = rnd.nextInt(60);
        boolean push = rnd.nextBoolean();
        // a push is ingested at the store's clock: late rows (event long before the clock) included
        long clock = (88 + rnd.nextInt(16)) * DAY + rnd.nextInt(3) * 1000L;
        List<Row> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          String user = "u" + rnd.nextInt(6);
          long event = (90 + rnd.nextInt(10)) * DAY + (rnd.nextBoolean() ? 0 : rnd.nextInt(3) * 1000L);
          long created = event + rnd.nextInt(3) * 1000L;
          Row r = new Row(user, event, created, push ? clock : created, rows.size() + i, rnd.nextGaussian(),
              rnd.nextInt(100));
          batch.add(r);
          eb.add(EntityKey.of("user_id", user), event, created, r.score, r.visits, user.toUpperCase());
        }
        if (push) {
          w.now.set(clock);
          w.store.push("profile", eb.build());
        } else {
          w.store.ingest("profile", eb.build());
        }
        rows.addAll(batch);
        if (w.dir != null && rnd.nextInt(4) == 0) {
          w = w.restart();
        }
        if (rnd.nextBoolean() || b == batches - 1) {
          checks += checkAgainstReference(w, rows, ttlDays, rnd, "trial " + trial + " batch " + b);
        }
      }
      w.store.close();
    }
    assertTrue(checks > 1_000, "the reference was consulted " + checks + " times");
  }

  private static long checkAgainstReference(World w, List<Row> rows, long ttlDays, Random rnd, String where) {
    List<EntityKey> keys = new ArrayList<>();
    int q = 1 + rnd.nextInt(80);
    long[] ts = new long[q];
    for (int i = 0; i < q; i++) {
      keys.add(EntityKey.of("user_id", "u" + rnd.nextInt(8))); // u6, u7 never ingested
      // exact event, created and ingestion times and TTL edges are the interesting cases
      Row pick = rows.isEmpty() ? null : rows.get(rnd.nextInt(rows.size()));
      long base = pick == null ? 95 * DAY : rnd.nextBoolean() ? pick.event : pick.ingested;
      ts[i] = base + (rnd.nextInt(3) - 1) * 1000L + (rnd.nextInt(4) == 0 ? ttlDays * DAY : 0);
      if (i > 0 && rnd.nextInt(5) == 0) { // duplicate entity rows
        keys.set(i, keys.get(i - 1));
        ts[i] = ts[i - 1];
      }
    }
    for (Visibility vis : Visibility.values()) {
      boolean cut = vis == Visibility.AS_SERVED;
      TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(keys, ts, null), w.service, vis);
      FeatureFrame f = td.frame();
      assertEquals(q, f.rowCount(), "one output row per entity row");
      long misses = 0;
      for (int i = 0; i < q; i++) {
        Row expect = reference(rows, (String) keys.get(i).value("user_id"), ts[i], ttlDays * DAY, cut);
        int score = f.schema().indexOf("score");
        assertEquals(ts[i], f.getLong(i, f.schema().indexOf(FeatureStore.TIMESTAMP_COLUMN), -1));
        if (expect == null) {
          misses++;
          assertEquals(-1.0, f.asDouble(i, score), where + " row " + i + " " + vis + ": default for no match");
          assertFalse(f.isPresent(i, f.schema().indexOf("visits")), "missing without a default");
        } else {
          assertEquals(expect.score, f.asDouble(i, score), where + " row " + i + " " + vis);
          assertEquals(expect.visits, f.getLong(i, f.schema().indexOf("visits"), -1));
          assertEquals(expect.user.toUpperCase(), f.getString(i, f.schema().indexOf("country")));
        }
      }
      assertEquals(misses, td.unmatched("score"));
    }
    return 2L * q;
  }

  @Test
  void onlineReadsEqualTheJoinAtNowWithTtlStatuses() {
    World w = new World(Duration.ofDays(2));
    EventBatch.Builder eb = EventBatch.builder(w.registry.view("profile").schema());
    eb.add(EntityKey.of("user_id", "a"), 97 * DAY, 97 * DAY, 1.0, 10L, "DE");
    eb.add(EntityKey.of("user_id", "a"), 99 * DAY, 99 * DAY, 2.0, 20L, "FR");
    eb.add(EntityKey.of("user_id", "a"), 99 * DAY, 99 * DAY + 5, 3.0, 30L, "IT"); // same event, created later
    eb.add(EntityKey.of("user_id", "b"), 97 * DAY, 97 * DAY, 5.0, null, "US");
    w.store.ingest("profile", eb.build());
    MaterializationResult m = w.store.materializeIncremental("profile", 100 * DAY, null);
    assertEquals(4, m.rowsScanned());
    List<Long> progress = new ArrayList<>();
    assertEquals(0, w.store.materializeIncremental("profile", 100 * DAY, progress::add).rowsScanned(),
        "incremental materialization remembers where it ended");

    List<EntityKey> keys = List.of(EntityKey.of("user_id", "a"), EntityKey.of("user_id", "b"),
        EntityKey.of("user_id", "zz"));
    OnlineFeatures of = w.store.getOnlineFeatures(keys, w.service);
    assertEquals(3.0, of.vector(0).getDouble("score"));
    assertEquals("IT", of.vector(0).getString("country"));
    assertEquals(FeatureStatus.PRESENT, of.status(0, "score"));
    assertEquals(99 * DAY, of.eventTime(0, 0));
    // b's row is 3 days old with a 2-day TTL: expired, default served
    assertEquals(FeatureStatus.EXPIRED, of.status(1, "score"));
    assertEquals(-1.0, of.vector(1).getDouble("score"));
    assertEquals(FeatureStatus.NOT_FOUND, of.status(2, "visits"));
    assertFalse(of.vector(2).isPresent("visits"));

    // value for value equal to the join at now
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(keys, new long[] {w.now.get(), w.now.get(),
        w.now.get()}, null), w.service);
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(td.frame().select(of.schema().names()).row(i), of.vector(i), "key " + keys.get(i));
    }
    ServedVsOffline skew = w.store.servedVsOffline(of, w.service);
    assertEquals(keys, skew.keys());
    assertEquals(w.now.get(), skew.readTime());
    assertEquals(of.schema().names(), skew.offline().schema().names());
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(of.vector(i), skew.served().row(i), "served row of key " + keys.get(i));
      assertEquals(skew.served().row(i), skew.offline().row(i), "offline replay of key " + keys.get(i));
    }

    // time passes: a expires exactly at event + ttl
    w.now.set(99 * DAY + 2 * DAY - 1);
    assertEquals(FeatureStatus.PRESENT, w.store.getOnlineFeatures(keys, w.service).status(0, 0));
    w.now.set(99 * DAY + 2 * DAY);
    assertEquals(FeatureStatus.EXPIRED, w.store.getOnlineFeatures(keys, w.service).status(0, 0));
  }

  @Test
  void pushKeepsTheNewerRowAndFeedsTheOfflineLog() {
    World w = new World(Duration.ZERO);
    EntityKey a = EntityKey.of("user_id", "a");
    w.store.push("profile", EventBatch.builder(w.registry.view("profile").schema())
        .add(a, 50 * DAY, 50 * DAY, 5.0, 1L, "X").build());
    w.store.push("profile", EventBatch.builder(w.registry.view("profile").schema())
        .add(a, 40 * DAY, 60 * DAY, 4.0, 2L, "Y").build()); // older event arriving later
    OnlineFeatures of = w.store.getOnlineFeatures(List.of(a), w.service);
    assertEquals(5.0, of.vector(0).getDouble("score"), "an older event never overwrites a newer one");
    EntityRows at = EntityRows.of(List.of(a, a), new long[] {45 * DAY, 55 * DAY}, null);
    TrainingData td = w.store.getHistoricalFeatures(at, w.service, Visibility.EVENT_TIME_MAY_LEAK);
    assertEquals(4.0, td.frame().asDouble(0, td.frame().schema().indexOf("score")));
    assertEquals(5.0, td.frame().asDouble(1, td.frame().schema().indexOf("score")));
    // both were pushed at the store's clock (day 100): serving had neither on days 45 and 55
    TrainingData served = w.store.getHistoricalFeatures(at, w.service);
    assertEquals(-1.0, served.frame().asDouble(0, served.frame().schema().indexOf("score")));
    assertEquals(2, served.unmatched("score"));
  }

  @Test
  void badInputNamesTheProblemAndChangesNothing() {
    World w = new World(Duration.ZERO);
    EventBatch good = EventBatch.builder(w.registry.view("profile").schema())
        .add(EntityKey.of("user_id", "a"), DAY, DAY, 1.0, 1L, "X").build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> EventBatch.builder(w.registry.view("profile").schema())
            .add(EntityKey.of("user_id", "a"), DAY, DAY, "oops", 1L, "X"));
    assertTrue(e.getMessage().contains("row 0") && e.getMessage().contains("score"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> EventBatch.builder(w.registry.view("profile").schema())
        .add(EntityKey.of("user_id", "a"), -5, DAY, 1.0, 1L, "X"));
    assertTrue(e.getMessage().contains("eventTime") && e.getMessage().contains("-5"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> w.store.ingest("nope", good));
    assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    EventBatch wrongKey = EventBatch.builder(w.registry.view("profile").schema())
        .add(EntityKey.of("user_id", "ok"), DAY, DAY, 1.0, 1L, "X")
        .add(EntityKey.of("card_id", "c"), DAY, DAY, 1.0, 1L, "X").build();
    e = assertThrows(IllegalArgumentException.class, () -> w.store.ingest("profile", wrongKey));
    assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("user_id"), e.getMessage());
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "ok")),
        new long[] {2 * DAY}, null), w.service);
    assertEquals(1, td.unmatched("score"), "the refused batch left nothing behind");
    assertThrows(IllegalArgumentException.class, () -> w.store.ingest("profile",
        EventBatch.builder(FeatureSchemaFixtures.other()).add(EntityKey.of("user_id", "a"), DAY, DAY, 1.0).build()));
    assertThrows(IllegalArgumentException.class, () -> w.store.getOnlineFeatures(java.util.Arrays.asList(
        (EntityKey) null), w.service));
  }

  @Test
  void replacedDefinitionsAreNeverServedSilently() {
    World w = new World(Duration.ZERO);
    EntityKey a = EntityKey.of("user_id", "a");
    w.store.push("profile", EventBatch.builder(w.registry.view("profile").schema())
        .add(a, 99 * DAY, 99 * DAY, 1.0, 1L, "X").build());
    assertEquals(FeatureStatus.PRESENT, w.store.getOnlineFeatures(List.of(a), w.service).status(0, "score"));
    // a new TTL keeps the event schema: the log is shared, the online row is of the old version
    w.registry.replace(profile(Duration.ofDays(9)));
    OnlineFeatures stale = w.store.getOnlineFeatures(List.of(a), w.service);
    assertEquals(FeatureStatus.VERSION_MISMATCH, stale.status(0, "score"));
    assertEquals(-1.0, stale.vector(0).getDouble("score"), "the default, not the old row's value");
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(List.of(a), new long[] {100 * DAY}, null),
        w.service);
    assertEquals(1.0, td.frame().asDouble(0, td.frame().schema().indexOf("score")), "offline history is kept");
    w.store.materialize("profile", 0, 100 * DAY, null);
    assertEquals(FeatureStatus.PRESENT, w.store.getOnlineFeatures(List.of(a), w.service).status(0, "score"),
        "materialized under the new version");
    // another event schema: the offline log refuses it until the data is dropped
    w.registry.replace(FeatureView.builder("profile").entity(USER).feature(FeatureSpec.of("score", FeatureType.DOUBLE))
        .ttl(Duration.ofDays(9)).build());
    FeatureService scoreOnly = FeatureService.builder("svc").features("profile", "score").build();
    w.registry.replace(scoreOnly);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.store.getHistoricalFeatures(
        EntityRows.of(List.of(a), new long[] {2 * DAY}, null), scoreOnly));
    assertTrue(e.getMessage().contains("dropData"), e.getMessage());
    assertEquals(FeatureStatus.VERSION_MISMATCH, w.store.getOnlineFeatures(List.of(a), scoreOnly).status(0, "score"));
    w.store.dropData("profile");
    td = w.store.getHistoricalFeatures(EntityRows.of(List.of(a), new long[] {2 * DAY}, null), scoreOnly);
    assertEquals(1, td.unmatched("score"));
    assertEquals(FeatureStatus.NOT_FOUND, w.store.getOnlineFeatures(List.of(a), scoreOnly).status(0, "score"));
    assertThrows(IllegalStateException.class, () -> w.store.getOnlineFeatures(List.of(a), w.service),
        "the old service object is stale");
  }

  @Test
  void onDemandViewsRunTheSameOfflineAndOnline() {
    World w = new World(Duration.ZERO);
    OnDemandFeatureView ratio = OnDemandFeatureView.builder("ratio")
        .request(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .input("profile", "score")
        .output(FeatureSpec.of("amount_x_score", FeatureType.DOUBLE))
        .transform((in, out) -> {
          if (in.isPresent("amount") && in.isPresent("profile:score")) {
            out.setDouble("amount_x_score", in.getDouble("amount") * in.getDouble("profile:score"));
          }
        }, "v1")
        .build();
    w.registry.apply(ratio);
    FeatureService svc = FeatureService.builder("with_ratio").features("profile", "visits").features("ratio").build();
    w.registry.apply(svc);
    EntityKey a = EntityKey.of("user_id", "a");
    w.store.push("profile", EventBatch.builder(w.registry.view("profile").schema())
        .add(a, 99 * DAY, 99 * DAY, 1.5, 7L, "X").build());
    FeatureSpec amount = FeatureSpec.of("amount", FeatureType.DOUBLE);
    FeatureVector req = FeatureVector.builder(org.sieveml.core.FeatureSchema.of(amount)).setDouble("amount", 4).build();
    OnlineFeatures of = w.store.getOnlineFeatures(List.of(a), svc, List.of(req));
    assertEquals(6.0, of.vector(0).getDouble("amount_x_score"));
    FeatureFrame extra = FeatureFrame.builder(1).addDouble("amount", new double[] {4}).build();
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(List.of(a), new long[] {w.now.get()}, extra), svc);
    assertEquals(of.vector(0), td.frame().select(of.schema().names()).row(0));
    assertEquals(4.0, td.frame().asDouble(0, td.frame().schema().indexOf("amount")), "extra columns carried");
    assertThrows(IllegalArgumentException.class, () -> w.store.getOnlineFeatures(List.of(a), svc));
  }

  @Test
  void longKeysAndKeyObjectsNameTheSameEntities() {
    World w = new World(Duration.ZERO);
    FeatureFrame values = FeatureFrame.builder(2).addDouble("score", new double[] {1, 2})
        .addLong("visits", new long[] {3, 4}, null).addString("country", new String[] {"A", "B"}).build();
    w.store.ingest("profile", EventBatch.ofLongKeys(new long[] {11, 12}, new long[] {DAY, DAY},
        new long[] {DAY, DAY}, values));
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.ofLongKeys(new long[] {12, 11, 13},
        new long[] {2 * DAY, 2 * DAY, 2 * DAY}, null), w.service);
    assertEquals(2.0, td.frame().asDouble(0, td.frame().schema().indexOf("score")));
    assertEquals(1.0, td.frame().asDouble(1, td.frame().schema().indexOf("score")));
    assertEquals(1, td.unmatched("score"));
    w.store.materialize("profile", 0, 3 * DAY, null);
    assertEquals(2.0, w.store.getOnlineFeatures(List.of(EntityKey.of("user_id", 12L)), w.service).vector(0)
        .getDouble("score"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> w.store.ingest("profile",
        EventBatch.builder(w.registry.view("profile").schema()).add(EntityKey.of("user_id", "s"), DAY, DAY, 1.0, 1L,
            "X").build()));
    assertTrue(e.getMessage().contains("integral"), e.getMessage());
  }

  @Test
  void fullFeatureNamesNameTheTrainingColumns() {
    World w = new World(Duration.ZERO);
    FeatureService full = FeatureService.builder("full").features("profile", "score").fullFeatureNames(true).build();
    w.registry.apply(full);
    w.store.ingest("profile", EventBatch.builder(w.registry.view("profile").schema())
        .add(EntityKey.of("user_id", "a"), DAY, DAY, 2.5, 1L, "X").build());
    TrainingData td = w.store.getHistoricalFeatures(EntityRows.of(List.of(EntityKey.of("user_id", "a")),
        new long[] {2 * DAY}, null), full);
    assertEquals(List.of(FeatureStore.TIMESTAMP_COLUMN, "profile:score"), td.frame().schema().names());
    assertEquals(2.5, td.frame().asDouble(0, 1));
    w.store.materialize("profile", 0, 3 * DAY, null);
    assertEquals(2.5, w.store.getOnlineFeatures(List.of(EntityKey.of("user_id", "a")), full).vector(0)
        .getDouble("profile:score"));
  }
}
