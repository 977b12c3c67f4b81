package org.sieveml.benchmarks.features;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineStore;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * Question: how many bytes does one card cost in the online store for the README's fraud view (event
 * count and amount sum over 1 h and 24 h, one-minute buckets) with 1 event (pushed in the last ten
 * minutes, the largest state one event leaves) and with {@value #EVENTS} events spread over the last
 * day, against the same four values kept as one plain {@link FeatureView} row (what a batch job that
 * precomputes them would store)?
 *
 * <p>Embedded: retained heap of the default in-memory {@code EmbeddedOnlineStore}, measured as the
 * heap used after full GCs before and after {@code clear(view)}, divided by the number of cards
 * ({@value #CARDS} cards with one event or a plain row, {@value #BUSY_CARDS} with {@value #EVENTS}
 * events). Redis: the mean {@code MEMORY USAGE} of the view's keys on a real {@code redis-server}
 * started on a free loopback port, written through {@link RedisOnlineStore}.
 *
 * <p>Not a JMH benchmark: the scorecard runs each method in a fresh JVM ({@link Scorecard.Measured}).
 */
@Fork(jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class WindowBytesBenchmark implements Scorecard.Measured {
  static final int CARDS = 100_000;
  static final int BUSY_CARDS = 10_000;
  static final int REDIS_CARDS = 10_000;
  static final int REDIS_BUSY_CARDS = 2_000;
  static final int EVENTS = 100;
  static final long NOW = Duration.ofDays(1000).toMillis() + 12_345_678L;

  /** A new instance (one per JVM). */
  public WindowBytesBenchmark() {}

  /**
   * Ours: embedded, one event per card.
   *
   * @return bytes per card
   */
  public double tilesOneEvent() {
    return embeddedTiles(CARDS, 1, Duration.ofMinutes(10).toMillis());
  }

  /**
   * Ours: embedded, {@value #EVENTS} events per card over the last day.
   *
   * @return bytes per card
   */
  public double tilesHundredEvents() {
    return embeddedTiles(BUSY_CARDS, EVENTS, Duration.ofDays(1).toMillis());
  }

  /**
   * The anchor: embedded, the four values as one plain row per card.
   *
   * @return bytes per card
   */
  public double plainRow() {
    FeatureStore store = FeatureStore.builder(registry()).clock(() -> NOW).build();
    materializeRows(store, CARDS);
    return retained(store.onlineStore(), "fraud_row", CARDS);
  }

  /**
   * Ours: Redis, one event per card.
   *
   * @return mean MEMORY USAGE of a tile key
   * @throws Exception when redis-server fails
   */
  public double redisTilesOneEvent() throws Exception {
    return redis((store, prefix) -> {
      push(store, REDIS_CARDS, 1, Duration.ofMinutes(10).toMillis());
      return prefix + ":t:*";
    });
  }

  /**
   * Ours: Redis, {@value #EVENTS} events per card over the last day.
   *
   * @return mean MEMORY USAGE of a tile key
   * @throws Exception when redis-server fails
   */
  public double redisTilesHundredEvents() throws Exception {
    return redis((store, prefix) -> {
      push(store, REDIS_BUSY_CARDS, EVENTS, Duration.ofDays(1).toMillis());
      return prefix + ":t:*";
    });
  }

  /**
   * The anchor: Redis, the four values as one plain row per card.
   *
   * @return mean MEMORY USAGE of a row key
   * @throws Exception when redis-server fails
   */
  public double redisPlainRow() throws Exception {
    return redis((store, prefix) -> {
      materializeRows(store, REDIS_CARDS);
      return prefix + ":r:*";
    });
  }

  private static FeatureRegistry registry() {
    Entity card = Entity.builder("card").joinKey("card_id").build();
    AggregationView txn = AggregationView.builder("txn").entity(card)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .bucket(Duration.ofMinutes(1))
        .count(Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(1))
        .count(Duration.ofDays(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))
        .build();
    FeatureView row = FeatureView.builder("fraud_row").entity(card).ttl(Duration.ofDays(2))
        .feature(FeatureSpec.of("count_1h", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("amount_sum_1h", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("count_1d", FeatureType.DOUBLE))
        .feature(FeatureSpec.of("amount_sum_1d", FeatureType.DOUBLE))
        .build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(card);
    reg.apply(txn);
    reg.apply(row);
    return reg;
  }

  private static double embeddedTiles(int cards, int events, long span) {
    FeatureStore store = FeatureStore.builder(registry()).clock(() -> NOW).build();
    push(store, cards, events, span);
    return retained(store.onlineStore(), "txn", cards);
  }

  /** Pushes {@code events} events per card dated in (NOW - span, NOW], in batches of 100,000. */
  private static void push(FeatureStore store, int cards, int events, long span) {
    Random r = new Random(11);
    int total = cards * events;
    int batch = 100_000;
    for (int from = 0; from < total; from += batch) {
      int n = Math.min(batch, total - from);
      long[] ids = new long[n];
      long[] ts = new long[n];
      double[] amount = new double[n];
      for (int i = 0; i < n; i++) {
        ids[i] = (from + i) % cards;
        ts[i] = NOW - (long) (r.nextDouble() * span);
        amount[i] = Math.round(r.nextDouble() * 10_000) / 100.0;
      }
      store.push("txn", EventBatch.ofLongKeys(ids, ts, ts, FeatureFrame.builder(n).addDouble("amount", amount).build()));
    }
  }

  private static void materializeRows(FeatureStore store, int cards) {
    Random r = new Random(12);
    long[] ids = new long[cards];
    long[] ts = new long[cards];
    double[][] cols = new double[4][cards];
    for (int c = 0; c < cards; c++) {
      ids[c] = c;
      ts[c] = NOW - (long) (r.nextDouble() * Duration.ofMinutes(10).toMillis());
      cols[0][c] = 1 + r.nextInt(20);
      cols[1][c] = Math.round(r.nextDouble() * 100_000) / 100.0;
      cols[2][c] = cols[0][c] + r.nextInt(100);
      cols[3][c] = cols[1][c] + Math.round(r.nextDouble() * 1_000_000) / 100.0;
    }
    store.ingest("fraud_row", EventBatch.ofLongKeys(ids, ts, ts, FeatureFrame.builder(cards)
        .addDouble("count_1h", cols[0]).addDouble("amount_sum_1h", cols[1])
        .addDouble("count_1d", cols[2]).addDouble("amount_sum_1d", cols[3]).build()));
    store.materialize("fraud_row", 0, NOW + 1, null);
  }

  /** Heap the store retains for a view: used heap after GC before and after clearing it, per card. */
  private static double retained(OnlineStore online, String view, int cards) {
    long before = usedAfterGc();
    online.clear(view);
    long after = usedAfterGc();
    return (double) (before - after) / cards;
  }

  private static long usedAfterGc() {
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      used = Math.min(used, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private interface Load {
    String run(FeatureStore store, String prefix) throws Exception;
  }

  /** Starts redis-server, loads through the store, returns the mean MEMORY USAGE of matching keys. */
  private static double redis(Load load) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path dir = Files.createTempDirectory("sieveml-redis-bytes");
    Process server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1",
        "--dir", dir.toString(), "--save", "", "--appendonly", "no").redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile()).start();
    try {
      waitForPort(port);
      String uri = "redis://127.0.0.1:" + port;
      try (RedisOnlineStore online = RedisOnlineStore.builder(uri).prefix("b").build()) {
        FeatureStore store = FeatureStore.builder(registry()).onlineStore(online).clock(() -> NOW).build();
        String pattern = load.run(store, "b");
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE)) {
          RedisCommands<byte[], byte[]> cmd = c.sync();
          long keys = 0;
          long bytes = 0;
          ScanCursor cursor = ScanCursor.INITIAL;
          ScanArgs args = ScanArgs.Builder.matches(pattern.getBytes(StandardCharsets.ISO_8859_1)).limit(1000);
          do {
            KeyScanCursor<byte[]> page = cmd.scan(cursor, args);
            for (byte[] k : page.getKeys()) {
              bytes += cmd.memoryUsage(k);
              keys++;
            }
            cursor = page;
          } while (!cursor.isFinished());
          if (keys == 0) {
            throw new IllegalStateException("no Redis key matches " + pattern);
          }
          System.out.println("# " + keys + " keys match " + pattern + ", " + bytes + " bytes");
          return (double) bytes / keys;
        } finally {
          client.shutdown();
        }
      }
    } finally {
      server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      try (var files = Files.list(dir)) {
        for (Path f : files.toList()) {
          Files.deleteIfExists(f);
        }
      }
      Files.deleteIfExists(dir);
    }
  }

  private static void waitForPort(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    throw new IOException("redis-server did not listen on port " + port + " within 10 s (is it installed?)");
  }

  /**
   * Prints one figure (for a quick look without the scorecard).
   *
   * @param args the method name
   * @throws Exception when the measurement fails
   */
  public static void main(String[] args) throws Exception {
    System.out.println(WindowBytesBenchmark.class.getMethod(args[0]).invoke(new WindowBytesBenchmark()));
    System.exit(0);
  }
}
