package org.sieveml.benchmarks.features;

import java.time.Duration;
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
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.features.TrainingData;

/**
 * Question: what does {@code FeatureStore.getOnlineFeatures} of one entity cost from an aggregation
 * view with four windows up to seven days ({@code count_10m}, {@code amount_sum_1h},
 * {@code amount_sum_1d}, {@code amount_max_7d}; one-minute buckets), each card holding
 * {@value #EVENTS} pushed events spread over the last six days, against the same API reading the same
 * number of features (four DOUBLEs) of one entity from a plain feature view? Both views live in one
 * default {@link FeatureStore} (embedded in-memory stores) with a fixed clock; keys cycle through
 * {@value #CARDS} cards. The window values are checked against the point-in-time join at the clock in
 * setup.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class OnlineReadWindowsBenchmark {
  static final int CARDS = 10_000;
  static final int EVENTS = 100;
  static final long NOW = Duration.ofDays(1000).toMillis() + 12_345_678L;

  private FeatureStore store;
  private FeatureService windows;
  private FeatureService plain;
  private List<EntityKey>[] single;
  private int next;

  /** Pushes the events, ingests and materializes the plain rows, checks both. */
  @Setup
  @SuppressWarnings("unchecked")
  public void setup() {
    Entity card = Entity.builder("card").joinKey("card_id").build();
    AggregationView txn = AggregationView.builder("txn").entity(card)
        .input(FeatureSpec.of("amount", FeatureType.DOUBLE))
        .bucket(Duration.ofMinutes(1))
        .count(Duration.ofMinutes(10))
        .aggregate("amount", Aggregation.SUM, Duration.ofHours(1))
        .aggregate("amount", Aggregation.SUM, Duration.ofDays(1))
        .aggregate("amount", Aggregation.MAX, Duration.ofDays(7))
        .build();
    FeatureView.Builder vb = FeatureView.builder("card_profile").entity(card).ttl(Duration.ofDays(30));
    for (int f = 0; f < 4; f++) {
      vb.feature(FeatureSpec.of("p" + f, FeatureType.DOUBLE));
    }
    FeatureView profile = vb.build();
    FeatureRegistry reg = new FeatureRegistry();
    reg.apply(card);
    reg.apply(txn);
    reg.apply(profile);
    windows = FeatureService.builder("windows").features("txn").build();
    plain = FeatureService.builder("plain").features("card_profile").build();
    reg.apply(windows);
    reg.apply(plain);
    store = FeatureStore.builder(reg).clock(() -> NOW).build();

    Random r = new Random(7);
    int total = CARDS * EVENTS;
    long[] ids = new long[total];
    long[] ts = new long[total];
    double[] amount = new double[total];
    double[] max = new double[CARDS];
    java.util.Arrays.fill(max, Double.NEGATIVE_INFINITY);
    long span = Duration.ofDays(6).toMillis();
    for (int i = 0; i < total; i++) {
      int c = i % CARDS;
      ids[i] = c;
      ts[i] = NOW - (long) (r.nextDouble() * span);
      amount[i] = Math.round(r.nextDouble() * 10_000) / 100.0;
      max[c] = Math.max(max[c], amount[i]);
    }
    int batch = 100_000;
    for (int from = 0; from < total; from += batch) {
      int n = Math.min(batch, total - from);
      long[] bi = java.util.Arrays.copyOfRange(ids, from, from + n);
      long[] bt = java.util.Arrays.copyOfRange(ts, from, from + n);
      double[] ba = java.util.Arrays.copyOfRange(amount, from, from + n);
      store.push("txn", EventBatch.ofLongKeys(bi, bt, bt,
          FeatureFrame.builder(n).addDouble("amount", ba).build()));
    }

    long[] pid = new long[CARDS];
    long[] pts = new long[CARDS];
    double[][] cols = new double[4][CARDS];
    for (int c = 0; c < CARDS; c++) {
      pid[c] = c;
      pts[c] = NOW - Duration.ofHours(1 + r.nextInt(48)).toMillis();
      for (int f = 0; f < 4; f++) {
        cols[f][c] = r.nextGaussian();
      }
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(CARDS);
    for (int f = 0; f < 4; f++) {
      fb.addDouble("p" + f, cols[f]);
    }
    store.ingest("card_profile", EventBatch.ofLongKeys(pid, pts, pts, fb.build()));
    store.materialize("card_profile", 0, NOW, null);

    single = new List[CARDS];
    List<EntityKey> keys = new ArrayList<>();
    for (int c = 0; c < CARDS; c++) {
      single[c] = List.of(EntityKey.of("card_id", (long) c));
      keys.add(single[c].get(0));
    }
    check(keys.subList(0, 200), max, cols);
  }

  /**
   * Both reads serve four PRESENT values; windows equal the point-in-time join at the clock (sums up
   * to rounding).
   */
  private void check(List<EntityKey> keys, double[] max, double[][] cols) {
    int n = keys.size();
    long[] at = new long[n];
    java.util.Arrays.fill(at, NOW);
    TrainingData td = store.getHistoricalFeatures(EntityRows.of(keys, at, null), windows);
    for (int i = 0; i < n; i++) {
      OnlineFeatures w = store.getOnlineFeatures(List.of(keys.get(i)), windows);
      OnlineFeatures p = store.getOnlineFeatures(List.of(keys.get(i)), plain);
      if (w.schema().size() != 4 || p.schema().size() != 4 || w.count(FeatureStatus.PRESENT) != 4
          || p.count(FeatureStatus.PRESENT) != 4) {
        throw new IllegalStateException("expected 4 PRESENT features on both sides, had " + w + " and " + p);
      }
      for (int f = 0; f < 4; f++) {
        String name = w.schema().get(f).name();
        double online = w.vector(0).asDouble(f);
        double offline = td.frame().asDouble(i, td.frame().schema().indexOf(name));
        // sums are added in another order (tiles online, events offline): equal up to rounding
        if (!(Math.abs(online - offline) <= 1e-9 * Math.max(1, Math.abs(offline)))) {
          throw new IllegalStateException("card " + i + " " + name + ": online " + online + ", join " + offline);
        }
        if (p.vector(0).asDouble(f) != cols[f][i]) {
          throw new IllegalStateException("card " + i + " plain feature " + f + " differs");
        }
      }
      if (w.vector(0).asDouble(w.schema().indexOf("amount_max_7d")) != max[i]) {
        throw new IllegalStateException("card " + i + " amount_max_7d differs from the max of its events");
      }
    }
  }

  /**
   * Ours: four windows of one card.
   *
   * @return the served values
   */
  @Benchmark
  public OnlineFeatures windows() {
    int i = next++;
    if (next == CARDS) {
      next = 0;
    }
    return store.getOnlineFeatures(single[i], windows);
  }

  /**
   * The anchor: four plain features of one card through the same API.
   *
   * @return the served values
   */
  @Benchmark
  public OnlineFeatures plainView() {
    int i = next++;
    if (next == CARDS) {
      next = 0;
    }
    return store.getOnlineFeatures(single[i], plain);
  }
}
