package org.sieveml.benchmarks.features;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.OnlineRow;
import org.sieveml.features.redis.RedisOnlineStore;

/**
 * Question: what does reading 100 entities x 50 DOUBLE features cost through {@link RedisOnlineStore}
 * with a warm near-cache, with a cold one (no near-cache: one MGET to Redis plus
 * decoding), against raw pipelined {@code GET}s of the same 100 values by the same client library
 * (Lettuce, async, no decoding), and the same read from the {@link EmbeddedOnlineStore}? The server
 * is a real {@code redis-server} started on a free loopback port in setup (10,000 entities loaded).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
public class RedisReadBenchmark {
  static final int ENTITIES = 10_000;
  static final int FEATURES = 50;
  static final int BATCH = 100;

  private Process server;
  private Path dir;
  private RedisOnlineStore warm;
  private RedisOnlineStore cold;
  private EmbeddedOnlineStore embedded;
  private RedisClient rawClient;
  private StatefulRedisConnection<byte[], byte[]> raw;
  private List<List<EntityKey>> batches;
  private List<byte[][]> rawKeys;
  private int next;

  /**
   * Starts redis-server, loads the rows and warms the near-cache.
   *
   * @throws Exception when redis-server cannot start
   */
  @Setup
  public void setup() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    dir = Files.createTempDirectory("sieveml-redis-bench");
    server = new ProcessBuilder("redis-server", "--port", Integer.toString(port), "--bind", "127.0.0.1", "--dir",
        dir.toString(), "--save", "", "--appendonly", "no").redirectErrorStream(true)
        .redirectOutput(dir.resolve("redis.log").toFile()).start();
    waitForPort(port);
    String uri = "redis://127.0.0.1:" + port;
    List<FeatureSpec> specs = new ArrayList<>();
    for (int f = 0; f < FEATURES; f++) {
      specs.add(FeatureSpec.of("f" + f, FeatureType.DOUBLE));
    }
    FeatureSchema schema = FeatureSchema.of(specs);
    Random r = new Random(42);
    List<OnlineRow> rows = new ArrayList<>(ENTITIES);
    for (int i = 0; i < ENTITIES; i++) {
      FeatureVector.Builder b = FeatureVector.builder(schema);
      for (int f = 0; f < FEATURES; f++) {
        b.setDouble(f, r.nextGaussian());
      }
      rows.add(new OnlineRow(EntityKey.of("user_id", (long) i), b.build(), 1_000, 1_000, 1_000, "v1"));
    }
    warm = RedisOnlineStore.builder(uri).build();
    cold = RedisOnlineStore.builder(uri).nearCache(0, java.time.Duration.ofSeconds(1)).build();
    embedded = new EmbeddedOnlineStore();
    warm.write("user_stats", rows);
    embedded.write("user_stats", rows);
    rawClient = RedisClient.create(uri);
    raw = rawClient.connect(ByteArrayCodec.INSTANCE);
    batches = new ArrayList<>();
    rawKeys = new ArrayList<>();
    java.lang.reflect.Method key = RedisOnlineStore.class.getDeclaredMethod("redisKey", String.class, EntityKey.class);
    key.setAccessible(true);
    for (int b = 0; b < 64; b++) {
      List<EntityKey> ks = new ArrayList<>(BATCH);
      byte[][] rk = new byte[BATCH][];
      for (int i = 0; i < BATCH; i++) {
        EntityKey k = EntityKey.of("user_id", (long) r.nextInt(ENTITIES));
        ks.add(k);
        rk[i] = ((String) key.invoke(warm, "user_stats", k)).getBytes(StandardCharsets.ISO_8859_1);
      }
      batches.add(ks);
      rawKeys.add(rk);
      warm.read("user_stats", ks);
    }
    // all three paths see the same values
    List<OnlineRow> a = warm.read("user_stats", batches.get(0));
    List<OnlineRow> c = cold.read("user_stats", batches.get(0));
    List<OnlineRow> e = embedded.read("user_stats", batches.get(0));
    for (int i = 0; i < BATCH; i++) {
      if (!a.get(i).values().equals(e.get(i).values()) || !c.get(i).values().equals(e.get(i).values())) {
        throw new IllegalStateException("Redis and embedded stores disagree at " + batches.get(0).get(i));
      }
    }
  }

  private static void waitForPort(int port) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket(java.net.InetAddress.getLoopbackAddress(), port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(20);
      }
    }
    throw new IOException("redis-server did not listen on port " + port + " within 10 s (is it installed?)");
  }

  /** Stops everything. */
  @TearDown
  public void tearDown() {
    warm.close();
    cold.close();
    raw.close();
    rawClient.shutdown();
    server.destroyForcibly();
  }

  /**
   * Our store, rows served from the near-cache.
   *
   * @return the rows
   */
  @Benchmark
  public List<OnlineRow> redisWarm() {
    return warm.read("user_stats", batches.get(next++ & 63));
  }

  /**
   * Our store without a near-cache: one MGET and decoding of 100 rows.
   *
   * @return the rows
   */
  @Benchmark
  public List<OnlineRow> redisCold() {
    return cold.read("user_stats", batches.get(next++ & 63));
  }

  /**
   * Raw Redis: 100 pipelined GETs of the same values by Lettuce, bytes only.
   *
   * @return the raw values
   * @throws Exception on a failed command
   */
  @Benchmark
  public List<byte[]> rawRedis() throws Exception {
    byte[][] ks = rawKeys.get(next++ & 63);
    List<RedisFuture<byte[]>> fs = new ArrayList<>(ks.length);
    for (byte[] k : ks) {
      fs.add(raw.async().get(k));
    }
    List<byte[]> out = new ArrayList<>(ks.length);
    for (RedisFuture<byte[]> f : fs) {
      out.add(f.get(1, TimeUnit.SECONDS));
    }
    return out;
  }

  /**
   * The embedded store.
   *
   * @return the rows
   */
  @Benchmark
  public List<OnlineRow> embedded() {
    return embedded.read("user_stats", batches.get(next++ & 63));
  }
}
