package org.sieveml.features.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.RedisServer;
import org.sieveml.features.WindowTiles;

/**
 * Window tiles, marks, erasure, versioned rows and the old row format on a real redis-server, compared
 * with {@link EmbeddedOnlineStore} fed the same operations.
 */
class RedisTilesTest {
  static final FeatureSchema SCHEMA = FeatureSchema.builder().addDouble("x").build();
  @org.junit.jupiter.api.extension.RegisterExtension
  static final RedisServer.PerClass REDIS = new RedisServer.PerClass();
  static int prefixes;
  RedisOnlineStore store;
  EmbeddedOnlineStore reference;
  RedisClient raw;
  StatefulRedisConnection<byte[], byte[]> admin;



  @BeforeEach
  void open() {
    store = RedisOnlineStore.builder(REDIS.uri()).prefix("tiles" + (prefixes++)).batchSize(4).build();
    reference = new EmbeddedOnlineStore();
    raw = RedisClient.create(REDIS.uri());
    admin = raw.connect(ByteArrayCodec.INSTANCE);
  }

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
      admin.close();
      raw.shutdown();
    }
  }

  static List<EntityKey> keys() {
    List<EntityKey> keys = new ArrayList<>();
    for (long i = 0; i < 14; i++) {
      keys.add(EntityKey.of("card", i));
    }
    keys.addAll(List.of(EntityKey.of("card", "a:b}{c"), EntityKey.of("card", "ünï|=%"), EntityKey.of("card", " "),
        EntityKey.of(Map.of("card", 1L, "shop", "x"))));
    return keys;
  }

  @Test
  void randomTileOperationsMatchTheEmbeddedStoreBitForBit() {
    // batches of 4: deltas of one call span several script calls
    TileFixtures.randomOperations(store, reference, "agg", keys(), 14, 400);
  }

  @Test
  void mergeFollowsTheRuleExactly() {
    EntityKey k = EntityKey.of("card", 1L);
    WindowTiles a = WindowTiles.of(k, "v1", 1, new long[] {10, 10, 100}, new long[] {0, 10, 0},
        new long[] {5, 6, 7, 15, 15, 15, 9, 9, 9},
        new double[] {1, 1, 0.1, 0.1, 0.1, 2, 0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 3, 1, 0.1, 0.0,
            0.0});
    WindowTiles b = WindowTiles.of(k, "v1", 1, new long[] {10, 100}, new long[] {10, 0},
        new long[] {12, 20, 1, Long.MAX_VALUE, 1, 2},
        new double[] {1, 1, 0.2, -0.0, -0.0, 1, 1, 0.2, -0.0, -0.0});
    for (WindowTiles.Retention r : List.of(WindowTiles.Retention.ALL,
        WindowTiles.Retention.of(new long[] {10}, new long[] {10}))) {
      store.clear("agg");
      reference.clear("agg");
      store.addTiles("agg", List.of(a), WindowTiles.Retention.ALL);
      reference.addTiles("agg", List.of(a), WindowTiles.Retention.ALL);
      store.addTiles("agg", List.of(b), r);
      reference.addTiles("agg", List.of(b), r);
      WindowTiles want = reference.readTiles("agg", List.of(k)).get(0);
      WindowTiles got = store.readTiles("agg", List.of(k)).get(0);
      assertEquals(want, got, TileFixtures.detail(want) + " vs " + TileFixtures.detail(got));
      // 0.1 + 0.2 rounds; min(0.0, -0.0) is -0.0 and max(0.0, -0.0) is 0.0, as in Java
      int last = got.size() - 1;
      assertEquals(0.1 + 0.2, got.stat(last, 2));
      assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits(got.stat(last, 3)));
      assertEquals(Double.doubleToRawLongBits(0.0), Double.doubleToRawLongBits(got.stat(last, 4)));
      assertEquals(Long.MAX_VALUE, got.time(last, 0));
    }
    // a delta of another version leaves the tiles as they are, a put replaces them, and a delta wholly
    // dropped by the retention leaves no key
    WindowTiles c = WindowTiles.of(k, "v2", 1, new long[] {10}, new long[] {0}, new long[] {1, 1, 1},
        new double[] {1, 0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
    WindowTiles before = store.readTiles("agg", List.of(k)).get(0);
    store.addTiles("agg", List.of(c), WindowTiles.Retention.ALL);
    assertEquals(before, store.readTiles("agg", List.of(k)).get(0));
    store.putTiles("agg", List.of(c));
    assertEquals(c, store.readTiles("agg", List.of(k)).get(0));
    store.putTiles("agg", List.of(b));
    store.addTiles("agg", List.of(b), WindowTiles.Retention.of(new long[] {10, 100}, new long[] {1000, 1000}));
    assertNull(store.readTiles("agg", List.of(k)).get(0));
    assertEquals(0, admin.sync().exists(key(store.tileKey("agg", k))), "a key without tiles is deleted");
  }

  static byte[] key(String latin1) {
    return latin1.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void tileKeysExpireWhenTheirLastTileWouldBeDroppedPlusGrace() {
    EntityKey k = EntityKey.of("card", 2L);
    WindowTiles t = WindowTiles.of(k, "v1", 0, new long[] {10, 100}, new long[] {50, 0}, new long[] {55, 55, 55, 60,
        60, 60}, new double[] {1, 1});
    // tile (10, 50) is dropped once keepFrom(10) passes 50: 51 ms after keepFrom 0; (100, 0) after 1001 ms
    store.addTiles("agg", List.of(t), WindowTiles.Retention.of(new long[] {10, 100}, new long[] {0, -1000}));
    long pttl = admin.sync().pttl(key(store.tileKey("agg", k)));
    long want = 1001 + 3_600_000;
    assertTrue(pttl <= want && pttl > want - 5_000, "PTTL " + pttl + ", expected about " + want);
    // a tile length the retention does not bound keeps the key forever
    store.addTiles("agg", List.of(t), WindowTiles.Retention.of(new long[] {10}, new long[] {0}));
    assertEquals(-1, admin.sync().pttl(key(store.tileKey("agg", k))));
    store.addTiles("agg", List.of(t), WindowTiles.Retention.ALL);
    assertEquals(-1, admin.sync().pttl(key(store.tileKey("agg", k))));
    // putTiles uses the last retention seen for the view
    store.addTiles("agg", List.of(t), WindowTiles.Retention.of(new long[] {10, 100}, new long[] {40, 0}));
    store.putTiles("agg", List.of(t));
    pttl = admin.sync().pttl(key(store.tileKey("agg", k)));
    want = 11 + 3_600_000;
    assertTrue(pttl <= want && pttl > want - 5_000, "PTTL after put " + pttl + ", expected about " + want);
    // a short grace really expires the key
    try (RedisOnlineStore quick = RedisOnlineStore.builder(REDIS.uri()).prefix("quick" + (prefixes++))
        .tileExpiryGrace(Duration.ofMillis(200)).build()) {
      quick.addTiles("agg", List.of(t), WindowTiles.Retention.of(new long[] {10, 100}, new long[] {50, 0}));
      // PX 201 was set (at most 201 ms left), unless a stall let the key expire already (-2); never -1
      long quickPttl = admin.sync().pttl(key(quick.tileKey("agg", k)));
      assertTrue(quickPttl == -2 || (quickPttl >= 0 && quickPttl <= 201),
          "PTTL " + quickPttl + ", expected 0..201 or -2");
      sleep(600);
      assertNull(quick.readTiles("agg", List.of(k)).get(0), "expired 1 + 200 ms after the write");
    }
    try (RedisOnlineStore never = RedisOnlineStore.builder(REDIS.uri()).prefix("never" + (prefixes++))
        .noTileExpiry().build()) {
      never.addTiles("agg", List.of(t), WindowTiles.Retention.of(new long[] {10, 100}, new long[] {50, 0}));
      assertEquals(-1, admin.sync().pttl(key(never.tileKey("agg", k))));
    }
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void putTilesReplacesAndAnEmptySetDeletes() {
    SplittableRandom rnd = new SplittableRandom(3);
    EntityKey k = EntityKey.of("card", 3L);
    WindowTiles first = TileFixtures.tiles(rnd, k, "v1", 2, 5);
    WindowTiles second = WindowTiles.of(k, "v1", 2, new long[] {1_000}, new long[] {0}, new long[] {1, 2, 3},
        new double[] {2, 1, 0.5, 0.5, 0.5, 0, 0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
    store.addTiles("agg", List.of(first), WindowTiles.Retention.ALL);
    store.putTiles("agg", List.of(second));
    assertEquals(second, store.readTiles("agg", List.of(k)).get(0));
    store.putTiles("agg", List.of(WindowTiles.of(k, "v1", 2, new long[0], new long[0], new long[0], new double[0])));
    assertNull(store.readTiles("agg", List.of(k)).get(0));
  }

  @Test
  void eraseRemovesRowAndTilesOfOneViewOnly() {
    EntityKey k = EntityKey.of("card", 4L);
    EntityKey other = EntityKey.of("card", 5L);
    WindowTiles t = WindowTiles.of(k, "v1", 0, new long[] {10}, new long[] {0}, new long[] {1, 1, 1},
        new double[] {1});
    store.write("agg", List.of(row(k, 10, 1, "v1"), row(other, 10, 2, "v1")));
    store.write("plain", List.of(row(k, 10, 3, "v1")));
    store.addTiles("agg", List.of(t), WindowTiles.Retention.ALL);
    store.addTiles("other", List.of(t), WindowTiles.Retention.ALL);
    assertNotNull(store.read("agg", List.of(k)).get(0)); // now near-cached
    store.erase("agg", k);
    assertNull(store.read("agg", List.of(k)).get(0), "not served from this replica's near-cache");
    assertNull(store.readTiles("agg", List.of(k)).get(0));
    assertNotNull(store.read("agg", List.of(other)).get(0));
    assertNotNull(store.read("plain", List.of(k)).get(0));
    assertNotNull(store.readTiles("other", List.of(k)).get(0));
    // every key of one entity shares one slot
    int slot = SlotHash.getSlot(key(store.redisKey("agg", k)));
    for (String v : List.of("agg", "plain", "other", "a:b{c}")) {
      assertEquals(slot, SlotHash.getSlot(key(store.redisKey(v, k))), v);
      assertEquals(slot, SlotHash.getSlot(key(store.tileKey(v, k))), v);
    }
    // clear removes tiles too
    store.clear("other");
    assertNull(store.readTiles("other", List.of(k)).get(0));
    assertNotNull(store.read("plain", List.of(k)).get(0));
  }

  @Test
  void marksAreAtomicMaxima() throws Exception {
    assertEquals(Long.MIN_VALUE, store.readMark("m"));
    store.advanceMark("m", -5);
    assertEquals(-5, store.readMark("m"));
    store.advanceMark("m", -7);
    assertEquals(-5, store.readMark("m"));
    store.advanceMark("m", (1L << 53) + 1);
    store.advanceMark("m", 1L << 53); // equal as doubles, smaller as longs
    assertEquals((1L << 53) + 1, store.readMark("m"));
    store.advanceMark("m:x{y}", Long.MAX_VALUE);
    assertEquals(Long.MAX_VALUE, store.readMark("m:x{y}"));
    assertEquals((1L << 53) + 1, store.readMark("m"));
    // concurrent raisers from two stores (two replicas)
    try (RedisOnlineStore other = RedisOnlineStore.builder(REDIS.uri()).prefix(prefixOf(store)).build()) {
      CountDownLatch go = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        RedisOnlineStore s = t % 2 == 0 ? store : other;
        int seed = t;
        threads.add(new Thread(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          try {
            go.await();
          } catch (InterruptedException e) {
            return;
          }
          for (int i = 0; i < 200; i++) {
            s.advanceMark("c", rnd.nextLong(0, 1_000_000));
          }
          s.advanceMark("c", 1_000_000 + seed);
        }));
      }
      threads.forEach(Thread::start);
      go.countDown();
      for (Thread t : threads) {
        t.join();
      }
      assertEquals(1_000_003, other.readMark("c"));
    }
    store.clear("m");
    assertEquals((1L << 53) + 1, store.readMark("m"), "clear of a view leaves marks alone");
  }

  static String prefixOf(RedisOnlineStore s) {
    String k = s.redisKey("v", EntityKey.of("a", 1L));
    return k.substring(0, k.indexOf(':'));
  }

  static OnlineRow row(EntityKey k, long t, double x, String version) {
    return new OnlineRow(k, FeatureVector.builder(SCHEMA).setDouble("x", x).build(), t, t, t + 1, version);
  }

  @Test
  void rowsOfAnotherVersionAreAlwaysReplacedLikeTheEmbeddedStore() {
    SplittableRandom rnd = new SplittableRandom(9);
    List<EntityKey> keys = List.of(EntityKey.of("u", 1L), EntityKey.of("u", 2L), EntityKey.of("u", "v,x;%"));
    for (int step = 0; step < 300; step++) {
      List<OnlineRow> batch = new ArrayList<>();
      for (int i = rnd.nextInt(1, 4); i > 0; i--) {
        long t = rnd.nextInt(6) == 0 ? (1L << 53) + rnd.nextInt(3) : rnd.nextLong(-20, 20);
        String version = List.of("v1", "v2", "v,;%", "").get(rnd.nextInt(4));
        batch.add(new OnlineRow(keys.get(rnd.nextInt(keys.size())),
            FeatureVector.builder(SCHEMA).setDouble("x", step).build(), t, rnd.nextLong(-2, 3), t, version));
      }
      assertEquals(reference.write("v", batch), store.write("v", batch), "applied rows at step " + step);
      List<OnlineRow> want = reference.read("v", keys);
      List<OnlineRow> got = store.read("v", keys);
      assertEquals(want, got, "step " + step);
    }
  }

  @Test
  void oldFormatRowsAreReadAsVersionlessAndAlwaysReplaced() throws IOException {
    EntityKey k = EntityKey.of("user_id", 7L);
    admin.sync().set(key(store.redisKey("v", k)), formatOne("v", k, 100, 90, 4.5));
    OnlineRow old = store.read("v", List.of(k)).get(0);
    assertEquals("", old.version());
    assertEquals(100, old.eventTime());
    assertEquals(90, old.createdTime());
    assertEquals(90, old.ingestedTime(), "format 1 had no ingestion time: the created time");
    assertEquals(4.5, old.values().getDouble("x"));
    // an older row of a real version replaces it; then the version rule holds between new rows
    assertEquals(1, store.write("v", List.of(row(k, 5, 1.0, "v1"))));
    assertEquals("v1", store.read("v", List.of(k)).get(0).version());
    assertEquals(0, store.write("v", List.of(row(k, 4, 2.0, "v1"))));
    assertEquals(1.0, store.read("v", List.of(k)).get(0).values().getDouble("x"));
    // even an empty-version row replaces a format-1 value (the script sees no version field)
    admin.sync().set(key(store.redisKey("v", k)), formatOne("v", k, 100, 90, 4.5));
    store.invalidateNearCache();
    assertEquals(1, store.write("v", List.of(row(k, 1, 3.0, ""))));
  }

  /** A format-1 value as the previous release wrote it: {@code "e,c;"}, format byte 1, row v1, CRC32C. */
  static byte[] formatOne(String view, EntityKey k, long event, long created, double x) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write((event + "," + created + ";").getBytes(StandardCharsets.US_ASCII));
    out.writeByte(1);
    out.writeUTF(view);
    out.writeShort(1);
    out.writeUTF(k.names().get(0));
    out.writeByte(1); // a long key
    out.writeLong((Long) k.value(0));
    out.writeLong(event);
    out.writeLong(created);
    out.writeShort(1); // schema: one DOUBLE named x
    out.writeUTF("x");
    out.writeByte(org.sieveml.core.FeatureType.DOUBLE.ordinal());
    out.writeInt(0);
    out.writeByte(1);
    out.writeDouble(x);
    out.flush();
    byte[] b = bytes.toByteArray();
    CRC32C crc = new CRC32C();
    crc.update(b);
    int c = (int) crc.getValue();
    byte[] v = Arrays.copyOf(b, b.length + 4);
    v[b.length] = (byte) (c >>> 24);
    v[b.length + 1] = (byte) (c >>> 16);
    v[b.length + 2] = (byte) (c >>> 8);
    v[b.length + 3] = (byte) c;
    return v;
  }

  @Test
  void badInputIsNamedAndChangesNothing() {
    EntityKey k = EntityKey.of("card", 8L);
    WindowTiles t = WindowTiles.of(k, "v1", 0, new long[] {10}, new long[] {0}, new long[] {1, 1, 1},
        new double[] {1});
    store.addTiles("agg", List.of(t), WindowTiles.Retention.ALL);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> store.addTiles("agg", Arrays.asList(t, null), WindowTiles.Retention.ALL));
    assertTrue(e.getMessage().contains("deltas[1]"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> store.addTiles("agg", List.of(t), null));
    assertTrue(e.getMessage().contains("retention"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> store.putTiles("agg", Arrays.asList(null, t)));
    assertTrue(e.getMessage().contains("tiles[0]"), e.getMessage());
    WindowTiles longVersion = WindowTiles.of(k, "x".repeat(70_000), 0, new long[] {10}, new long[] {0},
        new long[] {1, 1, 1}, new double[] {1});
    e = assertThrows(IllegalArgumentException.class,
        () -> store.addTiles("agg", List.of(t, longVersion), WindowTiles.Retention.ALL));
    assertTrue(e.getMessage().contains("70000 UTF-8 bytes"), e.getMessage());
    assertEquals(t, store.readTiles("agg", List.of(k)).get(0), "nothing of the refused batches was applied");
    assertThrows(IllegalArgumentException.class, () -> store.readTiles("agg", Arrays.asList(k, null)));
    assertThrows(IllegalArgumentException.class, () -> store.erase("agg", null));
    assertThrows(IllegalArgumentException.class, () -> store.readMark(null));
    assertThrows(IllegalArgumentException.class, () -> store.advanceMark(null, 1));
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(REDIS.uri()).prefix("a{b"));
    assertThrows(IllegalArgumentException.class,
        () -> RedisOnlineStore.builder(REDIS.uri()).tileExpiryGrace(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> RedisOnlineStore.builder(REDIS.uri()).username("u").build());
    // a foreign value under a tile key is refused, naming the format
    admin.sync().set(key(store.tileKey("agg", k)), "junk".getBytes(StandardCharsets.US_ASCII));
    IllegalStateException s = assertThrows(IllegalStateException.class,
        () -> store.readTiles("agg", List.of(k)));
    assertTrue(s.getMessage().contains("tile format"), s.getMessage());
  }
}
