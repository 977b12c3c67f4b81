package org.sieveml.benchmarks.features;

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
import org.sieveml.features.OnlineFeatures;

/**
 * Question: what does {@code FeatureStore.getOnlineFeatures} cost for 100 entities x 50 features (one
 * call, e.g. the candidates of a ranking request) against 100 raw {@code ConcurrentHashMap<Long,
 * double[]>} lookups of the same values? 64 random key sets out of 100,000 entities, used in turn.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class OnlineReadHundredBenchmark {

  private OnlineWorld world;
  private List<List<EntityKey>> sets;
  private long[][] ids;
  private int next;

  /** Builds and materializes the data, and the key sets. */
  @Setup
  public void setup() {
    world = new OnlineWorld();
    Random r = new Random(7);
    sets = new ArrayList<>();
    ids = new long[64][100];
    for (int s = 0; s < 64; s++) {
      List<EntityKey> keys = new ArrayList<>();
      for (int i = 0; i < 100; i++) {
        int e = r.nextInt(OnlineWorld.ENTITIES);
        keys.add(world.keys.get(e));
        ids[s][i] = e;
      }
      sets.add(List.copyOf(keys));
    }
  }

  /**
   * Ours.
   *
   * @return the served values
   */
  @Benchmark
  public OnlineFeatures store() {
    return world.store.getOnlineFeatures(sets.get(next++ & 63), world.service);
  }

  /**
   * The floor.
   *
   * @return the values
   */
  @Benchmark
  public double[][] concurrentHashMap() {
    long[] set = ids[next++ & 63];
    double[][] out = new double[set.length][];
    for (int i = 0; i < set.length; i++) {
      out[i] = world.raw.get(set[i]);
    }
    return out;
  }
}
