package org.sieveml.benchmarks.pipeline;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.ReRanker;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.core.pipeline.TwoStagePipeline;

/**
 * Question: what does {@link TwoStagePipeline} cost on top of the stage work it orchestrates, at
 * {@value BenchStages#UNIQUE_CANDIDATES} candidates?
 *
 * <p>{@link #pipeline()} serves one request through {@link TwoStagePipeline#execute} (default
 * telemetry: its own {@code InMemoryTelemetry}; no budgets). {@link #handWired()} is the baseline: the
 * same {@link BenchStages} instances called directly, as a careful developer would write it: both
 * generators, a round-robin merge by rank deduplicated through a {@link HashMap} exactly as the
 * pipeline merges, one feature fetch, scoring, a stable sort by descending score, the category-cap
 * re-ranker and the cut to k = {@value #K}. The difference between the two is the pipeline's
 * bookkeeping: ticker reads, telemetry, output validation and the response object. Setup checks that
 * both return the identical item-id list, and fails otherwise.
 *
 * <p>Run it alone (from the repository root):
 *
 * <pre>
 * mvn -pl benchmarks -am package -DskipTests
 * java -jar benchmarks/target/benchmarks.jar 'org.sieveml.benchmarks.pipeline.PipelineOverheadBenchmark'
 * </pre>
 *
 * <p>or as part of the scorecard, which reports the ratio of the medians:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.Scorecard --quick pipeline
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 8, time = 1, timeUnit = TimeUnit.SECONDS)
@Measurement(iterations = 10, time = 1, timeUnit = TimeUnit.SECONDS)
@Fork(value = 3, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PipelineOverheadBenchmark {

  /** Items returned per request. */
  public static final int K = 10;

  private static final Comparator<ScoredItem> BY_SCORE_DESC =
      (a, b) -> Double.compare(b.score(), a.score());

  private PipelineRequest request;
  private TwoStagePipeline pipeline;

  private CandidateGenerator first;
  private CandidateGenerator second;
  private String firstName;
  private String secondName;
  private int quota;
  private int maxCandidates;
  private FeatureSource featureSource;
  private Scorer scorer;
  private ReRanker reRanker;

  /** Creates the state; JMH calls {@link #setup()} before measuring. */
  public PipelineOverheadBenchmark() {}

  /**
   * Builds the stages and the pipeline, and checks that both paths agree.
   *
   * @throws IllegalStateException if the pipeline degrades, the candidate count is not {@value
   *     BenchStages#UNIQUE_CANDIDATES}, or the pipeline and the hand-wired path return different items
   */
  @Setup(Level.Trial)
  public void setup() {
    BenchStages stages = BenchStages.create(BenchStages.DEFAULT_SEED);
    first = stages.similar();
    second = stages.popular();
    firstName = first.name();
    secondName = second.name();
    quota = BenchStages.PER_GENERATOR;
    maxCandidates = 2 * quota; // the pipeline's default: the sum of the quotas
    featureSource = stages.featureSource();
    scorer = stages.scorer();
    reRanker = stages.reRanker();
    pipeline = TwoStagePipeline.builder()
        .name("bench")
        .addCandidateGenerator(first, quota)
        .addCandidateGenerator(second, quota)
        .featureSource(featureSource)
        .scorer(scorer)
        .reRanker(reRanker)
        .build();
    request = PipelineRequest.builder(EntityKey.of("user_id", 42L)).requestId("bench").k(K).build();

    PipelineResponse response = pipeline.execute(request);
    if (!response.isComplete() || !response.isScored() || !response.isReranked()) {
      throw new IllegalStateException("pipeline degraded: " + response.degradations());
    }
    if (response.candidateCount() != BenchStages.UNIQUE_CANDIDATES) {
      throw new IllegalStateException(
          "pipeline merged " + response.candidateCount() + " candidates, expected " + BenchStages.UNIQUE_CANDIDATES);
    }
    int handCandidates = mergeByHand(request).size();
    if (handCandidates != BenchStages.UNIQUE_CANDIDATES) {
      throw new IllegalStateException(
          "hand-wired merge produced " + handCandidates + " candidates, expected " + BenchStages.UNIQUE_CANDIDATES);
    }
    List<String> viaPipeline = ids(response.items());
    List<String> byHand = ids(handWired());
    if (viaPipeline.size() != K || !viaPipeline.equals(byHand)) {
      throw new IllegalStateException(
          "pipeline and hand-wired results differ: pipeline " + viaPipeline + ", hand-wired " + byHand);
    }
  }

  /**
   * One request through the pipeline.
   *
   * @return the response, consumed by JMH
   */
  @Benchmark
  public PipelineResponse pipeline() {
    return pipeline.execute(request);
  }

  /**
   * The same stage work, called by hand.
   *
   * @return the top-k items, consumed by JMH
   */
  @Benchmark
  public List<ScoredItem> handWired() {
    List<Candidate> candidates = mergeByHand(request);
    List<FeatureVector> features = featureSource.fetch(request, candidates);
    double[] scores = scorer.score(request, candidates, features);
    ScoredItem[] arr = new ScoredItem[scores.length];
    for (int i = 0; i < arr.length; i++) {
      arr[i] = ScoredItem.of(candidates.get(i), scores[i]);
    }
    Arrays.sort(arr, BY_SCORE_DESC); // stable: ties keep retrieval order
    List<ScoredItem> out = reRanker.rerank(request, Arrays.asList(arr), request.k());
    return out.size() > request.k() ? out.subList(0, request.k()) : out;
  }

  /** Both generators, interleaved round-robin by rank and deduplicated by item id, as the pipeline does. */
  private List<Candidate> mergeByHand(PipelineRequest req) {
    List<Candidate> a = first.generate(req, quota);
    List<Candidate> b = second.generate(req, quota);
    Map<String, Integer> positions = new HashMap<>(maxCandidates * 2);
    List<Candidate> merged = new ArrayList<>(Math.min(maxCandidates, 1024));
    int longest = Math.max(a.size(), b.size());
    for (int rank = 0; rank < longest; rank++) {
      if (rank < a.size()) {
        add(a.get(rank), firstName, merged, positions);
      }
      if (rank < b.size()) {
        add(b.get(rank), secondName, merged, positions);
      }
    }
    return merged;
  }

  private void add(Candidate c, String source, List<Candidate> merged, Map<String, Integer> positions) {
    Integer at = positions.get(c.itemId());
    if (at != null) {
      Candidate kept = merged.get(at);
      if (!kept.isFrom(source)) {
        merged.set(at, kept.withAlsoFrom(source));
      }
    } else if (merged.size() < maxCandidates) {
      if (!c.source().equals(source)) {
        c = Candidate.of(c.itemId(), c.retrievalScore(), source);
      }
      positions.put(c.itemId(), merged.size());
      merged.add(c);
    }
  }

  private static List<String> ids(List<ScoredItem> items) {
    List<String> out = new ArrayList<>(items.size());
    for (ScoredItem s : items) {
      out.add(s.itemId());
    }
    return out;
  }
}
