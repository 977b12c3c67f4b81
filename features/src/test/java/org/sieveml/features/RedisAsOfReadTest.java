package org.sieveml.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * As-of reads on {@link RedisOnlineStore} against a real {@code redis-server}: the replay of
 * {@link AsOfReadTest} (logged reads while pushes, materializations and rebuilds continue, replayed as
 * of their times: identical vectors, statuses and event times), across restarts of the store (the
 * history lives in Redis), and erasure of the history.
 */
class RedisAsOfReadTest {
  @RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();
  static int prefixes;

  static OnlineStore redis(String prefix) {
    return RedisOnlineStore.builder(REDIS.uri()).prefix(prefix).build();
  }

  @Test
  void replayOnRedisAcrossRestartsGivesWhatWasServed(@TempDir Path tmp) {
    int replayed = 0;
    int restarts = 0;
    for (int trial = 0; trial < 2; trial++) {
      String prefix = "asof" + (prefixes++);
      Path dir = tmp.resolve("t" + trial);
      try (AsOfReadTest.World w = new AsOfReadTest.World(1_000 * AsOfReadTest.DAY, () -> redis(prefix),
          () -> EmbeddedOfflineStore.builder(dir.resolve("offline")).build())) {
        final AsOfReadTest.World world = w;
        replayed += AsOfReadTest.replayStream(w, 120 + trial, world::restart);
        restarts += w.restarts;
      }
    }
    assertTrue(replayed > 100 && restarts > 5, replayed + " reads replayed, " + restarts + " restarts");
  }

  @Test
  void eraseRemovesTheHistoryOnRedisAndHostileTimesAreRefused() {
    String prefix = "asof" + (prefixes++);
    java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(1_000 * AsOfReadTest.DAY);
    FeatureRegistry reg = OnlineOfflineAgreementTest.registry();
    long started = now.get();
    FeatureStore store = FeatureStore.builder(reg).clock(now::get).onlineStore(redis(prefix))
        .historyHorizon(AsOfReadTest.HORIZON).build();
    FeatureService all = reg.featureService("all");
    List<FeatureVector> req = List.of(FeatureVector.builder(AsOfReadTest.REQUEST).setDouble("boost", 1.0).build());
    EntityKey u = EntityKey.of("user_id", 1L);
    EntityKey other = EntityKey.of("user_id", 2L);
    FeatureSchema txn = ((AggregationView) reg.view("txn")).inputSchema();
    for (int i = 0; i < 3; i++) {
      now.addAndGet(AsOfReadTest.MIN);
      store.push("profile", EventBatch.builder(reg.view("profile").schema())
          .add(u, now.get(), now.get(), (double) i, (long) i).add(other, now.get(), now.get(), (double) i, 1L).build());
      store.push("txn", EventBatch.builder(txn).add(u, now.get(), now.get(), 10.0).add(other, now.get(), now.get(), 3.0)
          .build());
    }
    long before = now.get();
    OnlineFeatures served = store.getOnlineFeatures(List.of(u, other), all, req);
    now.addAndGet(AsOfReadTest.MIN);
    OnlineFeatures earlier = store.getOnlineFeatures(List.of(u, other), all, req, before - AsOfReadTest.MIN);
    assertEquals(1.0, earlier.vector(0).getDouble("score"), "as of the second push");
    AsOfReadTest.assertSame(served, store.getOnlineFeatures(List.of(u, other), all, req, before));
    RedisClient client = RedisClient.create(REDIS.uri());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      long historyKeys = c.sync().keys(prefix + ":*:h").size();
      assertEquals(4, historyKeys, "a history set per key and view: " + c.sync().keys(prefix + ":*"));
      store.erase("user", u);
      assertEquals(2, c.sync().keys(prefix + ":*:h").size(), "the erased key's history sets are gone");
    } finally {
      client.shutdown();
    }
    OnlineFeatures past = store.getOnlineFeatures(List.of(u, other), all, req, before);
    for (String f : List.of("score", "amount_sum_1h", "combo")) {
      assertEquals(FeatureStatus.NOT_FOUND, past.status(0, f), f + " of the erased key as of before the erasure");
    }
    assertEquals(served.vector(1), past.vector(1), "other keys keep their history");
    IllegalArgumentException early = assertThrows(IllegalArgumentException.class,
        () -> store.getOnlineFeatures(List.of(u), all, req, started - 1));
    assertTrue(early.getMessage().contains("asOf=" + (started - 1))
        && early.getMessage().contains("oldest time available is " + started), early.getMessage());
    IllegalArgumentException future = assertThrows(IllegalArgumentException.class,
        () -> store.getOnlineFeatures(List.of(u), all, req, now.get() + 1));
    assertTrue(future.getMessage().contains("asOf=" + (now.get() + 1)), future.getMessage());
    // a second replica (or a restart) on the same Redis shares the history and where it starts
    FeatureStore replica = FeatureStore.builder(reg).clock(now::get).onlineStore(redis(prefix))
        .historyHorizon(Duration.ofHours(48)).build();
    assertEquals(served.vector(1), replica.getOnlineFeatures(List.of(u, other), all, req, before).vector(1));
    replica.close();
    store.close();
  }
}
