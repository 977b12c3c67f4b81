package org.sieveml.core.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLongArray;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.Ticker;
import org.sieveml.core.internal.ReadOnlyArrayList;
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
 * <h2>Served-feature logging</h2>
 * With a {@linkplain Builder#servingLog(ServingLog) serving log}, each request the log
 * {@linkplain ServingLog#isSampled(String) samples} is served through
 * {@link FeatureSource#fetchWithStatus} (keys, statuses and read time besides the vectors) and recorded
 * as a {@link ServedRequest} after its response is complete; the log writes it in the background and
 * never delays or fails the request (see {@link ServingLog}).
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
  private final String[] generatorNames;
  private final String featureSourceName;
  private final String scorerName;
  private final String scorerVersion;
  private final String reRankerName;
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
  private final ServingLog servingLog;

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
    this.generatorNames = new String[generators.length];
    for (int i = 0; i < generators.length; i++) {
      generatorNames[i] = generators[i].name();
    }
    this.featureSourceName = b.featureSource.name();
    this.scorerName = b.scorer.name();
    String version = b.scorer.version();
    this.scorerVersion = version == null ? "" : version;
    this.reRankerName = b.reRanker == null ? null : b.reRanker.name();
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
    this.servingLog = b.servingLog;

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
    requests.increment();
    boolean logged = servingLog != null && servingLog.isSampled(request.requestId());
    long servedAt = logged ? servingLog.nowMillis() : 0;
    Run run = new Run(request);
    run.logged = logged;

    // Stage 1: candidates. Each stage starts at the previous stage's end reading of the ticker.
    Object[][] perSource = new Object[generators.length][];
    int[] perSourceSize = new int[generators.length];
    for (int i = 0; i < generators.length; i++) {
      List<Candidate> out = generate(i, run);
      perSource[i] = out == null ? NONE : out.toArray();
      perSourceSize[i] = out == null ? 0 : Math.min(out.size(), quotas[i]);
    }
    Map<String, Integer> positions = new HashMap<>(maxCandidates * 2);
    List<Candidate> candidates = merge(perSource, perSourceSize, positions, run);
    run.endStage(Stage.CANDIDATES, run.start);

    List<ScoredItem> items;
    boolean scored = false;
    boolean reranked = false;
    if (candidates.isEmpty()) {
      items = List.of();
    } else {
      List<FeatureVector> features = fetchFeatures(candidates, run);
      double[] scores = null;
      if (features == null) {
        run.degrade(Stage.SCORING, scorer.name(), Reason.SKIPPED, "not run because features degraded", null);
      } else {
        scores = score(candidates, features, run);
      }
      List<ScoredItem> byScore = scores == null ? null : sortByScore(candidates, scores, run);
      if (byScore != null) {
        run.scores = scores;
      }
      if (features != null) {
        // The scoring stage's latency includes ordering by score, so re-ranking is timed alone.
        run.endStage(Stage.SCORING, run.scoringStart);
      }
      if (byScore == null) {
        int n = Math.min(request.k(), candidates.size());
        ScoredItem[] out = new ScoredItem[n];
        for (int i = 0; i < n; i++) {
          out[i] = ScoredItem.unscored(candidates.get(i));
        }
        items = Arrays.asList(out);
        if (reRanker != null) {
          run.degrade(Stage.RERANKING, reRanker.name(), Reason.SKIPPED, "not run because scoring degraded", null);
        }
      } else {
        scored = true;
        items = byScore.size() > request.k() ? byScore.subList(0, request.k()) : byScore;
        if (reRanker != null) {
          List<ScoredItem> out = rerank(byScore, positions, run);
          if (out != null) {
            items = out;
            reranked = true;
          }
        }
      }
    }

    long total = ticker.read() - run.start;
    requestLatency.record(total);
    if (items.isEmpty()) {
      empty.increment();
    }
    if (!run.degradations.isEmpty()) {
      degraded.increment();
    }
    PipelineResponse response = new PipelineResponse(request.requestId(), items, run.degradations,
        candidates.size(), scored, reranked, total, run.stageNanos);
    if (logged) {
      logServed(run, servedAt, candidates, response);
    }
    return response;
  }

  /** Hands the log what this request served; never throws (a record that cannot be built is counted). */
  private void logServed(Run run, long servedAt, List<Candidate> candidates, PipelineResponse response) {
    try {
      FeatureFetch f = run.vectors == null ? null : run.fetch;
      Set<Stage> stages = EnumSet.noneOf(Stage.class);
      for (Degradation d : run.degradations) {
        stages.add(d.stage());
      }
      List<FeatureVector> vectors = run.vectors == null ? List.of() : run.vectors;
      List<EntityKey> keys = f == null ? List.of() : f.keys();
      byte[] status = f == null ? new byte[0] : f.statusCodes();
      long readTime = f == null ? FeatureFetch.UNKNOWN_TIME : f.readTimeMillis();
      servingLog.offer(new ServedRequest(run.request.requestId(), servedAt, run.request.entity(), run.request.k(),
          name, featureSourceName, featureSchema, scorerName, scorerVersion, readTime, stages, candidates, keys,
          vectors, status, run.scores, response.items()));
    } catch (RuntimeException e) {
      servingLog.lost(e);
    }
  }

  private static final Object[] NONE = new Object[0];

  /** The state of one request: its clock readings, budget and degradations. */
  private final class Run {
    final PipelineRequest request;
    final long start;
    final long deadline;
    final List<Degradation> degradations = new ArrayList<>(0);
    final long[] stageNanos = new long[Stage.values().length];
    /** The latest ticker reading: the end of the previous step and the start of the next. */
    long now;
    /** When scoring started; the stage ends after ordering by score. */
    long scoringStart;
    /** Whether the serving log records this request. */
    boolean logged;
    /** The features fetch of a logged request (null otherwise, or when it failed). */
    FeatureFetch fetch;
    /** The vectors served to the scorer (null when the features stage degraded). */
    List<FeatureVector> vectors;
    /** The validated model scores (null unless scoring succeeded). */
    double[] scores;

    Run(PipelineRequest request) {
      this.request = request;
      this.start = ticker.read();
      this.now = start;
      this.deadline = requestBudgetNanos == UNLIMITED ? UNLIMITED : start + requestBudgetNanos;
    }

    /** The budget of a stage starting now, or a degradation and -1 if the request budget is spent. */
    long allowedOrDegrade(Stage stage, String who) {
      long remaining = deadline == UNLIMITED ? UNLIMITED : deadline - now;
      long allowed = Math.min(stageBudgetNanos[stage.ordinal()], remaining);
      if (allowed <= 0) {
        degrade(stage, who, Reason.BUDGET_EXHAUSTED,
            "request budget spent " + micros(now - deadline) + " before the stage could start", null);
        return -1;
      }
      return allowed;
    }

    /** Reads the ticker, records the stage's latency since {@code t0}, and returns it. */
    long endStage(Stage stage, long t0) {
      now = ticker.read();
      long took = now - t0;
      stageNanos[stage.ordinal()] = took;
      stageLatency[stage.ordinal()].record(took);
      return took;
    }

    /** Records a stage outcome that is not usable: thrown, late, or invalid. */
    void fail(Stage stage, String who, long took, long allowed, RuntimeException error, String invalid) {
      if (error != null) {
        degrade(stage, who, Reason.ERROR, describe(error), error);
      } else if (took > allowed) {
        degrade(stage, who, Reason.OVER_BUDGET, "took " + micros(took) + ", budget " + micros(allowed), null);
      } else {
        degrade(stage, who, Reason.INVALID_OUTPUT, invalid, null);
      }
    }

    void degrade(Stage stage, String component, Reason reason, String detail, RuntimeException cause) {
      Degradation d = new Degradation(stage, component, reason, detail);
      degradations.add(d);
      degradedByStage[stage.ordinal()].increment();
      if (reason == Reason.ERROR) {
        errors.increment();
      }
      if (reason != Reason.SKIPPED) {
        log(d, cause);
      }
    }
  }

  /** Calls generator {@code i}; null when it degraded (the degradation is recorded). */
  private List<Candidate> generate(int i, Run run) {
    String who = generatorNames[i];
    long allowed = run.allowedOrDegrade(Stage.CANDIDATES, who);
    if (allowed < 0) {
      return null;
    }
    long t0 = run.now;
    List<Candidate> out = null;
    RuntimeException error = null;
    try {
      out = generators[i].generate(run.request, quotas[i]);
    } catch (RuntimeException e) {
      error = e;
    }
    run.now = ticker.read();
    long took = run.now - t0;
    generatorLatency[i].record(took);
    if (error != null || took > allowed || out == null) {
      run.fail(Stage.CANDIDATES, who, took, allowed, error, "returned null");
      return null;
    }
    return out;
  }

  /**
   * Round-robin interleave by rank, deduplicated by item id, cut at maxCandidates. A null candidate
   * invalidates its source's whole list, which is then left out.
   */
  private List<Candidate> merge(Object[][] perSource, int[] sizes, Map<String, Integer> positions, Run run) {
    for (int s = 0; s < perSource.length; s++) {
      for (int j = 0; j < sizes[s]; j++) {
        if (perSource[s][j] == null) {
          run.degrade(Stage.CANDIDATES, generatorNames[s], Reason.INVALID_OUTPUT, "candidate " + j + " is null", null);
          sizes[s] = 0;
          break;
        }
      }
    }
    int longest = 0;
    int total = 0;
    for (int size : sizes) {
      longest = Math.max(longest, size);
      total += size;
    }
    Object[] merged = new Object[Math.min(maxCandidates, total)];
    int n = 0;
    for (int rank = 0; rank < longest; rank++) {
      for (int s = 0; s < perSource.length; s++) {
        if (rank >= sizes[s]) {
          continue;
        }
        Candidate c = (Candidate) perSource[s][rank];
        String source = generatorNames[s];
        Integer at = positions.get(c.itemId());
        if (at != null) {
          Candidate first = (Candidate) merged[at];
          if (!first.isFrom(source)) {
            merged[at] = first.withAlsoFrom(source);
          }
        } else if (n < merged.length) {
          if (!c.source().equals(source)) {
            c = Candidate.of(c.itemId(), c.retrievalScore(), source);
          }
          positions.put(c.itemId(), n);
          merged[n++] = c;
        }
      }
    }
    return new ReadOnlyArrayList<>(merged, n);
  }

  private List<FeatureVector> fetchFeatures(List<Candidate> candidates, Run run) {
    String who = featureSourceName;
    long allowed = run.allowedOrDegrade(Stage.FEATURES, who);
    if (allowed < 0) {
      return null;
    }
    long t0 = run.now;
    List<FeatureVector> out = null;
    RuntimeException error = null;
    try {
      if (run.logged) {
        FeatureFetch f = featureSource.fetchWithStatus(run.request, candidates);
        run.fetch = f;
        out = f == null ? null : f.vectors();
      } else {
        out = featureSource.fetch(run.request, candidates);
      }
    } catch (RuntimeException e) {
      error = e;
    }
    long took = run.endStage(Stage.FEATURES, t0);
    String invalid = error != null || took > allowed ? null : invalidFeatures(out, candidates);
    if (error != null || took > allowed || invalid != null) {
      run.fail(Stage.FEATURES, who, took, allowed, error, invalid);
      return null;
    }
    List<FeatureVector> served = out instanceof ReadOnlyArrayList ? out : new ReadOnlyArrayList<>(out.toArray(), out.size());
    run.vectors = served;
    return served;
  }

  private String invalidFeatures(List<FeatureVector> out, List<Candidate> candidates) {
    if (out == null) {
      return "returned null";
    }
    if (out.size() != candidates.size()) {
      return "returned " + out.size() + " vectors for " + candidates.size() + " candidates";
    }
    for (int i = 0; i < out.size(); i++) {
      FeatureVector v = out.get(i);
      if (v == null) {
        return "vector " + i + " (item '" + candidates.get(i).itemId() + "') is null";
      }
      if (v.schema() != featureSchema && !v.schema().equals(featureSchema)) {
        return "vector " + i + " (item '" + candidates.get(i).itemId() + "') has schema " + v.schema()
            + ", expected the declared " + featureSchema;
      }
    }
    return null;
  }

  private double[] score(List<Candidate> candidates, List<FeatureVector> features, Run run) {
    run.scoringStart = run.now;
    String who = scorerName;
    long allowed = run.allowedOrDegrade(Stage.SCORING, who);
    if (allowed < 0) {
      return null;
    }
    long t0 = run.now;
    double[] scores = null;
    RuntimeException error = null;
    try {
      scores = scorer.score(run.request, candidates, features);
    } catch (RuntimeException e) {
      error = e;
    }
    run.now = ticker.read();
    long took = run.now - t0;
    String invalid = null;
    if (error == null && took <= allowed) {
      if (scores == null) {
        invalid = "returned null";
      } else if (scores.length != candidates.size()) {
        invalid = "returned " + scores.length + " scores for " + candidates.size() + " candidates";
      }
    }
    if (error != null || took > allowed || invalid != null) {
      run.fail(Stage.SCORING, who, took, allowed, error, invalid);
      return null;
    }
    return scores;
  }

  private List<ScoredItem> rerank(List<ScoredItem> byScore, Map<String, Integer> positions, Run run) {
    String who = reRankerName;
    long allowed = run.allowedOrDegrade(Stage.RERANKING, who);
    if (allowed < 0) {
      return null;
    }
    long t0 = run.now;
    List<ScoredItem> out = null;
    RuntimeException error = null;
    try {
      out = reRanker.rerank(run.request, byScore, run.request.k());
    } catch (RuntimeException e) {
      error = e;
    }
    long took = run.endStage(Stage.RERANKING, t0);
    String invalid = error != null || took > allowed ? null : invalidReRanking(out, positions, run.request.k());
    if (error != null || took > allowed || invalid != null) {
      run.fail(Stage.RERANKING, who, took, allowed, error, invalid);
      return null;
    }
    return out;
  }

  private static String invalidReRanking(List<ScoredItem> out, Map<String, Integer> positions, int k) {
    if (out == null) {
      return "returned null";
    }
    if (out.size() > k) {
      return "returned " + out.size() + " items for k=" + k;
    }
    Set<String> seen = new HashSet<>(out.size() * 2);
    for (int i = 0; i < out.size(); i++) {
      ScoredItem s = out.get(i);
      if (s == null) {
        return "item " + i + " is null";
      }
      if (!positions.containsKey(s.itemId())) {
        return "item " + i + " ('" + s.itemId() + "') was not among the scored candidates";
      }
      if (!seen.add(s.itemId())) {
        return "item '" + s.itemId() + "' appears twice";
      }
    }
    return null;
  }

  /** Scored items best first (stable: ties keep retrieval order); null with a degradation on NaN/Inf. */
  private List<ScoredItem> sortByScore(List<Candidate> candidates, double[] scores, Run run) {
    ScoredItem[] arr = new ScoredItem[scores.length];
    for (int i = 0; i < arr.length; i++) {
      if (!Double.isFinite(scores[i])) {
        run.degrade(Stage.SCORING, scorerName, Reason.INVALID_OUTPUT,
            "score " + i + " (item '" + candidates.get(i).itemId() + "') is " + scores[i], null);
        return null;
      }
      arr[i] = ScoredItem.of(candidates.get(i), scores[i]);
    }
    Arrays.sort(arr, BY_SCORE_DESC);
    return new ReadOnlyArrayList<>(arr, arr.length);
  }

  private static final Comparator<ScoredItem> BY_SCORE_DESC = (a, b) -> Double.compare(b.score(), a.score());

  private void log(Degradation d, RuntimeException cause) {
    long now = ticker.read();
    int stage = d.stage().ordinal();
    long last = lastWarnNanos.get(stage);
    if (now - last >= WARN_INTERVAL_NANOS && lastWarnNanos.compareAndSet(stage, last, now)) {
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
    private ServingLog servingLog;

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
     * Sets the served-feature log (optional): each request it samples is recorded, after its response
     * is complete, as a {@link ServedRequest}. The pipeline does not close the log; the host closes it
     * after the last request.
     *
     * @param log the log
     * @return this builder
     */
    public Builder servingLog(ServingLog log) {
      if (log == null) {
        throw new IllegalArgumentException("servingLog must not be null (leave it unset for none)");
      }
      this.servingLog = log;
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
