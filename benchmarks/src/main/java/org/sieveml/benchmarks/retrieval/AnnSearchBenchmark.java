package org.sieveml.benchmarks.retrieval;

import com.github.jelmerk.hnswlib.core.DistanceFunctions;
import com.github.jelmerk.hnswlib.core.Item;
import com.github.jelmerk.hnswlib.core.SearchResult;
import com.github.jelmerk.hnswlib.core.hnsw.HnswIndex;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
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
import org.sieveml.retrieval.ExactVectorIndex;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.VectorMetric;

/**
 * Question: how many top-10 cosine queries per second does {@link HnswVectorIndex} answer on a seeded,
 * clustered 20,000 x 64 set (200 topics), against raw hnswlib-core 1.2.1 ({@code HnswIndex} with its built-in
 * {@code FLOAT_COSINE_DISTANCE}) built with the same M (16), efConstruction (100) and ef (64)? Setup
 * checks that both reach recall@10 >= 0.95 against exact search on the query set, so the comparison
 * is at equal recall. Single-threaded queries.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class AnnSearchBenchmark {
  static final int N = 20_000;
  static final int DIM = 64;
  static final int M = 16;
  static final int EF_CONSTRUCTION = 100;
  static final int EF = 64;
  static final int K = 10;

  /** The raw library's item type. */
  static final class RawItem implements Item<Integer, float[]> {
    private static final long serialVersionUID = 1L;
    private final int id;
    private final float[] vector;

    RawItem(int id, float[] vector) {
      this.id = id;
      this.vector = vector;
    }

    @Override
    public Integer id() {
      return id;
    }

    @Override
    public float[] vector() {
      return vector;
    }

    @Override
    public int dimensions() {
      return vector.length;
    }
  }

  private HnswVectorIndex ours;
  private HnswIndex<Integer, float[], RawItem, Float> raw;
  private float[][] queries;
  private int next;

  /**
   * Builds both indexes and checks their recall.
   *
   * @throws InterruptedException never in practice
   */
  @Setup
  public void setup() throws InterruptedException {
    SplittableRandom r = new SplittableRandom(42);
    // clustered like real embeddings: 200 topics, items and queries scattered around them
    float[][] centers = new float[200][];
    for (int c = 0; c < centers.length; c++) {
      centers[c] = gaussian(r, null, 1);
    }
    float[][] data = new float[N][];
    for (int i = 0; i < N; i++) {
      data[i] = gaussian(r, centers[r.nextInt(centers.length)], 0.5);
    }
    queries = new float[256][];
    for (int q = 0; q < queries.length; q++) {
      queries[q] = gaussian(r, centers[r.nextInt(centers.length)], 0.5);
    }
    ours = HnswVectorIndex.builder(DIM, VectorMetric.COSINE).m(M).efConstruction(EF_CONSTRUCTION).ef(EF)
        .initialCapacity(N).build();
    raw = HnswIndex.newBuilder(DIM, DistanceFunctions.FLOAT_COSINE_DISTANCE, N).withM(M)
        .withEfConstruction(EF_CONSTRUCTION).withEf(EF).build();
    ExactVectorIndex exact = ExactVectorIndex.create(DIM, VectorMetric.COSINE);
    for (int i = 0; i < N; i++) {
      ours.add(Integer.toString(i), data[i]);
      raw.add(new RawItem(i, data[i]));
      exact.add(Integer.toString(i), data[i]);
    }
    double oursHits = 0;
    double rawHits = 0;
    for (float[] q : queries) {
      Set<String> truth = new HashSet<>();
      exact.search(q, K).forEach(n -> truth.add(n.id()));
      for (Neighbor n : ours.search(q, K)) {
        oursHits += truth.contains(n.id()) ? 1 : 0;
      }
      for (SearchResult<RawItem, Float> s : raw.findNearest(q, K)) {
        rawHits += truth.contains(Integer.toString(s.item().id())) ? 1 : 0;
      }
    }
    double oursRecall = oursHits / (queries.length * K);
    double rawRecall = rawHits / (queries.length * K);
    System.out.printf("recall@10: sieveml %.4f, hnswlib-core %.4f%n", oursRecall, rawRecall);
    if (oursRecall < 0.95 || rawRecall < 0.95) {
      throw new IllegalStateException("recall below 0.95: sieveml " + oursRecall + ", hnswlib " + rawRecall);
    }
  }

  private static float[] gaussian(SplittableRandom r, float[] center, double sd) {
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) ((center == null ? 0 : center[d]) + sd * r.nextGaussian());
    }
    return v;
  }

  /**
   * Ours.
   *
   * @return the hits
   */
  @Benchmark
  public List<Neighbor> sieveml() {
    return ours.search(queries[next++ & 255], K);
  }

  /**
   * Raw hnswlib-core.
   *
   * @return the hits
   */
  @Benchmark
  public List<SearchResult<RawItem, Float>> hnswlib() {
    return raw.findNearest(queries[next++ & 255], K);
  }
}
