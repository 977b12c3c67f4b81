package org.sieveml.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.sieveml.core.EntityKey;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.MaterializationResult;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.RedisServer;
import org.sieveml.features.WindowTiles;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * Issue 16: materialization as a Spark job writes, partition by partition and through stores the tasks
 * open from serializable settings, exactly what the in-process materialization writes: read back from a
 * real Redis, every row (values, times, version) and every key's window tiles equal those of the
 * embedded online store after {@link FeatureStore#materialize}.
 */
class SparkMaterializeTest {

  @RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();

  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = TestSpark.session();
  }

  /** Counts the stores tasks open, and remembers which factory objects opened them. */
  static final AtomicInteger OPENED = new AtomicInteger();
  static final Set<Integer> OPENERS = ConcurrentHashMap.newKeySet();

  /** A factory that records the identity of the object a task calls (a copy, if tasks never touch the driver's). */
  record Recording(String uri, String prefix) implements OnlineStoreFactory {
    @Override
    public OnlineStore open() {
      OPENED.incrementAndGet();
      OPENERS.add(System.identityHashCode(this));
      return OnlineStoreFactory.redis(uri, prefix).open();
    }
  }

  /** Counts how often tasks build the registry. */
  static final AtomicInteger BUILT = new AtomicInteger();

  static FeatureRegistry countedRegistry() {
    BUILT.incrementAndGet();
    return TestSpark.registry();
  }

  @Test
  void sparkMaterializationWritesWhatTheInProcessOneWrites(@TempDir Path tmp) {
    Random rnd = new Random(17);
    SparkJoinPropertyTest.History h = new SparkJoinPropertyTest.History(rnd, 60, 2_000, 4_000);
    SparkFeatureStore.Builder builder = SparkJoinPropertyTest.exported(h, tmp, SparkMaterializeTest::countedRegistry);
    int before = BUILT.get(); // after the driver built its registry: what follows is the tasks'
    SparkFeatureStore lake = builder.partitions(4).build();

    long now = SparkJoinPropertyTest.T0 + 3 * TestSpark.DAY + 7 * TestSpark.HOUR;
    long from = SparkJoinPropertyTest.T0 + TestSpark.DAY;
    long to = now;
    EmbeddedOnlineStore expected = new EmbeddedOnlineStore();
    try (FeatureStore local = FeatureStore.builder(h.registry).offlineStore(h.offline).onlineStore(expected)
        .clock(() -> now).build()) {
      Recording factory = new Recording(REDIS.uri(), "spark");
      for (String view : List.of("profile", "txn")) {
        MaterializationResult want = local.materialize(view, from, to, null);
        MaterializationResult got = lake.materialize(view, from, to, now, factory);
        assertEquals(want.rowsWritten(), got.rowsWritten(), view + " rows written");
        assertTrue(got.rowsWritten() > 10, view + " wrote something: " + got);
      }
      assertTrue(OPENED.get() >= 4, "every partition's task opened its own store: " + OPENED.get());
      assertFalse(OPENERS.contains(System.identityHashCode(factory)), "tasks called copies, never the driver's object");
      assertTrue(BUILT.get() - before > 4, "tasks built the registry themselves: " + (BUILT.get() - before));

      List<EntityKey> keys = new ArrayList<>();
      for (long k = 0; k < 61; k++) {
        keys.add(EntityKey.of("user_id", k));
      }
      try (RedisOnlineStore redis = RedisOnlineStore.builder(REDIS.uri()).prefix("spark").build()) {
        List<OnlineRow> want = expected.read("profile", keys);
        List<OnlineRow> got = redis.read("profile", keys);
        int present = 0;
        for (int i = 0; i < keys.size(); i++) {
          assertEquals(want.get(i), got.get(i), "profile row of " + keys.get(i));
          present += want.get(i) == null ? 0 : 1;
        }
        assertTrue(present > 30, "rows were compared: " + present);
        List<WindowTiles> wantTiles = expected.readTiles("txn", keys);
        List<WindowTiles> gotTiles = redis.readTiles("txn", keys);
        int tiled = 0;
        for (int i = 0; i < keys.size(); i++) {
          assertEquals(wantTiles.get(i), gotTiles.get(i), "txn tiles of " + keys.get(i));
          tiled += wantTiles.get(i) == null ? 0 : 1;
        }
        assertTrue(tiled > 30, "tiles were compared: " + tiled);
      }
    }
  }
}
