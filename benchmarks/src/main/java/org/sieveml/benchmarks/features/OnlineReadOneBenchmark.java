package org.sieveml.benchmarks.features;

import java.util.List;
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
import org.sieveml.features.OnlineFeatures;

/**
 * Question: what does {@code FeatureStore.getOnlineFeatures} cost for one entity x 50 features (registry
 * check, TTL status per value, event times) against the floor, a raw {@code ConcurrentHashMap<Long,
 * double[]>} lookup of the same values? Keys cycle through 100,000 entities.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class OnlineReadOneBenchmark {

  private OnlineWorld world;
  private List<EntityKey>[] single;
  private int next;

  /** Builds and materializes the data. */
  @Setup
  @SuppressWarnings("unchecked")
  public void setup() {
    world = new OnlineWorld();
    single = new List[OnlineWorld.ENTITIES];
    for (int i = 0; i < single.length; i++) {
      single[i] = List.of(world.keys.get(i));
    }
  }

  /**
   * Ours.
   *
   * @return the served values
   */
  @Benchmark
  public OnlineFeatures store() {
    int i = next++;
    if (next == OnlineWorld.ENTITIES) {
      next = 0;
    }
    return world.store.getOnlineFeatures(single[i], world.service);
  }

  /**
   * The floor.
   *
   * @return the values
   */
  @Benchmark
  public double[] concurrentHashMap() {
    int i = next++;
    if (next == OnlineWorld.ENTITIES) {
      next = 0;
    }
    return world.raw.get((long) i);
  }
}
