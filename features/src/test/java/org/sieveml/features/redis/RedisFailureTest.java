package org.sieveml.features.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStoreUnavailableException;
import org.sieveml.features.RedisServer;

/** Two replicas, invalidation, a dead server, a restart, a stalled server, corrupted values. */
class RedisFailureTest {
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("x").build();
  RedisServer server;

  @BeforeEach
  void start() throws IOException {
    Assumptions.assumeTrue(RedisServer.available(), "redis-server is not installed (.ci/run installs it)");
    server = RedisServer.startNew();
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  static OnlineRow row(long id, long t, double x) {
    return new OnlineRow(EntityKey.of("user_id", id), FeatureVector.builder(SCHEMA).setDouble("x", x).build(), t, t, t, "v1");
  }

  static double x(RedisOnlineStore s, long id) {
    OnlineRow r = s.read("v", List.of(EntityKey.of("user_id", id))).get(0);
    return r == null ? Double.NaN : r.values().getDouble("x");
  }

  static void eventually(String what, BooleanSupplier condition, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException ignored) {
        // not yet
      }
      Thread.sleep(20);
    }
    throw new AssertionError(what + " did not happen within " + within);
  }

  /** A replica with a 5 s timeout, which a stall of a loaded machine does not reach. */
  RedisOnlineStore replica() {
    return replica(Duration.ofSeconds(5));
  }

  RedisOnlineStore replica(Duration timeout) {
    return RedisOnlineStore.builder(server.uri()).timeout(timeout).nearCache(1000, Duration.ofMinutes(10)).build();
  }

  @Test
  void replicasSeeEachOthersWritesAndPushInvalidationEvictsTheNearCache() throws Exception {
    try (RedisOnlineStore a = replica(); RedisOnlineStore b = replica()) {
      a.write("v", List.of(row(1, 10, 1.0)));
      assertEquals(1.0, x(b, 1));
      // a read that overlapped an invalidation push (here: the push of a's write) is not cached
      eventually("b caches the row", () -> x(b, 1) == 1.0 && b.cached("v", EntityKey.of("user_id", 1L)).isPresent(),
          Duration.ofSeconds(30));
      assertEquals(1.0, x(b, 1));
      assertTrue(b.nearCacheHitRate() > 0, "the second read was a near-cache hit");
      a.write("v", List.of(row(1, 20, 2.0)));
      // the near-cache TTL is 10 minutes: only the server's invalidation push can make b see 2.0
      eventually("b sees a's newer row", () -> x(b, 1) == 2.0, Duration.ofSeconds(30));
      // an older row from b never overwrites a's newer one
      assertEquals(0, b.write("v", List.of(row(1, 15, 9.0))));
      assertEquals(2.0, x(a, 1));
      // an absence is cached too and invalidated the same way
      assertTrue(Double.isNaN(x(a, 2)));
      b.write("v", List.of(row(2, 5, 5.0)));
      eventually("a sees b's new key", () -> x(a, 2) == 5.0, Duration.ofSeconds(30));
    }
  }

  @Test
  void deadServerGivesAClearErrorNeverAStaleValueAndTheStoreRecovers() throws Exception {
    try (RedisOnlineStore a = replica()) {
      a.write("v", List.of(row(1, 10, 1.0)));
      eventually("a caches the row", () -> x(a, 1) == 1.0 && a.cached("v", EntityKey.of("user_id", 1L)).isPresent(),
          Duration.ofSeconds(30));
      server.stop();
      eventually("reads fail once the connection is gone", () -> {
        try {
          a.read("v", List.of(EntityKey.of("user_id", 1L)));
          return false;
        } catch (OnlineStoreUnavailableException e) {
          return e.getMessage().contains("Redis at 127.0.0.1:");
        }
      }, Duration.ofSeconds(30));
      long t0 = System.nanoTime();
      OnlineStoreUnavailableException e = assertThrows(OnlineStoreUnavailableException.class,
          () -> a.write("v", List.of(row(1, 20, 2.0))));
      assertTrue((System.nanoTime() - t0) / 1_000_000 < 2_000, "fails fast while the server is down");
      assertTrue(e.getMessage().contains("write 1 rows of view 'v'"), e.getMessage());
      assertTrue(!a.nearCacheActive(), "no near-cache while disconnected");
      // the server comes back empty (no persistence): the old row must not be served from the cache
      server.start();
      eventually("writes succeed after the restart", () -> a.write("v", List.of(row(3, 1, 3.0))) == 1,
          Duration.ofSeconds(30));
      assertTrue(Double.isNaN(x(a, 1)), "the restarted server lost row 1; the near-cache must not resurrect it");
      assertEquals(3.0, x(a, 3));
      eventually("tracking is re-established", a::nearCacheActive, Duration.ofSeconds(30));
      assertEquals(1, a.write("v", List.of(row(1, 30, 4.0))), "scripts were reloaded after the restart");
      assertEquals(4.0, x(a, 1));
    }
  }

  @Test
  void aStalledServerTimesOut() throws Exception {
    RedisClient raw = RedisClient.create(server.uri());
    try (RedisOnlineStore a = replica(Duration.ofMillis(300));
        StatefulRedisConnection<String, String> admin = raw.connect()) {
      a.write("v", List.of(row(1, 10, 1.0)));
      a.invalidateNearCache();
      admin.sync().clientPause(5000);
      long t0 = System.nanoTime();
      OnlineStoreUnavailableException e = assertThrows(OnlineStoreUnavailableException.class, () -> x(a, 1));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      // gave up long before the 5 s pause ended; the margin absorbs a stall of the machine
      assertTrue(ms < 4000, "the read gave up after its 300 ms timeout, took " + ms + " ms: " + e.getMessage());
      eventually("works again once the server answers", () -> x(a, 1) == 1.0, Duration.ofSeconds(30));
    } finally {
      raw.shutdown();
    }
  }

  @Test
  void corruptedOrForeignValuesAreRefusedAndBadSettingsNamed() throws Exception {
    RedisClient raw = RedisClient.create(server.uri());
    try (RedisOnlineStore a = replica(); StatefulRedisConnection<String, String> admin = raw.connect()) {
      a.write("v", List.of(row(1, 10, 1.0)));
      String key = new String(a.redisKey("v", EntityKey.of("user_id", 1L)).getBytes(
          java.nio.charset.StandardCharsets.ISO_8859_1), java.nio.charset.StandardCharsets.UTF_8);
      admin.sync().set(key, "not a row");
      a.invalidateNearCache();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> x(a, 1));
      assertTrue(e.getMessage().contains("format"), e.getMessage());
      // a real row with one flipped byte: the checksum catches it
      a.write("v", List.of(row(2, 10, 2.0)));
      String key2 = new String(a.redisKey("v", EntityKey.of("user_id", 2L)).getBytes(
          java.nio.charset.StandardCharsets.ISO_8859_1), java.nio.charset.StandardCharsets.UTF_8);
      RedisClient rawBytes = RedisClient.create(server.uri());
      try (StatefulRedisConnection<byte[], byte[]> bin = rawBytes.connect(io.lettuce.core.codec.ByteArrayCodec.INSTANCE)) {
        byte[] k2 = key2.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] v = bin.sync().get(k2);
        v[v.length / 2] ^= 0x40;
        bin.sync().set(k2, v);
      } finally {
        rawBytes.shutdown();
      }
      a.invalidateNearCache();
      e = assertThrows(IllegalStateException.class, () -> x(a, 2));
      assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
    } finally {
      raw.shutdown();
    }
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(server.uri()).prefix("a:b"));
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(server.uri()).batchSize(0));
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(server.uri()).timeout(Duration.ZERO));
    server.stop();
    OnlineStoreUnavailableException e = assertThrows(OnlineStoreUnavailableException.class,
        () -> RedisOnlineStore.builder(server.uri()).timeout(Duration.ofMillis(300)).build());
    assertTrue(e.getMessage().contains("cannot connect to Redis at 127.0.0.1:"), e.getMessage());
  }
}
