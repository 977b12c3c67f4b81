package org.sieveml.core.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import org.sieveml.core.Candidate;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.Ticker;
import org.sieveml.core.pipeline.Degradation.Reason;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.Telemetry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two-stage retrieval-and-ranking pipeline: candidate generators, merged and deduplicated under
 * per-source quotas, then features, scoring and optional re-ranking, cut to the request's top k.
 *
 * <pre>{@code
 * TwoStagePipeline pipeline = TwoStagePipeline.builder()
 *     .name("recs")
 *     .addCandidateGenerator(annGenerator, 300)
 *     .addCandidateGenerator(popularGenerator, 100)
 *     .featureSource(features)
 *     .scorer(model)
 *     .reRanker(mmr)
 *     .requestBudget(Duration.ofMillis(50))
 *     .build();
 * PipelineResponse response = pipeline.execute(PipelineRequest.of(EntityKey.of("user_id", 42), 10));
 * }</pre>
 *
 * <h2>Merging</h2>
 * Each generator is asked for up to its quota. Lists are interleaved round-robin by rank (the first
 * of each source in declaration order, then the second of each, ...), so that every source is
 * represented near the top of the retrieval order used by fallbacks. An item proposed again keeps its
 * first position and records the other source in {@link Candidate#alsoFrom()}. The merged list is cut
 * at {@link Builder#maxCandidates(int)}.
 *
 * <h2>Budgets and degradation</h2>
 * Stages run on the caller's thread, in order. A stage's budget is the smaller of its own
 * {@linkplain Builder#stageBudget(Stage, Duration) stage budget} (for {@link Stage#CANDIDATES}, per
 * generator call) and what is left of the {@linkplain Builder#requestBudget(Duration) request budget}.
 * The pipeline cannot pre-empt a running stage: it times each call with its {@link Ticker} and treats
 * a result that arrives after the budget as lost, exactly as an asynchronous caller that stopped
 * waiting would. When a stage throws, overruns, returns invalid output, or cannot start because the
 * request budget is spent, the pipeline takes the stage's {@linkplain Stage#fallback() fallback}, records
 * a {@link Degradation} in the response and counts it in telemetry. A response is therefore either
 * {@linkplain PipelineResponse#isComplete() complete} or says exactly what it lacks.
 *
 * <h2>Telemetry</h2>
 * With pipeline name {@code P}: latencies {@code P.request}, {@code P.stage.<stage>} and {@code
 * P.generator.<name>}; counters {@code P.requests}, {@code P.degraded} (requests with any fallback),
 * {@code P.degraded.<stage>}, {@code P.errors} (stage exceptions) and {@code P.empty} (responses with
 * no items).
 *
 * <h2>Thread-safety</h2>
 * A pipeline is immutable and thread-safe: {@link #execute} may be called concurrently from any
 * number of threads, provided the stage implementations are themselves thread-safe, as their
 * contracts require.
 */
public final class TwoStagePipeline {

  private static final Logger LOG = LoggerFactory.getLogger(TwoStagePipeline.class);
  private static final long UNLIMITED = Long.MAX_VALUE;
  private static final long WARN_INTERVAL_NANOS = 10_000_000_000L;

  private final String name;
  private final CandidateGenerator[] generators;
  private final int[] quotas;
  private final int maxCandidates;
  private final FeatureSource featureSource;
  private final FeatureSchema featureSchema;
  private final Scorer scorer;
  private final ReRanker reRanker;
  private final long requestBudgetNanos;
  private final long[] stageBudgetNanos;
  private final Ticker ticker;
  private final Telemetry telemetry;

  private final Telemetry.LatencyRecorder requestLatency;
  private final Telemetry.LatencyRecorder[] stageLatency;
  private final Telemetry.LatencyRecorder[] generatorLatency;
  private final Telemetry.Counter requests;
  private final Telemetry.Counter degraded;
  private final Telemetry.Counter[] degradedByStage;
  private final Telemetry.Counter errors;
  private final Telemetry.Counter empty;
  private final AtomicLongArray lastWarnNanos = new AtomicLongArray(Stage.values().length);

  private TwoStagePipeline(Builder b) {
    this.name = b.name;
    this.generators = b.generators.toArray(new CandidateGenerator[0]);
    this.quotas = b.quotas.stream().mapToInt(Integer::intValue).toArray();
    this.maxCandidates = b.maxCandidates > 0 ? b.maxCandidates : Arrays.stream(quotas).sum();
    this.featureSource = b.featureSource;
    this.featureSchema = b.featureSource.schema();
    this.scorer = b.scorer;
    this.reRanker = b.reRanker;
    this.requestBudgetNanos = b.requestBudgetNanos;
    this.stageBudgetNanos = b.stageBudgetNanos.clone();
    this.ticker = b.ticker;
    this.telemetry = b.telemetry != null ? b.telemetry : new InMemoryTelemetry();

    this.requestLatency = telemetry.latency(name + ".request");
    Stage[] stages = Stage.values();
    this.stageLatency = new Telemetry.LatencyRecorder[stages.length];
    this.degradedByStage = new Telemetry.Counter[stages.length];
    for (Stage s : stages) {
      stageLatency[s.ordinal()] = telemetry.latency(name + ".stage." + s.metricName());
      degradedByStage[s.ordinal()] = telemetry.counter(name + ".degraded." + s.metricName());
    }
    this.generatorLatency = new Telemetry.LatencyRecorder[generators.length];
    for (int i = 0; i < generators.length; i++) {
      generatorLatency[i] = telemetry.latency(name + ".generator." + generators[i].name());
    }
    this.requests = telemetry.counter(name + ".requests");
    this.degraded = telemetry.counter(name + ".degraded");
    this.errors = telemetry.counter(name + ".errors");
    this.empty = telemetry.counter(name + ".empty");
    for (int i = 0; i < lastWarnNanos.length(); i++) {
      lastWarnNanos.set(i, ticker.read() - WARN_INTERVAL_NANOS);
    }
  }

  /**
   * Returns a builder.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The pipeline's name, the prefix of its metric names.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * The telemetry this pipeline records into.
   *
   * @return the telemetry given to the builder, or the pipeline's own {@link InMemoryTelemetry}
   */
  public Telemetry telemetry() {
    return telemetry;
  }

  /**
   * Serves one request.
   *
   * @param request the request, not null
   * @return the response; never null, and explicit about any degradation
   * @throws IllegalArgumentException if the request is null
   */
  public PipelineResponse execute(PipelineRequest request) {
    if (request == null) {
      throw new IllegalArgumentException("request must not be null");
    }
    final long start = ticker.read();
    final long deadline = requestBudgetNanos == UNLIMITED ? UNLIMITED : start + requestBudgetNanos;
    requests.increment();
    List<Degradation> degradations = new ArrayList<>(0);
    long[] stageNanos = new long[Stage.values().length];

    // Stage 1: candidates.
    List<List<Candidate>> perSource = new ArrayList<>(generators.length);
    for (int i = 0; i < generators.length; i++) {
      perSource.add(generate(i, request, deadline, degradations));
    }
    Map<String, Integer> positions = new HashMap<>(maxCandidates * 2);
    List<Candidate> candidates = merge(perSource, positions);
    long afterCandidates = ticker.read();
    stageNanos[Stage.CANDIDATES.ordinal()] = afterCandidates - start;
    stageLatency[Stage.CANDIDATES.ordinal()].record(afterCandidates - start);

    List<ScoredItem> items;
    boolean scored = false;
    boolean reranked = false;
    if (candidates.isEmpty()) {
      items = List.of();
    } else {
      // Stage 2: features.
      List<FeatureVector> features = fetchFeatures(request, candidates, deadline, degradations, stageNanos);
      // Stage 3: scoring.
      double[] scores = null;
      if (features == null) {
        skip(Stage.SCORING, scorer.name(), "features degraded", degradations);
      } else {
        scores = score(request, candidates, features, deadline, degradations, stageNanos);
      }
      if (scores == null) {
        int n = Math.min(request.k(), candidates.size());
        ScoredItem[] out = new ScoredItem[n];
        for (int i = 0; i < n; i++) {
          out[i] = ScoredItem.unscored(candidates.get(i));
        }
        items = Arrays.asList(out);
        if (reRanker != null) {
          skip(Stage.RERANKING, reRanker.name(), "scoring degraded", degradations);
        }
      } else {
        scored = true;
        List<ScoredItem> byScore = sortByScore(candidates, scores);
        List<ScoredItem> top = byScore.size() > request.k() ? byScore.subList(0, request.k()) : byScore;
        items = top;
        if (reRanker != null) {
          // Stage 4: re-ranking.
          List<ScoredItem> out = rerank(request, byScore, positions, deadline, degradations, stageNanos);
          if (out != null) {
            items = out;
            reranked = true;
          }
        }
      }
    }

    long total = ticker.read() - start;
    requestLatency.record(total);
    if (items.isEmpty()) {
      empty.increment();
    }
    if (!degradations.isEmpty()) {
      degraded.increment();
    }
    return new PipelineResponse(
        request.requestId(), items, degradations, candidates.size(), scored, reranked, total, stageNanos);
  }

  private List<Candidate> generate(
      int i, PipelineRequest request, long deadline, List<Degradation> degradations) {
    CandidateGenerator g = generators[i];
    long t0 = ticker.read();
    long allowed = allowed(Stage.CANDIDATES, t0, deadline);
    if (allowed <= 0) {
      degrade(Stage.CANDIDATES, g.name(), Reason.BUDGET_EXHAUSTED, budgetSpent(deadline, t0), null, degradations);
      return List.of();
    }
    List<Candidate> out;
    try {
      out = g.generate(request, quotas[i]);
    } catch (RuntimeException e) {
      generatorLatency[i].record(ticker.read() - t0);
      degrade(Stage.CANDIDATES, g.name(), Reason.ERROR, describe(e), e, degradations);
      return List.of();
    }
    long took = ticker.read() - t0;
    generatorLatency[i].record(took);
    if (took > allowed) {
      degrade(Stage.CANDIDATES, g.name(), Reason.OVER_BUDGET, overBudget(took, allowed), null, degradations);
      return List.of();
    }
    if (out == null) {
      degrade(Stage.CANDIDATES, g.name(), Reason.INVALID_OUTPUT, "returned null", null, degradations);
      return List.of();
    }
    int n = Math.min(out.size(), quotas[i]);
    for (int j = 0; j < n; j++) {
      if (out.get(j) == null) {
        degrade(Stage.CANDIDATES, g.name(), Reason.INVALID_OUTPUT, "candidate " + j + " is null", null,
            degradations);
        return List.of();
      }
    }
    return n < out.size() ? out.subList(0, n) : out;
  }

  /** Round-robin interleave by rank, deduplicated by item id, cut at maxCandidates. */
  private List<Candidate> merge(List<List<Candidate>> perSource, Map<String, Integer> positions) {
    int longest = 0;
    for (List<Candidate> l : perSource) {
      longest = Math.max(longest, l.size());
    }
    List<Candidate> merged = new ArrayList<>(Math.min(maxCandidates, 1024));
    for (int rank = 0; rank < longest; rank++) {
      for (int s = 0; s < perSource.size(); s++) {
        List<Candidate> l = perSource.get(s);
        if (rank >= l.size()) {
          continue;
        }
        Candidate c = l.get(rank);
        String source = generators[s].name();
        Integer at = positions.get(c.itemId());
        if (at != null) {
          Candidate first = merged.get(at);
          if (!first.isFrom(source)) {
            merged.set(at, first.withAlsoFrom(source));
          }
        } else if (merged.size() < maxCandidates) {
          if (!c.source().equals(source)) {
            c = Candidate.of(c.itemId(), c.retrievalScore(), source);
          }
          positions.put(c.itemId(), merged.size());
          merged.add(c);
        }
      }
    }
    return merged;
  }

  private List<FeatureVector> fetchFeatures(
      PipelineRequest request, List<Candidate> candidates, long deadline, List<Degradation> degradations,
      long[] stageNanos) {
    long t0 = ticker.read();
    long allowed = allowed(Stage.FEATURES, t0, deadline);
    String who = featureSource.name();
    if (allowed <= 0) {
      degrade(Stage.FEATURES, who, Reason.BUDGET_EXHAUSTED, budgetSpent(deadline, t0), null, degradations);
      return null;
    }
    List<FeatureVector> out;
    try {
      out = featureSource.fetch(request, Collections.unmodifiableList(candidates));
    } catch (RuntimeException e) {
      timeStage(Stage.FEATURES, t0, stageNanos);
      degrade(Stage.FEATURES, who, Reason.ERROR, describe(e), e, degradations);
      return null;
    }
    long took = timeStage(Stage.FEATURES, t0, stageNanos);
    if (took > allowed) {
      degrade(Stage.FEATURES, who, Reason.OVER_BUDGET, overBudget(took, allowed), null, degradations);
      return null;
    }
    String invalid = null;
    if (out == null) {
      invalid = "returned null";
    } else if (out.size() != candidates.size()) {
      invalid = "returned " + out.size() + " vectors for " + candidates.size() + " candidates";
    } else {
      for (int i = 0; i < out.size(); i++) {
        FeatureVector v = out.get(i);
        if (v == null) {
          invalid = "vector " + i + " (item '" + candidates.get(i).itemId() + "') is null";
          break;
        }
        if (v.schema() != featureSchema && !v.schema().equals(featureSchema)) {
          invalid = "vector " + i + " (item '" + candidates.get(i).itemId() + "') has schema " + v.schema()
              + ", expected the declared " + featureSchema;
          break;
        }
      }
    }
    if (invalid != null) {
      degrade(Stage.FEATURES, who, Reason.INVALID_OUTPUT, invalid, null, degradations);
      return null;
    }
    return out;
  }

  private double[] score(
      PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features, long deadline,
      List<Degradation> degradations, long[] stageNanos) {
    long t0 = ticker.read();
    long allowed = allowed(Stage.SCORING, t0, deadline);
    String who = scorer.name();
    if (allowed <= 0) {
      degrade(Stage.SCORING, who, Reason.BUDGET_EXHAUSTED, budgetSpent(deadline, t0), null, degradations);
      return null;
    }
    double[] scores;
    try {
      scores = scorer.score(request, Collections.unmodifiableList(candidates), Collections.unmodifiableList(features));
    } catch (RuntimeException e) {
      timeStage(Stage.SCORING, t0, stageNanos);
      degrade(Stage.SCORING, who, Reason.ERROR, describe(e), e, degradations);
      return null;
    }
    long took = timeStage(Stage.SCORING, t0, stageNanos);
    if (took > allowed) {
      degrade(Stage.SCORING, who, Reason.OVER_BUDGET, overBudget(took, allowed), null, degradations);
      return null;
    }
    String invalid = null;
    if (scores == null) {
      invalid = "returned null";
    } else if (scores.length != candidates.size()) {
      invalid = "returned " + scores.length + " scores for " + candidates.size() + " candidates";
    } else {
      for (int i = 0; i < scores.length; i++) {
        if (!Double.isFinite(scores[i])) {
          invalid = "score " + i + " (item '" + candidates.get(i).itemId() + "') is " + scores[i];
          break;
        }
      }
    }
    if (invalid != null) {
      degrade(Stage.SCORING, who, Reason.INVALID_OUTPUT, invalid, null, degradations);
      return null;
    }
    return scores;
  }

  private List<ScoredItem> rerank(
      PipelineRequest request, List<ScoredItem> byScore, Map<String, Integer> positions, long deadline,
      List<Degradation> degradations, long[] stageNanos) {
    long t0 = ticker.read();
    long allowed = allowed(Stage.RERANKING, t0, deadline);
    String who = reRanker.name();
    if (allowed <= 0) {
      degrade(Stage.RERANKING, who, Reason.BUDGET_EXHAUSTED, budgetSpent(deadline, t0), null, degradations);
      return null;
    }
    List<ScoredItem> out;
    try {
      out = reRanker.rerank(request, Collections.unmodifiableList(byScore), request.k());
    } catch (RuntimeException e) {
      timeStage(Stage.RERANKING, t0, stageNanos);
      degrade(Stage.RERANKING, who, Reason.ERROR, describe(e), e, degradations);
      return null;
    }
    long took = timeStage(Stage.RERANKING, t0, stageNanos);
    if (took > allowed) {
      degrade(Stage.RERANKING, who, Reason.OVER_BUDGET, overBudget(took, allowed), null, degradations);
      return null;
    }
    String invalid = null;
    if (out == null) {
      invalid = "returned null";
    } else if (out.size() > request.k()) {
      invalid = "returned " + out.size() + " items for k=" + request.k();
    } else {
      Set<String> seen = new HashSet<>(out.size() * 2);
      for (int i = 0; i < out.size(); i++) {
        ScoredItem s = out.get(i);
        if (s == null) {
          invalid = "item " + i + " is null";
        } else if (!positions.containsKey(s.itemId())) {
          invalid = "item " + i + " ('" + s.itemId() + "') was not among the scored candidates";
        } else if (!seen.add(s.itemId())) {
          invalid = "item '" + s.itemId() + "' appears twice";
        }
        if (invalid != null) {
          break;
        }
      }
    }
    if (invalid != null) {
      degrade(Stage.RERANKING, who, Reason.INVALID_OUTPUT, invalid, null, degradations);
      return null;
    }
    return out;
  }

  private static List<ScoredItem> sortByScore(List<Candidate> candidates, double[] scores) {
    ScoredItem[] arr = new ScoredItem[scores.length];
    for (int i = 0; i < arr.length; i++) {
      arr[i] = ScoredItem.of(candidates.get(i), scores[i]);
    }
    // Stable: equal scores keep retrieval order.
    Arrays.sort(arr, (a, b) -> Double.compare(b.score(), a.score()));
    return Arrays.asList(arr);
  }

  private long allowed(Stage stage, long now, long deadline) {
    long stageBudget = stageBudgetNanos[stage.ordinal()];
    long remaining = deadline == UNLIMITED ? UNLIMITED : deadline - now;
    return Math.min(stageBudget, remaining);
  }

  private long timeStage(Stage stage, long t0, long[] stageNanos) {
    long took = ticker.read() - t0;
    stageNanos[stage.ordinal()] = took;
    stageLatency[stage.ordinal()].record(took);
    return took;
  }

  private void skip(Stage stage, String who, String because, List<Degradation> degradations) {
    degrade(stage, who, Reason.SKIPPED, "not run because " + because, null, degradations);
  }

  private void degrade(
      Stage stage, String component, Reason reason, String detail, RuntimeException cause,
      List<Degradation> degradations) {
    Degradation d = new Degradation(stage, component, reason, detail);
    degradations.add(d);
    degradedByStage[stage.ordinal()].increment();
    if (reason == Reason.ERROR) {
      errors.increment();
    }
    if (reason == Reason.SKIPPED) {
      return;
    }
    long now = ticker.read();
    long last = lastWarnNanos.get(stage.ordinal());
    if (now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(stage.ordinal(), last, now)) {
      // At most one WARN per stage every 10 s, so a failing dependency cannot flood the log.
      LOG.warn("pipeline '{}' degraded: {} (further degradations of this stage logged at DEBUG for 10 s)",
          name, d, cause);
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("pipeline '{}' degraded: {}", name, d, cause);
    }
  }

  private static String describe(RuntimeException e) {
    return e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : "");
  }

  private static String overBudget(long took, long allowed) {
    return "took " + micros(took) + ", budget " + micros(allowed);
  }

  private static String budgetSpent(long deadline, long now) {
    return "request budget spent " + micros(now - deadline) + " before the stage could start";
  }

  private static String micros(long nanos) {
    return nanos / 1000 + "us";
  }

  @Override
  public String toString() {
    List<String> g = new ArrayList<>();
    for (int i = 0; i < generators.length; i++) {
      g.add(generators[i].name() + "<=" + quotas[i]);
    }
    return "TwoStagePipeline{" + name + ", generators=" + g + ", features=" + featureSource.name()
        + ", scorer=" + scorer.name() + (reRanker != null ? ", reRanker=" + reRanker.name() : "") + "}";
  }

  /**
   * Assembles a {@link TwoStagePipeline}. Every setter validates its argument at once; {@link #build()}
   * checks that the stages fit together (in particular that the feature source provides every feature
   * the scorer needs). Not thread-safe.
   */
  public static final class Builder {
    private String name = "pipeline";
    private final List<CandidateGenerator> generators = new ArrayList<>();
    private final List<Integer> quotas = new ArrayList<>();
    private final Map<String, Integer> generatorNames = new LinkedHashMap<>();
    private int maxCandidates = -1;
    private FeatureSource featureSource;
    private Scorer scorer;
    private ReRanker reRanker;
    private long requestBudgetNanos = UNLIMITED;
    private final long[] stageBudgetNanos = new long[Stage.values().length];
    private Ticker ticker = Ticker.system();
    private Telemetry telemetry;

    private Builder() {
      Arrays.fill(stageBudgetNanos, UNLIMITED);
    }

    /**
     * Names the pipeline (default {@code pipeline}); the name prefixes its metrics.
     *
     * @param name matches {@code [A-Za-z0-9_.-]+}
     * @return this builder
     */
    public Builder name(String name) {
      if (name == null || !name.matches("[A-Za-z0-9_.\\-]+")) {
        throw new IllegalArgumentException(
            "pipeline name must match [A-Za-z0-9_.-]+, was " + (name == null ? "null" : "'" + name + "'"));
      }
      this.name = name;
      return this;
    }

    /**
     * Adds a candidate generator with its quota. Generators are merged in the order they are added.
     *
     * @param generator the generator; its name must be unique in this pipeline
     * @param quota the most candidates it may contribute, positive
     * @return this builder
     */
    public Builder addCandidateGenerator(CandidateGenerator generator, int quota) {
      if (generator == null) {
        throw new IllegalArgumentException("candidate generator must not be null");
      }
      String n = generator.name();
      if (n == null || !n.matches("[A-Za-z0-9_.\\-]+")) {
        throw new IllegalArgumentException(
            "candidate generator name must match [A-Za-z0-9_.-]+, was " + (n == null ? "null" : "'" + n + "'"));
      }
      if (quota <= 0) {
        throw new IllegalArgumentException("quota of candidate generator '" + n + "' must be positive, was " + quota);
      }
      if (generatorNames.containsKey(n)) {
        throw new IllegalArgumentException(
            "candidate generator name '" + n + "' is already used by generator #" + generatorNames.get(n));
      }
      generatorNames.put(n, generators.size());
      generators.add(generator);
      quotas.add(quota);
      return this;
    }

    /**
     * Caps the merged candidate list (default: the sum of the quotas).
     *
     * @param max positive
     * @return this builder
     */
    public Builder maxCandidates(int max) {
      if (max <= 0) {
        throw new IllegalArgumentException("maxCandidates must be positive, was " + max);
      }
      this.maxCandidates = max;
      return this;
    }

    /**
     * Sets the feature source (required).
     *
     * @param source the source
     * @return this builder
     */
    public Builder featureSource(FeatureSource source) {
      if (source == null) {
        throw new IllegalArgumentException("featureSource must not be null");
      }
      this.featureSource = source;
      return this;
    }

    /**
     * Sets the scorer (required).
     *
     * @param scorer the scorer
     * @return this builder
     */
    public Builder scorer(Scorer scorer) {
      if (scorer == null) {
        throw new IllegalArgumentException("scorer must not be null");
      }
      this.scorer = scorer;
      return this;
    }

    /**
     * Sets the re-ranker (optional; without one, items are returned in score order).
     *
     * @param reRanker the re-ranker
     * @return this builder
     */
    public Builder reRanker(ReRanker reRanker) {
      if (reRanker == null) {
        throw new IllegalArgumentException("reRanker must not be null (leave it unset for none)");
      }
      this.reRanker = reRanker;
      return this;
    }

    /**
     * Sets the whole request's latency budget (default: unlimited).
     *
     * @param budget positive
     * @return this builder
     */
    public Builder requestBudget(Duration budget) {
      this.requestBudgetNanos = positiveNanos("requestBudget", budget);
      return this;
    }

    /**
     * Sets one stage's budget (default: unlimited, bounded only by the request budget). For
     * {@link Stage#CANDIDATES} it applies to each generator call.
     *
     * @param stage the stage
     * @param budget positive
     * @return this builder
     */
    public Builder stageBudget(Stage stage, Duration budget) {
      if (stage == null) {
        throw new IllegalArgumentException("stage must not be null");
      }
      stageBudgetNanos[stage.ordinal()] = positiveNanos("budget of stage " + stage, budget);
      return this;
    }

    /**
     * Sets the time source for budgets and telemetry (default {@link Ticker#system()}).
     *
     * @param ticker the ticker
     * @return this builder
     */
    public Builder ticker(Ticker ticker) {
      if (ticker == null) {
        throw new IllegalArgumentException("ticker must not be null");
      }
      this.ticker = ticker;
      return this;
    }

    /**
     * Sets where metrics go (default: a new {@link InMemoryTelemetry} per pipeline).
     *
     * @param telemetry the telemetry
     * @return this builder
     */
    public Builder telemetry(Telemetry telemetry) {
      if (telemetry == null) {
        throw new IllegalArgumentException("telemetry must not be null (use Telemetry.noop() for none)");
      }
      this.telemetry = telemetry;
      return this;
    }

    /**
     * Builds the pipeline.
     *
     * @return the pipeline
     * @throws IllegalStateException if no generator, feature source or scorer was set
     * @throws IllegalArgumentException if the feature source does not provide the scorer's inputs
     */
    public TwoStagePipeline build() {
      if (generators.isEmpty()) {
        throw new IllegalStateException("a pipeline needs at least one candidate generator");
      }
      if (featureSource == null) {
        throw new IllegalStateException("featureSource was not set");
      }
      if (scorer == null) {
        throw new IllegalStateException("scorer was not set");
      }
      FeatureSchema provided = featureSource.schema();
      if (provided == null) {
        throw new IllegalArgumentException("feature source '" + featureSource.name() + "' declares a null schema");
      }
      FeatureSchema needed = scorer.inputSchema();
      if (needed == null) {
        throw new IllegalArgumentException("scorer '" + scorer.name() + "' declares a null input schema");
      }
      needed.checkProvidedBy(provided, "scorer '" + scorer.name() + "'", "feature source '" + featureSource.name() + "'");
      return new TwoStagePipeline(this);
    }

    private static long positiveNanos(String field, Duration d) {
      if (d == null) {
        throw new IllegalArgumentException(field + " must not be null");
      }
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(field + " must be positive, was " + d);
      }
      try {
        return d.toNanos();
      } catch (ArithmeticException e) {
        return UNLIMITED;
      }
    }
  }
}
