package org.sieveml.benchmarks.features;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.OnlineFeatures;

/**
 * Question: what does an as-of read ({@code getOnlineFeatures(keys, service, asOf)}, the replay of a
 * logged request) cost against a current read of the same 100 keys, on the in-memory embedded store
 * with a 48 h history horizon in which every key was written {@value #WRITES} times (one push per
 * key every 2 h, {@value #ENTITIES} entities x {@value #FEATURES} DOUBLE features)? The as-of time is
 * drawn in the horizon for each call (a binary search in each key's history); the current read is
 * the same call without history.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AsOfReadBenchmark {
  static final int ENTITIES = 20_000;
  static final int FEATURES = 20;
  static final int WRITES = 20;
  static final Duration HORIZON = Duration.ofHours(48);
  static final long START = Duration.ofDays(1000).toMillis();
  static final long STEP = HORIZON.toMillis() / (WRITES + 1);

  private FeatureStore store;
  private FeatureService service;
  private List<List<EntityKey>> sets;
  private long[] times;
  private int next;

  /** A feature store whose every key was pushed {@value #WRITES} times within the horizon. */
  static final class World {
    final AtomicLong now = new AtomicLong(START);
    final FeatureStore store;
    final FeatureService service;
    final List<EntityKey> keys = new ArrayList<>();

    World(boolean history) {
      Entity user = Entity.builder("user").joinKey("user_id").build();
      FeatureView.Builder vb = FeatureView.builder("user_stats").entity(user).ttl(Duration.ofDays(30));
      for (int f = 0; f < FEATURES; f++) {
        vb.feature(FeatureSpec.of("f" + f, FeatureType.DOUBLE));
      }
      FeatureRegistry registry = new FeatureRegistry();
      registry.apply(user);
      registry.apply(vb.build());
      service = FeatureService.builder("model").features("user_stats").build();
      registry.apply(service);
      FeatureStore.Builder b = FeatureStore.builder(registry).clock(now::get);
      if (history) {
        b.historyHorizon(HORIZON);
      }
      store = b.build();
      for (int i = 0; i < ENTITIES; i++) {
        keys.add(EntityKey.of("user_id", (long) i));
      }
      Random r = new Random(42);
      long[] ids = new long[ENTITIES];
      for (int i = 0; i < ENTITIES; i++) {
        ids[i] = i;
      }
      for (int w = 0; w < WRITES; w++) {
        long t = now.addAndGet(STEP);
        long[] ts = new long[ENTITIES];
        java.util.Arrays.fill(ts, t);
        FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(ENTITIES);
        for (int f = 0; f < FEATURES; f++) {
          double[] col = new double[ENTITIES];
          for (int i = 0; i < ENTITIES; i++) {
            col[i] = r.nextGaussian();
          }
          fb.addDouble("f" + f, col);
        }
        store.push("user_stats", EventBatch.ofLongKeys(ids, ts, ts, fb.build()));
      }
      now.addAndGet(STEP / 2);
    }
  }

  /** Builds the store and 64 random sets of 100 keys, each with an as-of time in the horizon. */
  @Setup
  public void setup() {
    World w = new World(true);
    store = w.store;
    service = w.service;
    Random r = new Random(7);
    sets = new ArrayList<>();
    times = new long[64];
    long now = w.now.get();
    for (int s = 0; s < 64; s++) {
      List<EntityKey> keys = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        keys.add(w.keys.get(r.nextInt(ENTITIES)));
      }
      sets.add(List.copyOf(keys));
      times[s] = now - (long) (r.nextDouble() * (HORIZON.toMillis() - STEP));
    }
    // both reads must work, and an as-of read of now must equal the current read
    OnlineFeatures current = store.getOnlineFeatures(sets.get(0), service);
    OnlineFeatures asOfNow = store.getOnlineFeatures(sets.get(0), service, now);
    if (!current.vectors().equals(asOfNow.vectors())) {
      throw new IllegalStateException("an as-of read of now differs from the current read");
    }
  }

  /**
   * Ours: 100 keys as of a time in the horizon.
   *
   * @return the served values
   */
  @Benchmark
  public OnlineFeatures asOf() {
    int s = next++ & 63;
    return store.getOnlineFeatures(sets.get(s), service, times[s]);
  }

  /**
   * The anchor: the same 100 keys read now.
   *
   * @return the served values
   */
  @Benchmark
  public OnlineFeatures current() {
    return store.getOnlineFeatures(sets.get(next++ & 63), service);
  }
}
