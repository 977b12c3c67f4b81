package org.sieveml.benchmarks.features;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.EmbeddedOfflineStore;
import org.sieveml.features.EmbeddedOnlineStore;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureStore;

/**
 * Question: how many events per second does {@code FeatureStore.push} take on one thread into an
 * aggregation view with three windows (count 1 h, amount sum 1 d, amount max 1 h, one-minute buckets),
 * including the offline log append, against the least any per-entity window must do: one
 * {@code ConcurrentHashMap<Long,long[]>} lookup and counter update per event? 10,000 cards, 100,000
 * events per batch with advancing times (16 batches, about 4.4 hours of events); a fresh store per
 * iteration bounds memory.
 *
 * <p>The store is the default one ({@code FeatureStore.builder(registry).build()}: in-memory
 * {@code EmbeddedOfflineStore} and {@code EmbeddedOnlineStore}, their default policies; an in-memory
 * store has no log to force). Its clock is fixed at the last event of the 16 batches, so every event
 * is in the past and the windows' retention keeps what a read at that time needs (a clock far in the
 * future would drop every tile at once and measure no window update at all).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g"})
public class PushThroughputBenchmark {
  static final int BATCH = 100_000;
  static final int CARDS = 10_000;

  private EventBatch[] batches;
  private long[][] batchIds;
  private FeatureStore store;
  private ConcurrentHashMap<Long, long[]> counters;
  private int next;
  private long now;

  /** Builds 16 batches of events. */
  @Setup(Level.Trial)
  public void data() {
    Random r = new Random(3);
    batches = new EventBatch[16];
    batchIds = new long[16][];
    long t = Duration.ofDays(100).toMillis();
    for (int b = 0; b < batches.length; b++) {
      long[] ids = new long[BATCH];
      long[] ts = new long[BATCH];
      double[] amount = new double[BATCH];
      for (int i = 0; i < BATCH; i++) {
        ids[i] = r.nextInt(CARDS);
        t += r.nextInt(20);
        ts[i] = t;
        amount[i] = Math.round(r.nextDouble() * 10_000) / 100.0;
      }
      batches[b] = EventBatch.ofLongKeys(ids, ts, ts, FeatureFrame.builder(BATCH).addDouble("amount", amount).build());
      batchIds[b] = ids;
    }
    now = t;
    // the pushed events must reach the online windows (a clock that retains no tile would not)
    fresh();
    store.push("txn", batches[15]);
    long id = batchIds[15][BATCH - 1];
    if (store.onlineStore().readTiles("txn", List.of(EntityKey.of("card_id", id))).get(0) == null) {
      throw new IllegalStateException("a pushed card has no window tiles");
    }
  }

  static FeatureRegistry registry() {
    Entity card = Entity.builder("card").joinKey("card_id").build();
    AggregationView txn = AggregationView.builder("txn").entity(card)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .count(Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))
        .aggregate("amount", Aggregation.MAX, Duration.ofHours(1))
        .build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(card);
    reg.apply(txn);
    return reg;
  }

  /** A fresh store and map per iteration. */
  @Setup(Level.Iteration)
  public void fresh() {
    long clock = now;
    store = FeatureStore.builder(registry()).clock(() -> clock).build();
    counters = new ConcurrentHashMap<>();
    next = 0;
  }

  /**
   * A persistent store per iteration: {@code EmbeddedOnlineStore.open} and
   * {@code EmbeddedOfflineStore.open} in a temporary directory under their default policies (the
   * online store's default group commit; the offline store forces each push's write-ahead record or
   * segment before the push returns), closed and deleted after the iteration.
   */
  @State(Scope.Thread)
  public static class Durable {
    FeatureStore store;
    Path dir;

    /**
     * Opens the stores.
     *
     * @param bench the batches and the clock
     * @throws IOException when the directory cannot be created
     */
    @Setup(Level.Iteration)
    public void open(PushThroughputBenchmark bench) throws IOException {
      dir = Files.createTempDirectory("sieveml-push");
      long clock = bench.now;
      store = FeatureStore.builder(registry()).onlineStore(EmbeddedOnlineStore.open(dir.resolve("online")))
          .offlineStore(EmbeddedOfflineStore.open(dir.resolve("offline"))).clock(() -> clock).build();
      bench.next = 0;
    }

    /**
     * Closes and deletes the stores.
     *
     * @throws IOException when a file cannot be deleted
     */
    @TearDown(Level.Iteration)
    public void close() throws IOException {
      store.close();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }

  /**
   * Ours under durability: one batch push into persistent stores.
   *
   * @param d the persistent store
   * @return the batch index
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int pushDurable(Durable d) {
    int b = next++ & 15;
    d.store.push("txn", batches[b]);
    return b;
  }

  /**
   * Ours: one batch push.
   *
   * @return the batch index
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int push() {
    int b = next++ & 15;
    store.push("txn", batches[b]);
    return b;
  }

  /**
   * The floor: a counter per entity.
   *
   * @return the batch index
   */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int concurrentHashMapCounters() {
    int b = next++ & 15;
    long[] ids = batchIds[b];
    for (long id : ids) {
      counters.computeIfAbsent(id, k -> new long[1])[0]++;
    }
    return b;
  }
}
