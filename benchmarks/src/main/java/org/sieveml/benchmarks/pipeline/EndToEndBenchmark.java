package org.sieveml.benchmarks.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.retrieval.AnnCandidateGenerator;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.PopularityCandidateGenerator;
import org.sieveml.retrieval.VectorMetric;

/**
 * Question: what does one end-to-end recommendation request cost, and what does the pipeline add to
 * the same stages wired by hand? 100,000 items with 32-dimension embeddings in an
 * {@link HnswVectorIndex} (cosine, ef 500) -> 450 ANN candidates plus 50 trending ones (about 500
 * after de-duplication) -> 20 item features per candidate read online from the embedded
 * {@link FeatureStore} -> a 100-tree depth-6 {@link GbdtRanker} -> top 10.
 *
 * <p>{@link #pipeline()} runs {@link TwoStagePipeline#execute} (default telemetry, no budgets);
 * {@link #handWired()} calls the same generator, feature-source and ranker objects directly: both
 * generators, a round-robin merge de-duplicated by item id, one feature fetch, one scoring call and
 * a top-10 selection. Setup checks that both return the same ten items. Sample mode, so a direct run
 * prints p50/p99:
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar EndToEndBenchmark -f 1 -wi 5 -i 10
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms3g", "-Xmx3g", "--add-modules=jdk.incubator.vector"})
public class EndToEndBenchmark {
  static final int ITEMS = 100_000;
  static final int DIM = 32;
  static final int FEATURES = 20;
  static final int ANN = 450;
  static final int TRENDING = 50;
  static final int K = 10;
  static final long NOW = Duration.ofDays(1000).toMillis();

  private TwoStagePipeline pipeline;
  private CandidateGenerator ann;
  private CandidateGenerator trending;
  private FeatureSource features;
  private GbdtRanker ranker;
  private FeatureStore store;
  private PipelineRequest[] requests;
  private int next;

  /** Builds the index, the feature store, the model and both paths; checks they agree. */
  @Setup
  public void setup() {
    Random r = new Random(42);
    float[][] centers = new float[500][DIM];
    for (float[] c : centers) {
      for (int d = 0; d < DIM; d++) {
        c[d] = (float) r.nextGaussian();
      }
    }
    Map<String, float[]> vectors = new LinkedHashMap<>();
    for (int i = 0; i < ITEMS; i++) {
      float[] c = centers[r.nextInt(centers.length)];
      float[] v = new float[DIM];
      for (int d = 0; d < DIM; d++) {
        v[d] = c[d] + 0.5f * (float) r.nextGaussian();
      }
      vectors.put(Integer.toString(i), v);
    }
    HnswVectorIndex index = HnswVectorIndex.builder(DIM, VectorMetric.COSINE).m(16).efConstruction(100)
        .initialCapacity(ITEMS).build();
    index.addAll(vectors, 2, null);
    ann = AnnCandidateGenerator.of("ann", index, "user_embedding", ANN);
    PopularityCandidateGenerator pop = PopularityCandidateGenerator.of("trending", Duration.ofDays(1).toMillis(),
        0, 1000, () -> NOW);
    for (int e = 0; e < 20_000; e++) {
      pop.record(Integer.toString((int) Math.min(ITEMS - 1, Math.abs(r.nextGaussian()) * 2000)), NOW - r.nextInt(86_400_000),
          1.0);
    }
    trending = pop;

    // item features, served online
    Entity item = Entity.builder("item").joinKey("item_id").build();
    FeatureView.Builder vb = FeatureView.builder("item_stats").entity(item).ttl(Duration.ofDays(30));
    List<FeatureSpec> specs = new ArrayList<>();
    for (int f = 0; f < FEATURES; f++) {
      specs.add(FeatureSpec.of("f" + f, FeatureType.DOUBLE));
      vb.feature(specs.get(f));
    }
    FeatureView view = vb.build();
    FeatureService service = FeatureService.builder("ranker_v1").features("item_stats").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(item);
    registry.apply(view);
    registry.apply(service);
    store = FeatureStore.builder(registry).clock(() -> NOW).build();
    long[] ids = new long[ITEMS];
    long[] ts = new long[ITEMS];
    double[][] cols = new double[FEATURES][ITEMS];
    for (int i = 0; i < ITEMS; i++) {
      ids[i] = i;
      ts[i] = NOW - 3_600_000;
      for (int f = 0; f < FEATURES; f++) {
        cols[f][i] = r.nextGaussian();
      }
    }
    FeatureFrame.ColumnBuilder fb = FeatureFrame.builder(ITEMS);
    for (int f = 0; f < FEATURES; f++) {
      fb.addDouble("f" + f, cols[f]);
    }
    store.ingest("item_stats", EventBatch.ofLongKeys(ids, ts, ts, fb.build()));
    store.materialize("item_stats", 0, NOW, null);
    features = store.featureSource(service, (request, c) -> EntityKey.of("item_id", Long.parseLong(c.itemId())));

    // the model: 100 trees of depth 6 on the same 20 features
    FeatureSchema schema = FeatureSchema.of(specs);
    int n = 20_000;
    double[][] train = new double[FEATURES][n];
    double[] y = new double[n];
    for (int i = 0; i < n; i++) {
      double z = 0;
      for (int f = 0; f < FEATURES; f++) {
        train[f][i] = r.nextGaussian();
        z += (f % 4 == 0 ? 1 : 0.2) * train[f][i] * (f % 2 == 0 ? 1 : -1);
      }
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    FeatureFrame.ColumnBuilder tb = FeatureFrame.builder(n);
    for (int f = 0; f < FEATURES; f++) {
      tb.addDouble("f" + f, train[f]);
    }
    ranker = GbdtRanker.trainer(FeatureEncoder.builder(schema).build()).rounds(100).maxDepth(6).seed(7).threads(2)
        .train(tb.build(), y, null);

    pipeline = TwoStagePipeline.builder()
        .name("e2e")
        .addCandidateGenerator(ann, ANN)
        .addCandidateGenerator(trending, TRENDING)
        .featureSource(features)
        .scorer(ranker)
        .build();
    requests = new PipelineRequest[256];
    for (int q = 0; q < requests.length; q++) {
      float[] c = centers[r.nextInt(centers.length)];
      float[] v = new float[DIM];
      for (int d = 0; d < DIM; d++) {
        v[d] = c[d] + 0.5f * (float) r.nextGaussian();
      }
      requests[q] = PipelineRequest.builder(EntityKey.of("user_id", (long) q)).k(K).context("user_embedding", v)
          .build();
    }
    for (PipelineRequest q : requests) {
      List<String> a = pipeline.execute(q).items().stream().map(ScoredItem::itemId).toList();
      List<String> b = handWired(q);
      if (!a.equals(b)) {
        throw new IllegalStateException("pipeline " + a + " and hand-wired " + b + " disagree");
      }
    }
  }

  /** Closes the store. */
  @TearDown
  public void tearDown() {
    store.close();
  }

  /**
   * Through the pipeline.
   *
   * @return the response
   */
  @Benchmark
  public PipelineResponse pipeline() {
    return pipeline.execute(requests[next++ & 255]);
  }

  /**
   * The same stages by hand.
   *
   * @return the top item ids
   */
  @Benchmark
  public List<String> handWired() {
    return handWired(requests[next++ & 255]);
  }

  private List<String> handWired(PipelineRequest q) {
    List<Candidate> a = ann.generate(q, ANN);
    List<Candidate> b = trending.generate(q, TRENDING);
    // round-robin by rank, first occurrence wins, as the pipeline merges
    LinkedHashMap<String, Candidate> merged = new LinkedHashMap<>(1024);
    int n = Math.max(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      if (i < a.size()) {
        merged.putIfAbsent(a.get(i).itemId(), a.get(i));
      }
      if (i < b.size()) {
        Candidate c = b.get(i);
        Candidate prev = merged.putIfAbsent(c.itemId(), c);
        if (prev != null) {
          merged.put(c.itemId(), prev.withAlsoFrom(c.source()));
        }
      }
    }
    List<Candidate> cands = new ArrayList<>(merged.values());
    List<FeatureVector> fv = features.fetch(q, cands);
    double[] s = ranker.score(q, cands, fv);
    // top k by score, ties keep retrieval order
    int[] best = new int[Math.min(K, s.length)];
    int size = 0;
    for (int i = 0; i < s.length; i++) {
      int pos = size;
      while (pos > 0 && s[best[pos - 1]] < s[i]) {
        pos--;
      }
      if (pos < best.length) {
        int end = Math.min(size, best.length - 1);
        System.arraycopy(best, pos, best, pos + 1, end - pos);
        best[pos] = i;
        size = Math.min(size + 1, best.length);
      }
    }
    List<String> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(cands.get(best[i]).itemId());
    }
    return out;
  }
}
