package org.sieveml.features.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.OnlineStoreUnavailableException;
import org.sieveml.features.RedisServer;
import org.sieveml.features.WindowTiles;

/**
 * {@link RedisOnlineStore} on a real three-node Redis Cluster started locally ({@code redis-server
 * --cluster-enabled yes} on three ports, {@code redis-cli --cluster create}): rows, tiles, marks,
 * erasure and clear across keys spread over every node.
 */
class RedisClusterTest {
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("x").addString("s").build();
  static RedisProcesses processes;
  static int[] ports;
  static int prefixes;

  @BeforeAll
  static void startCluster() throws IOException {
    Assumptions.assumeTrue(RedisServer.available() && RedisProcesses.cliAvailable(),
        "redis-server or redis-cli is not installed (.ci/run installs them): cluster tests skipped");
    processes = new RedisProcesses();
    ports = processes.startCluster();
  }

  @AfterAll
  static void stopCluster() {
    if (processes != null) {
      processes.close();
    }
  }

  static RedisOnlineStore open(String prefix) {
    // batches of 7: one call's keys span several slots and several calls per slot group
    return RedisOnlineStore.cluster("redis://127.0.0.1:" + ports[0]).prefix(prefix).batchSize(7)
        .timeout(Duration.ofSeconds(2)).build();
  }

  static OnlineRow row(EntityKey k, long t, double x) {
    return new OnlineRow(k, FeatureVector.builder(SCHEMA).setDouble("x", x).setString("s", "k" + k).build(), t, t, t,
        "v1");
  }

  static List<EntityKey> keys(int n) {
    List<EntityKey> keys = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      keys.add(i % 5 == 0 ? EntityKey.of("card", "c:{" + i + "}") : EntityKey.of("card", i));
    }
    return keys;
  }

  static long dbsize(int port) throws IOException {
    return Long.parseLong(RedisProcesses.run(List.of("redis-cli", "-p", Integer.toString(port), "dbsize")).trim());
  }

  @Test
  void rowsAreWrittenAndReadAcrossEveryNode() throws IOException {
    String prefix = "rows" + (prefixes++);
    try (RedisOnlineStore a = open(prefix); RedisOnlineStore b = open(prefix)) {
      assertTrue(a.isCluster());
      assertFalse(a.nearCacheActive(), "no near-cache on a cluster");
      List<EntityKey> keys = keys(300);
      List<OnlineRow> rows = new ArrayList<>();
      Set<Integer> slots = new HashSet<>();
      for (int i = 0; i < keys.size(); i++) {
        rows.add(row(keys.get(i), 100, i));
        slots.add(SlotHash.getSlot(a.redisKey("v", keys.get(i)).getBytes(StandardCharsets.ISO_8859_1)));
      }
      assertTrue(slots.size() > 200, "keys spread over many slots: " + slots.size());
      assertEquals(300, a.write("v", rows));
      for (int p : ports) {
        assertTrue(dbsize(p) > 50, "node " + p + " holds a share of the rows: " + dbsize(p));
      }
      List<OnlineRow> got = b.read("v", keys);
      for (int i = 0; i < keys.size(); i++) {
        assertEquals(rows.get(i), got.get(i), "key " + keys.get(i));
      }
      // newest wins, per key, across replicas, whatever the version
      List<OnlineRow> older = new ArrayList<>();
      for (int i = 0; i < keys.size(); i++) {
        older.add(row(keys.get(i), i % 2 == 0 ? 99 : 101, -i));
      }
      assertEquals(150, b.write("v", older));
      assertEquals(0, b.write("v", List.of(new OnlineRow(keys.get(0), rows.get(0).values(), 1, 1, 1, "v2"))));
      assertEquals(1, b.write("v", List.of(new OnlineRow(keys.get(0), rows.get(0).values(), 1L << 40, 1, 1, "v2"))));
      got = a.read("v", keys);
      assertEquals("v2", got.get(0).version());
      for (int i = 1; i < keys.size(); i++) {
        assertEquals(i % 2 == 0 ? (double) i : (double) -i, got.get(i).values().getDouble("x"), "key " + keys.get(i));
      }
      a.clear("v");
      for (OnlineRow r : b.read("v", keys)) {
        assertNull(r, "clear scanned every node");
      }
    }
  }

  @Test
  void tilesMatchTheEmbeddedStoreAcrossSlots() {
    try (RedisOnlineStore store = open("tiles" + (prefixes++))) {
      TileFixtures.randomOperations(store, new EmbeddedOnlineStore(), "agg", keys(40), 77, 150);
    }
  }

  @Test
  void marksEraseAndClearWorkOnACluster() {
    String prefix = "misc" + (prefixes++);
    try (RedisOnlineStore a = open(prefix); RedisOnlineStore b = open(prefix)) {
      for (int m = 0; m < 20; m++) {
        assertEquals(Long.MIN_VALUE, a.readMark("mark" + m));
        a.advanceMark("mark" + m, m * 10L);
        b.advanceMark("mark" + m, m * 10L - 5);
      }
      for (int m = 0; m < 20; m++) {
        assertEquals(m * 10L, b.readMark("mark" + m));
      }
      List<EntityKey> keys = keys(60);
      List<OnlineRow> rows = new ArrayList<>();
      List<WindowTiles> tiles = new ArrayList<>();
      for (EntityKey k : keys) {
        rows.add(row(k, 10, 1));
        tiles.add(WindowTiles.of(k, "v1", 0, new long[] {10}, new long[] {0}, new long[] {1, 2, 3}, new double[] {1}));
      }
      a.write("agg", rows);
      a.write("other", rows);
      a.putTiles("agg", tiles);
      a.addTiles("agg", tiles, WindowTiles.Retention.ALL);
      assertEquals(2.0, b.readTiles("agg", keys).get(7).stat(0, 0), "put, then add: count 1 + 1");
      for (int i = 0; i < keys.size(); i += 3) {
        b.erase("agg", keys.get(i));
      }
      List<OnlineRow> gotRows = a.read("agg", keys);
      List<WindowTiles> gotTiles = a.readTiles("agg", keys);
      List<OnlineRow> otherRows = a.read("other", keys);
      for (int i = 0; i < keys.size(); i++) {
        boolean erased = i % 3 == 0;
        assertEquals(erased, gotRows.get(i) == null, "row of " + keys.get(i));
        assertEquals(erased, gotTiles.get(i) == null, "tiles of " + keys.get(i));
        assertNotNull(otherRows.get(i), "another view keeps " + keys.get(i));
      }
      b.clear("agg");
      for (WindowTiles t : a.readTiles("agg", keys)) {
        assertNull(t);
      }
      assertEquals(keys.size(), a.read("other", keys).stream().filter(r -> r != null).count());
      assertEquals(190, a.readMark("mark19"), "clear leaves marks alone");
    }
  }

  @Test
  void credentialsReachEveryNodeOfAProtectedCluster() throws IOException {
    try (RedisProcesses protectedCluster = new RedisProcesses()) {
      int[] p = protectedCluster.startCluster("secret");
      String seed = "redis://127.0.0.1:" + p[1];
      OnlineStoreUnavailableException e = assertThrows(OnlineStoreUnavailableException.class,
          () -> RedisOnlineStore.cluster(seed).timeout(Duration.ofSeconds(2)).build());
      assertTrue(e.getMessage().contains("cannot connect to Redis cluster at 127.0.0.1:" + p[1]), e.getMessage());
      assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
      try (RedisOnlineStore s = RedisOnlineStore.cluster(seed).password("secret").timeout(Duration.ofSeconds(2))
          .build()) {
        List<EntityKey> keys = keys(100);
        List<OnlineRow> rows = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
          rows.add(row(keys.get(i), 5, i));
        }
        assertEquals(100, s.write("v", rows), "rows on all three nodes");
        assertEquals(rows, s.read("v", keys));
        s.advanceMark("m", 1);
        assertEquals(1, s.readMark("m"));
      }
    }
  }

  @Test
  void aNearCacheIsRefusedOnACluster() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RedisOnlineStore.cluster("redis://127.0.0.1:" + ports[0]).nearCache(10, Duration.ofSeconds(1)).build());
    assertTrue(e.getMessage().contains("near-cache works on a single server only"), e.getMessage());
  }
}
