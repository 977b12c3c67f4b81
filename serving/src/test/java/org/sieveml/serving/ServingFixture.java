package org.sieveml.serving;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OfflineStore;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.ViewDefinition;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;

/**
 * Seeded users and items with features in a store, and a GBDT trained on them: the world of the serving
 * tests (and of the crash test's child JVM, which rebuilds the same definitions).
 */
final class ServingFixture {
  static final long DAY = 86_400_000L;
  /** The score time: day 100. */
  static final long T = 100 * DAY;

  static final Entity USER = Entity.builder("user").joinKey("user_id").build();
  static final Entity ITEM = Entity.builder("item").joinKey("item_id").build();
  static final FeatureView USER_STATS = FeatureView.builder("user_stats").entity(USER)
      .feature(FeatureSpec.of("activity", FeatureType.DOUBLE))
      .feature(FeatureSpec.of("sessions", FeatureType.LONG), 0L)
      .feature(FeatureSpec.of("plan", FeatureType.STRING))
      .ttl(Duration.ofDays(5)).build();
  static final FeatureView ITEM_STATS = FeatureView.builder("item_stats").entity(ITEM)
      .feature(FeatureSpec.of("popularity", FeatureType.DOUBLE))
      .ttl(Duration.ofDays(30)).build();
  static final FeatureService USER_MODEL = FeatureService.builder("user_model")
      .features("user_stats", "activity", "sessions", "plan").build();
  static final FeatureService PAIR_MODEL = FeatureService.builder("pair_model")
      .features("user_stats", "activity", "sessions", "plan").features("item_stats", "popularity").build();
  static final String[] PLANS = {"free", "plus", "pro"};

  private ServingFixture() {}

  static FeatureRegistry registry() {
    FeatureRegistry r = new FeatureRegistry();
    r.apply(USER);
    r.apply(ITEM);
    r.apply(USER_STATS);
    r.apply(ITEM_STATS);
    r.apply(USER_MODEL);
    r.apply(PAIR_MODEL);
    return r;
  }

  /** A store on files under {@code dir} (reopened by a later call), or in memory when dir is null. */
  static FeatureStore store(Path dir, LongSupplier clock) {
    OfflineStore off = dir == null ? EmbeddedOfflineStore.inMemory() : EmbeddedOfflineStore.open(dir.resolve("offline"));
    OnlineStore on = dir == null ? new EmbeddedOnlineStore() : EmbeddedOnlineStore.open(dir.resolve("online"));
    return FeatureStore.builder(registry()).offlineStore(off).onlineStore(on).clock(clock).build();
  }

  static FeatureStore store(Path dir, LongSupplier clock, OnlineStore online) {
    OfflineStore off = EmbeddedOfflineStore.open(dir.resolve("offline"));
    return FeatureStore.builder(registry()).offlineStore(off).onlineStore(online).clock(clock).build();
  }

  static EntityKey user(long id) {
    return USER.key(id);
  }

  static List<EntityKey> users(int n) {
    List<EntityKey> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(user(i));
    }
    return out;
  }

  /**
   * History for users {@code 0..users-1} (every 7th has none) and items {@code 0..items-1}: rows before T,
   * rows after T (which must not count), rows dated before T but created after it (late: not visible at T),
   * and rows older than the TTL at T.
   */
  static void ingest(FeatureStore store, int users, int items, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    EventBatch.Builder b = EventBatch.builder(USER_STATS.schema());
    for (int u = 0; u < users; u++) {
      if (u % 7 == 3) {
        continue;
      }
      int rows = 1 + r.nextInt(4);
      for (int k = 0; k < rows; k++) {
        long event = T - r.nextLong(12 * DAY) + (r.nextInt(5) == 0 ? 3 * DAY : 0);
        long created = event + (r.nextInt(6) == 0 ? 2 * DAY : r.nextLong(60_000));
        Double activity = r.nextInt(10) == 0 ? null : r.nextDouble() * 10;
        b.add(user(u), event, created, activity, (long) r.nextInt(50), PLANS[r.nextInt(PLANS.length)]);
      }
    }
    store.ingest("user_stats", b.build());
    EventBatch.Builder ib = EventBatch.builder(ITEM_STATS.schema());
    for (int i = 0; i < items; i++) {
      long event = T - r.nextLong(20 * DAY);
      ib.add(ITEM.key((long) i), event, event, r.nextDouble());
    }
    store.ingest("item_stats", ib.build());
  }

  /** A small seeded GBDT on the user features, trained on the point-in-time join at days 90..99. */
  static GbdtRanker userModel(FeatureStore store, int users) {
    List<EntityKey> keys = new ArrayList<>();
    long[] ts = new long[users * 5];
    for (int d = 0; d < 5; d++) {
      for (int u = 0; u < users; u++) {
        keys.add(user(u));
        ts[d * users + u] = T - (d + 1) * 2 * DAY;
      }
    }
    FeatureFrame f = store.getHistoricalFeatures(EntityRows.of(keys, ts, null), USER_MODEL).frame()
        .select(List.of("activity", "sessions", "plan"));
    double[] y = new double[f.rowCount()];
    for (int i = 0; i < y.length; i++) {
      double a = f.isPresent(i, 0) ? f.asDouble(i, 0) : 5;
      y[i] = a + 0.1 * f.asDouble(i, 1) > 6 ? 1 : 0;
    }
    FeatureEncoder enc = FeatureEncoder.builder(f.schema()).hashed("plan", 8).build();
    return GbdtRanker.trainer(enc).name("churn").rounds(12).maxDepth(4).threads(1).seed(7).train(f, y, null);
  }

  /** A GBDT on (user, item) pairs. */
  static GbdtRanker pairModel(FeatureStore store, int users, int items) {
    List<EntityKey> keys = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(11);
    int n = users * 4;
    long[] ts = new long[n];
    for (int i = 0; i < n; i++) {
      keys.add(pair(r.nextInt(users), r.nextInt(items)));
      ts[i] = T - (1 + r.nextInt(8)) * DAY;
    }
    FeatureFrame f = store.getHistoricalFeatures(EntityRows.of(keys, ts, null), PAIR_MODEL).frame()
        .select(List.of("activity", "sessions", "plan", "popularity"));
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double a = f.isPresent(i, 0) ? f.asDouble(i, 0) : 5;
      double p = f.isPresent(i, 3) ? f.asDouble(i, 3) : 0.5;
      y[i] = a * p > 2.5 ? 1 : 0;
    }
    FeatureEncoder enc = FeatureEncoder.builder(f.schema()).hashed("plan", 8).build();
    return GbdtRanker.trainer(enc).name("recs").rounds(12).maxDepth(4).threads(1).seed(5).train(f, y, null);
  }

  static EntityKey pair(long user, long item) {
    return EntityKey.builder().put("user_id", user).put("item_id", item).build();
  }

  /** The pair of a user and a candidate whose id is the item's number. */
  static EntityKey pairOf(EntityKey user, Candidate c) {
    return pair((Long) user.value("user_id"), Long.parseLong(c.itemId()));
  }

  /** Proposes {@code limit} distinct items per user, seeded by the user id. */
  static CandidateGenerator candidates(int items) {
    return CandidateGenerator.of("seeded", (req, limit) -> {
      long u = (Long) req.entity().value("user_id");
      SplittableRandom r = new SplittableRandom(1000 + u);
      List<Candidate> out = new ArrayList<>();
      java.util.Set<Integer> seen = new java.util.HashSet<>();
      while (out.size() < Math.min(limit, items)) {
        int i = r.nextInt(items);
        if (seen.add(i)) {
          out.add(Candidate.of(Integer.toString(i), 1.0 / (out.size() + 1), "seeded"));
        }
      }
      return out;
    });
  }

  /** Per key, the offline rows of a view ({@code scan} of its whole log). */
  static Map<EntityKey, Integer> offlineRows(FeatureStore store, ViewDefinition view) {
    Map<EntityKey, Integer> out = new HashMap<>();
    store.offlineStore().scan(view, 0, EventBatch.MAX_TIME, -1, chunk -> {
      for (int i = 0; i < chunk.size(); i++) {
        out.merge(chunk.key(i), 1, Integer::sum);
      }
    });
    return out;
  }
}
