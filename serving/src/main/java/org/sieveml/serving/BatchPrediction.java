package org.sieveml.serving;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.features.Entity;
import org.sieveml.features.EntityRows;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.FeatureView;
import org.sieveml.features.StreamBatch;
import org.sieveml.features.TrainingData;
import org.sieveml.ranking.ModelVersion;
import org.sieveml.ranking.Ranker;
import org.sieveml.serving.internal.ItemLists;
import org.sieveml.serving.internal.Keys;

/**
 * Batch prediction: scores every entity of a set — or every (entity, candidate) pair a candidate generator
 * proposes, keeping the top N per entity — at one point in time, and writes the results back to the
 * feature store as a feature view of predictions, offline and online, with a TTL. Hosts then read them
 * like any other feature ({@link FeatureStore#getOnlineFeatures} with {@link #predictionService()}) or, for
 * top-N lists, as a candidate generator ({@link PrecomputedCandidates}).
 *
 * <pre>{@code
 * BatchPrediction churn = BatchPrediction.builder(store)
 *     .service(userFeatures)                        // what the model was trained on
 *     .ranker(model, modelVersion)                  // e.g. from ModelRegistry.loadProduction + production()
 *     .outputView("churn_scores", user, Duration.ofDays(2))
 *     .chunkSize(2_000)
 *     .build();
 * BatchResult r = churn.run(users, scoreTime, p -> log.info("{}", p));
 * OnlineFeatures f = store.getOnlineFeatures(keys, churn.predictionService());   // score, model_version, scored_at
 * }</pre>
 *
 * <p><b>What is computed.</b> Features come from the point-in-time join
 * ({@link FeatureStore#getHistoricalFeatures(EntityRows, FeatureService)}, i.e. what serving could have seen)
 * at {@code scoreTime} for every key, and are scored by the ranker's {@link Ranker#predict(
 * org.sieveml.core.FeatureFrame) frame path} (the same encoder as online). Since an online read at
 * {@code now} returns what that join returns at {@code now}, a batch score equals the online score of the
 * same entity read at {@code scoreTime}, bit for bit (tested). Each result is a row of the prediction view
 * with event time and created time {@code scoreTime} (so it expires {@code ttl} after {@code scoreTime}),
 * and the features {@value #SCORE} (entity mode) or {@value #ITEMS} and {@value #SCORES} (pairs mode), plus
 * {@value #MODEL_VERSION} and {@value #SCORED_AT} (the builder's clock when the chunk was scored). In pairs mode
 * the features of a pair come either from that join, keyed by the pair's entity key, or — when the ranker
 * also reads what only retrieval knows (a candidate's retrieval score, its rank among the user's candidates)
 * — from the host's {@link FeatureSource}, the very one its online pipeline uses
 * ({@link Builder#pairs(CandidateGenerator, int, int, FeatureSource)}); then a stored score is the score the
 * online pipeline would have given the same candidates with the features that source returned during the run. A later
 * run at a later time supersedes the online row; offline, every run's rows stay in the view's log.
 *
 * <p><b>Chunks and resumption: exactly one row per entity and run.</b> A run is identified by
 * {@link #runId}: a fingerprint of the distinct keys, the score time, the model version, the feature
 * service's version and the mode (with an optional host label). Its keys are sorted into one deterministic
 * order and cut into chunks of {@link Builder#chunkSize} keys; key {@code i} is offset {@code i} of the
 * stream source {@code runId} of the prediction view. Each chunk is written with
 * {@link FeatureStore#pushFrom}: the offline log appends only rows at or above the source position stored
 * with the rows in the same atomic write, and is made durable; then one online commit applies the rows
 * and moves the run's position from where this run read it to the chunk's end by compare-and-set. So a run
 * killed at any moment — mid-join, between the offline and the online write, mid-commit — and started
 * again with the same inputs reads its position from the online store, skips the chunks before it
 * ({@link BatchResult#skipped()}), recomputes at most the chunk that was in flight (the offline log, ahead
 * of the online position by at most that chunk, skips its rows), and ends with exactly one row per entity
 * and run in the offline log and every entity online. This needs an online store that commits atomically
 * and an offline store that appends exactly once (the embedded stores, the Caffeine tier and Redis
 * do); otherwise the first chunk's write throws {@link UnsupportedOperationException} (an offline log that
 * can append exactly once may then hold that chunk, which a rerun on capable stores skips). Two writers running
 * the same run at once on the same stores do not duplicate rows either: the one whose commit finds the
 * position moved stops with an {@link IllegalStateException} (tested with two threads). Resumption recomputes the same scores only when the join at
 * {@code scoreTime} is stable: score at a time in the past of every late ingestion (with
 * {@code AS_SERVED} visibility a row ingested after {@code scoreTime} never counts).
 *
 * <p><b>Threads.</b> By default the calling thread joins, scores and writes the chunks one after another.
 * With {@link Builder#writeBehind}, each chunk's results are made and written (offline, then online) on a
 * writer while the caller computes the next chunk: one write in flight, in key order, so the run's position
 * moves chunk by chunk as without it; {@code run} returns after the last write, having started no write it
 * did not finish. This pays where writes wait on something other than this machine's CPU (a Redis online
 * store, a disk) or cores are idle; on a 2-core machine already busy with the offline store's background
 * seals and merges it was slower (see {@code BatchScoringBenchmark}). With
 * {@link Builder#executor(Executor, int)}, up to {@code parallelism} chunks are joined and scored at once on
 * the executor; writes stay sequential.
 *
 * <p><b>Thread-safety.</b> Immutable once built; {@link #run} may be called from several threads for
 * different runs. The builder is not thread-safe.
 */
public final class BatchPrediction {

  /** The feature holding an entity's score (entity mode). */
  public static final String SCORE = "score";
  /** The feature holding the model version that scored the row: {@code name@vN}, or the host's label. */
  public static final String MODEL_VERSION = "model_version";
  /** The feature holding when the row was scored, epoch milliseconds of the builder's clock. */
  public static final String SCORED_AT = "scored_at";
  /** The feature holding the top-N item ids, best first, separated by U+001F (pairs mode). */
  public static final String ITEMS = "items";
  /** The feature holding the top-N scores, comma-separated {@link Double#toString} values (pairs mode). */
  public static final String SCORES = "scores";

  private final FeatureStore store;
  private final FeatureService service;
  private final Ranker ranker;
  private final String modelVersion;
  private final FeatureView view;
  private final FeatureService predictionService;
  private final int chunkSize;
  private final Executor executor;
  private final int parallelism;
  private final boolean writeBehind;
  private final Executor writeExecutor;
  private final String runLabel;
  private final LongSupplier clock;
  private final CandidateGenerator generator;
  private final int candidatesPerEntity;
  private final int topN;
  private final BiFunction<EntityKey, Candidate, EntityKey> pairKey;
  private final FeatureSource pairFeatures;
  /** The one integral join key of every view of the service and of the output entity, or null. */
  private final String longJoinKey;

  private BatchPrediction(Builder b, FeatureView view, FeatureService predictionService, String longJoinKey) {
    this.longJoinKey = longJoinKey;
    this.store = b.store;
    this.service = b.service;
    this.ranker = b.ranker;
    this.modelVersion = b.modelVersion;
    this.view = view;
    this.predictionService = predictionService;
    this.chunkSize = b.chunkSize;
    this.executor = b.executor;
    this.parallelism = b.parallelism;
    this.writeBehind = b.writeBehind;
    this.writeExecutor = b.writeExecutor;
    this.runLabel = b.runLabel;
    this.clock = b.clock;
    this.generator = b.generator;
    this.candidatesPerEntity = b.candidatesPerEntity;
    this.topN = b.topN;
    this.pairKey = b.pairKey;
    this.pairFeatures = b.pairFeatures;
  }

  /**
   * Starts a builder.
   *
   * @param store the feature store that holds the features and receives the predictions
   * @return a new builder
   */
  public static Builder builder(FeatureStore store) {
    if (store == null) {
      throw new IllegalArgumentException("feature store must not be null");
    }
    return new Builder(store);
  }

  /**
   * The prediction view (registered in the store's registry by {@link Builder#build()}).
   *
   * @return the view
   */
  public FeatureView predictionView() {
    return view;
  }

  /**
   * A feature service selecting every feature of the prediction view (registered with it), for
   * {@link FeatureStore#getOnlineFeatures} and {@link PrecomputedCandidates}.
   *
   * @return the service, named like the view
   */
  public FeatureService predictionService() {
    return predictionService;
  }

  /**
   * Whether this batch scores (entity, candidate) pairs and stores top-N lists.
   *
   * @return true in pairs mode
   */
  public boolean pairs() {
    return generator != null;
  }

  /**
   * The identity of a run: the stream source its chunks are written under. Equal inputs give equal ids, so
   * a rerun after a crash resumes; any other key set, score time, model or feature service starts a new run.
   *
   * @param entities the entities (order and duplicates do not matter)
   * @param scoreTime the score time, epoch milliseconds
   * @return {@code batch:[label:]<16 hex digits>}
   */
  public String runId(Collection<EntityKey> entities, long scoreTime) {
    return runId(Keys.sort(entities), scoreTime);
  }

  private String runId(Keys.Sorted sorted, long scoreTime) {
    Keys.Fingerprint f = new Keys.Fingerprint().add("sieveml-batch-2").add(view.version())
        .add(service != null ? service.version() : "source:" + pairFeatures.name())
        .add(modelVersion).addLong(scoreTime).add(generator == null ? "entities" : "pairs:" + generator.name())
        .addLong(candidatesPerEntity).addLong(topN).addLong(sorted.keys().size());
    if (sorted.ids() != null) {
      f.add("long:" + sorted.name());
      f.addLongs(sorted.ids());
    } else {
      for (EntityKey k : sorted.keys()) {
        f.add(k);
      }
    }
    return "batch:" + (runLabel.isEmpty() ? "" : runLabel + ":") + f.hex16();
  }

  /**
   * Scores every entity at {@code scoreTime} and writes the results, resuming a run of the same inputs that
   * stopped before its end (see the class Javadoc). In pairs mode each entity's candidates are generated
   * (at most {@link Builder#pairs candidatesPerEntity}), every pair is scored and the best
   * {@code topN} are stored, ties in retrieval order.
   *
   * @param entities the entities to score: keys of the prediction view's entity (in entity mode they may
   *     carry more join keys, projected away in the output); order and duplicates do not matter
   * @param scoreTime the time of the features, epoch milliseconds; the predictions' event time. It must not
   *     be later than the store's clock plus its future tolerance
   * @param progress receives a {@link BatchProgress} after every chunk written (on the calling thread), or
   *     null; an exception it throws stops the run after that chunk, which a rerun then skips
   * @return what this call did
   * @throws IllegalArgumentException when a key lacks a join key, a score is not finite, or a generator
   *     returns null; chunks written before stay written
   * @throws IllegalStateException when another writer moved the run's position (the same run at once)
   * @throws UnsupportedOperationException when the stores cannot write exactly once
   */
  public BatchResult run(Collection<EntityKey> entities, long scoreTime, Consumer<BatchProgress> progress) {
    long started = System.nanoTime();
    if (scoreTime < 0 || scoreTime > EventBatch.MAX_TIME) {
      throw new IllegalArgumentException("scoreTime is " + scoreTime + ", expected epoch milliseconds in [0, "
          + EventBatch.MAX_TIME + "]");
    }
    Keys.Sorted sorted = Keys.sort(entities);
    List<EntityKey> keys = sorted.keys();
    long[] ids = sorted.ids() != null && sorted.name().equals(longJoinKey) ? sorted.ids() : null;
    Entity entity = view.entity();
    boolean oneLongKey = sorted.ids() != null && entity.joinKeys().equals(List.of(sorted.name()));
    for (EntityKey k : oneLongKey ? List.<EntityKey>of() : keys) {
      if (!k.names().containsAll(entity.joinKeys())) {
        throw new IllegalArgumentException("entity key " + k + " lacks join keys of entity '" + entity.name()
            + "', expected " + entity.joinKeys());
      }
    }
    String source = runId(sorted, scoreTime);
    int n = keys.size();
    long stored = store.streamPosition(view.name(), source);
    int start = stored == Long.MIN_VALUE ? 0 : (int) Math.min(stored, n);
    int chunksTotal = (n + chunkSize - 1) / chunkSize;
    int chunksBefore = start == n ? chunksTotal : start / chunkSize;
    long expected = stored;
    ArrayDeque<Chunk> inflight = new ArrayDeque<>();
    int next = start;
    int chunksWritten = 0;
    long pairsScored = 0;
    ExecutorService ownWriter = writeBehind && writeExecutor == null && n - start > chunkSize
        ? Executors.newSingleThreadExecutor(r -> {
          Thread t = new Thread(r, "sieveml-batch-writer");
          t.setDaemon(true);
          return t;
        }) : null;
    Executor writer = !writeBehind ? null : writeExecutor != null ? writeExecutor : ownWriter;
    CompletableFuture<Long> writing = null; // the write in flight (write-behind), returning its chunk's end
    Chunk written = null;
    long writtenPairs = 0;
    try {
      while (next < n || !inflight.isEmpty()) {
        while (next < n && inflight.size() < parallelism) {
          int from = next;
          int to = Math.min(n, (from / chunkSize + 1) * chunkSize);
          List<EntityKey> part = keys.subList(from, to);
          long[] partIds = ids == null ? null : java.util.Arrays.copyOfRange(ids, from, to);
          CompletableFuture<Scored> f = executor == null
              ? CompletableFuture.completedFuture(score(part, partIds, scoreTime))
              : CompletableFuture.supplyAsync(() -> score(part, partIds, scoreTime), executor);
          inflight.add(new Chunk(from, to, f));
          next = to;
        }
        Chunk c = inflight.poll();
        Scored s = join(c.result);
        if (writing != null) { // the previous chunk's write: done before this one starts
          CompletableFuture<Long> w = writing;
          writing = null;
          expected = join(w);
          chunksWritten++;
          pairsScored += writtenPairs;
          report(progress, source, written.to, n, chunksBefore + chunksWritten, chunksTotal);
        }
        if (writer == null) {
          expected = write(source, c, s, expected);
          chunksWritten++;
          pairsScored += s.pairs;
          report(progress, source, c.to, n, chunksBefore + chunksWritten, chunksTotal);
          continue;
        }
        long from = expected;
        writing = CompletableFuture.supplyAsync(() -> write(source, c, s, from), writer);
        written = c;
        writtenPairs = s.pairs;
      }
      if (writing != null) {
        CompletableFuture<Long> w = writing;
        writing = null;
        join(w);
        chunksWritten++;
        pairsScored += writtenPairs;
        report(progress, source, written.to, n, chunksBefore + chunksWritten, chunksTotal);
      }
    } catch (RuntimeException | Error e) {
      if (writing != null) { // a write in flight ends before run does: nothing is written after run returns
        try {
          writing.join();
        } catch (RuntimeException suppressed) {
          e.addSuppressed(suppressed.getCause() != null ? suppressed.getCause() : suppressed);
        }
      }
      throw e;
    } finally {
      for (Chunk c : inflight) {
        c.result.cancel(false);
      }
      if (ownWriter != null) {
        ownWriter.shutdown();
      }
    }
    return new BatchResult(source, n, start, n - start, chunksWritten, pairsScored,
        Duration.ofNanos(System.nanoTime() - started));
  }

  /**
   * Writes one chunk's rows offline and online, moving the run's position from {@code expected} to the
   * chunk's end by compare-and-set.
   *
   * @return the chunk's end, the run's new position
   */
  private long write(String source, Chunk c, Scored s, long expected) {
    long[] offsets = new long[c.to - c.from];
    for (int i = 0; i < offsets.length; i++) {
      offsets[i] = c.from + i;
    }
    StreamBatch batch = StreamBatch.builder().add(view.name(), source, s.rows.get(), offsets, expected, c.to).build();
    if (!store.pushFrom(batch)) {
      throw new IllegalStateException("run " + source + " of view '" + view.name() + "': its position moved from "
          + expected + " while writing entities [" + c.from + ", " + c.to + "); another writer runs it");
    }
    return c.to;
  }

  private static void report(Consumer<BatchProgress> progress, String source, int done, int n, int chunksDone,
      int chunksTotal) {
    if (progress != null) {
      progress.accept(new BatchProgress(source, done, n, chunksDone, chunksTotal));
    }
  }

  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (e.getCause() instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  private record Chunk(int from, int to, CompletableFuture<Scored> result) {}

  /** A chunk's results: its rows of the prediction view, made by whoever writes them, and pairs scored. */
  private record Scored(Supplier<EventBatch> rows, long pairs) {}

  /**
   * Joins and scores one chunk of sorted keys into rows of the prediction view.
   *
   * @param ids the keys as long ids when they are the one integral join key of the service and the output
   *     entity (a columnar path for the join and the rows), else null
   */
  private Scored score(List<EntityKey> part, long[] ids, long scoreTime) {
    return generator == null ? scoreEntities(part, ids, scoreTime) : scorePairs(part, scoreTime);
  }

  private Scored scoreEntities(List<EntityKey> part, long[] ids, long scoreTime) {
    int m = part.size();
    long[] ts = new long[m];
    java.util.Arrays.fill(ts, scoreTime);
    double[] scores = ranker.predict(store.getHistoricalFeatures(ids != null ? EntityRows.ofLongKeys(ids, ts, null)
        : EntityRows.of(part, ts, null), service).frame());
    long scoredAt = clock.getAsLong();
    for (int i = 0; i < m; i++) {
      double s = scores[i];
      if (!Double.isFinite(s)) {
        throw new IllegalArgumentException("score of entity " + part.get(i) + " is " + s + " (model " + modelVersion
            + "), expected a finite value");
      }
    }
    if (ids != null) { // the rows are made on the writer's thread (write-behind)
      return new Scored(() -> {
        String[] versions = new String[m];
        java.util.Arrays.fill(versions, modelVersion);
        long[] at = new long[m];
        java.util.Arrays.fill(at, scoredAt);
        FeatureFrame values = FeatureFrame.builder(m).addDouble(SCORE, scores).addString(MODEL_VERSION, versions)
            .addLong(SCORED_AT, at, null).build();
        return EventBatch.ofLongKeys(ids, ts, ts, values);
      }, m);
    }
    EventBatch.Builder b = EventBatch.builder(view.schema());
    for (int i = 0; i < m; i++) {
      b.add(outputKey(part.get(i)), scoreTime, scoreTime, scores[i], modelVersion, scoredAt);
    }
    EventBatch rows = b.build();
    return new Scored(() -> rows, m);
  }

  private double[] predict(List<EntityKey> keys, long scoreTime) {
    long[] ts = new long[keys.size()];
    java.util.Arrays.fill(ts, scoreTime);
    TrainingData td = store.getHistoricalFeatures(EntityRows.of(keys, ts, null), service);
    return ranker.predict(td.frame());
  }

  private Scored scorePairs(List<EntityKey> part, long scoreTime) {
    int m = part.size();
    int[] start = new int[m + 1];
    List<EntityKey> pairKeys = new ArrayList<>();
    List<FeatureVector> pairRows = new ArrayList<>();
    List<String> items = new ArrayList<>();
    for (int u = 0; u < m; u++) {
      EntityKey user = part.get(u);
      PipelineRequest request = PipelineRequest.of(user, topN);
      List<Candidate> cands = generator.generate(request, candidatesPerEntity);
      if (cands == null) {
        throw new IllegalArgumentException("candidate generator '" + generator.name() + "' returned null for "
            + user + ", expected a list");
      }
      Set<String> seen = new HashSet<>();
      // the candidates a feature source is asked about; the join path needs only their pair keys
      List<Candidate> kept = pairFeatures == null ? null : new ArrayList<>(Math.min(cands.size(), candidatesPerEntity));
      for (Candidate c : cands) {
        if (seen.size() == candidatesPerEntity) {
          break;
        }
        if (c != null && seen.add(c.itemId())) {
          if (pairFeatures != null) {
            kept.add(c);
            items.add(c.itemId());
            continue;
          }
          EntityKey pk = pairKey.apply(user, c);
          if (pk == null) {
            throw new IllegalArgumentException("pair key of " + user + " and item '" + c.itemId() + "' is null");
          }
          pairKeys.add(pk);
          items.add(c.itemId());
        }
      }
      if (pairFeatures != null && !kept.isEmpty()) {
        List<FeatureVector> rows = pairFeatures.fetch(request, kept);
        if (rows == null || rows.size() != kept.size()) {
          throw new IllegalArgumentException("feature source '" + pairFeatures.name() + "' returned "
              + (rows == null ? "null" : rows.size() + " rows") + " for " + kept.size() + " candidates of " + user
              + ", expected one row per candidate");
        }
        pairRows.addAll(rows);
      }
      start[u + 1] = items.size();
    }
    double[] scores = pairFeatures != null ? (pairRows.isEmpty() ? new double[0] : ranker.predict(pairRows))
        : pairKeys.isEmpty() ? new double[0] : predict(pairKeys, scoreTime);
    Long scoredAt = clock.getAsLong();
    EventBatch.Builder b = EventBatch.builder(view.schema());
    for (int u = 0; u < m; u++) {
      int lo = start[u];
      int cnt = start[u + 1] - lo;
      Integer[] order = new Integer[cnt];
      for (int i = 0; i < cnt; i++) {
        order[i] = i;
        double s = scores[lo + i];
        if (!Double.isFinite(s)) {
          throw new IllegalArgumentException("score of " + part.get(u) + " and item '" + items.get(lo + i) + "' is "
              + s + " (model " + modelVersion + "), expected a finite value");
        }
      }
      // best first; the sort is stable, so ties keep retrieval order
      java.util.Arrays.sort(order, (x, y) -> Double.compare(scores[lo + y], scores[lo + x]));
      int keep = Math.min(cnt, topN);
      List<String> ids = new ArrayList<>(keep);
      double[] top = new double[keep];
      for (int i = 0; i < keep; i++) {
        ids.add(items.get(lo + order[i]));
        top[i] = scores[lo + order[i]];
      }
      b.add(outputKey(part.get(u)), scoreTime, scoreTime, ItemLists.joinIds(ids), ItemLists.joinScores(top, keep),
          modelVersion, scoredAt);
    }
    EventBatch rows = b.build();
    return new Scored(() -> rows, items.size());
  }

  private EntityKey outputKey(EntityKey k) {
    Entity e = view.entity();
    if (k.hasNames(e.joinKeys())) {
      return k;
    }
    Object[] values = new Object[e.joinKeys().size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = k.value(e.joinKeys().get(i));
    }
    return e.key(values);
  }

  @Override
  public String toString() {
    return "BatchPrediction{" + view.name() + " <- " + ranker.name() + " (" + modelVersion + ") on "
        + (service != null ? service.name() : pairFeatures.name())
        + (generator == null ? "" : ", top " + topN + " of " + candidatesPerEntity + " from " + generator.name())
        + ", chunks of " + chunkSize + "}";
  }

  /** Configures a {@link BatchPrediction}; each setter validates at once. Not thread-safe. */
  public static final class Builder {
    private final FeatureStore store;
    private FeatureService service;
    private Ranker ranker;
    private String modelVersion;
    private String viewName;
    private Entity entity;
    private Duration ttl;
    private int chunkSize = 2_000;
    private Executor executor;
    private int parallelism = 1;
    private boolean writeBehind;
    private Executor writeExecutor;
    private String runLabel = "";
    private LongSupplier clock = System::currentTimeMillis;
    private CandidateGenerator generator;
    private int candidatesPerEntity;
    private int topN;
    private BiFunction<EntityKey, Candidate, EntityKey> pairKey;
    private FeatureSource pairFeatures;

    private Builder(FeatureStore store) {
      this.store = store;
    }

    /**
     * The feature service the ranker was trained on (registered in the store's registry; without
     * request-time fields). Required, except in pairs mode with a feature source, which reads none.
     *
     * @param service the service
     * @return this builder
     */
    public Builder service(FeatureService service) {
      if (service == null) {
        throw new IllegalArgumentException("feature service must not be null");
      }
      this.service = service;
      return this;
    }

    /**
     * The model and its registered version ({@value #MODEL_VERSION} is {@code name@vN}).
     *
     * @param ranker the model
     * @param version its entry in a {@link org.sieveml.ranking.ModelRegistry}
     * @return this builder
     */
    public Builder ranker(Ranker ranker, ModelVersion version) {
      if (version == null) {
        throw new IllegalArgumentException("model version must not be null");
      }
      return ranker(ranker, version.name() + "@v" + version.version());
    }

    /**
     * The model and a label of its version, for models not in a registry.
     *
     * @param ranker the model
     * @param versionLabel stored as {@value #MODEL_VERSION}, non-empty
     * @return this builder
     */
    public Builder ranker(Ranker ranker, String versionLabel) {
      if (ranker == null) {
        throw new IllegalArgumentException("ranker must not be null");
      }
      if (versionLabel == null || versionLabel.isEmpty()) {
        throw new IllegalArgumentException("model version label is " + (versionLabel == null ? "null" : "empty")
            + ", expected e.g. churn@v3");
      }
      this.ranker = ranker;
      this.modelVersion = versionLabel;
      return this;
    }

    /**
     * The prediction view to write: its name, its entity (the scored entity, or the user in pairs mode) and
     * its TTL. Registered by {@link #build()}, or accepted when an identical definition is registered.
     *
     * @param name the view's name, matching {@code [A-Za-z_][A-Za-z0-9_]*}
     * @param entity the entity (registered in the store's registry)
     * @param ttl how long after the score time a prediction is served, positive
     * @return this builder
     */
    public Builder outputView(String name, Entity entity, Duration ttl) {
      if (name == null || entity == null || ttl == null) {
        throw new IllegalArgumentException("output view name, entity and ttl must not be null, were " + name + ", "
            + entity + ", " + ttl);
      }
      if (ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("ttl of output view '" + name + "' is " + ttl + ", expected positive");
      }
      this.viewName = name;
      this.entity = entity;
      this.ttl = ttl;
      return this;
    }

    /**
     * How many entities are joined, scored and written together (default 2,000). Memory is bounded by
     * {@code parallelism} chunks (times the candidates per entity in pairs mode); a crash recomputes at most
     * one chunk. Each chunk is one exactly-once write (one fsync of each embedded store), so chunks much
     * smaller than about a thousand rows pay for it; with the embedded offline store, chunks below its
     * segment batch ({@value org.sieveml.features.EmbeddedOfflineStore#SEGMENT_BATCH} rows) go to its
     * write-ahead log, which measured faster for batch scoring ({@code BatchScoringBenchmark}).
     *
     * @param n positive
     * @return this builder
     */
    public Builder chunkSize(int n) {
      if (n <= 0) {
        throw new IllegalArgumentException("chunkSize is " + n + ", expected positive");
      }
      this.chunkSize = n;
      return this;
    }

    /**
     * Computes up to {@code parallelism} chunks at once on an executor (default: one at a time on the
     * caller's thread). The executor is the host's: it is neither shut down nor owned.
     *
     * @param executor the executor
     * @param parallelism chunks in flight, positive
     * @return this builder
     */
    public Builder executor(Executor executor, int parallelism) {
      if (executor == null) {
        throw new IllegalArgumentException("executor must not be null");
      }
      if (parallelism <= 0) {
        throw new IllegalArgumentException("parallelism is " + parallelism + ", expected positive");
      }
      this.executor = executor;
      this.parallelism = parallelism;
      return this;
    }

    /**
     * Whether a chunk's results are written while the next chunk is joined and scored (default false). One
     * write is in flight at a time and writes stay in key order, so the run's position still moves chunk by
     * chunk and resumption is unchanged; {@link #run} returns once the last write is done, and a write's
     * failure is thrown by {@code run} when the next chunk is ready to be written (or at the end), after
     * which nothing more is written. With {@code false} every chunk is written on the caller's thread before
     * the next one is computed.
     *
     * @param on true to overlap writing with computing
     * @return this builder
     */
    public Builder writeBehind(boolean on) {
      this.writeBehind = on;
      return this;
    }

    /**
     * Where write-behind writes run (default: a daemon thread started by each run of more than one chunk
     * and shut down, every write it took done, when {@link #run} returns). The executor is the host's: it is neither shut down nor owned; it must run tasks it
     * accepts (a rejected write fails the run).
     *
     * @param executor the executor
     * @return this builder
     */
    public Builder writeExecutor(Executor executor) {
      if (executor == null) {
        throw new IllegalArgumentException("write executor must not be null");
      }
      this.writeExecutor = executor;
      return this;
    }

    /**
     * A label put into {@link BatchPrediction#runId} (e.g. {@code "nightly"}); default none.
     *
     * @param label letters, digits, {@code _} and {@code -}
     * @return this builder
     */
    public Builder runLabel(String label) {
      if (label == null || !label.matches("[A-Za-z0-9_-]*")) {
        throw new IllegalArgumentException("run label is '" + label + "', expected letters, digits, _ or -");
      }
      this.runLabel = label;
      return this;
    }

    /**
     * The clock of {@value #SCORED_AT} (default {@link System#currentTimeMillis}).
     *
     * @param clock epoch milliseconds
     * @return this builder
     */
    public Builder clock(LongSupplier clock) {
      if (clock == null) {
        throw new IllegalArgumentException("clock must not be null");
      }
      this.clock = clock;
      return this;
    }

    /**
     * Pairs mode: scores up to {@code candidatesPerEntity} candidates per entity (asked of {@code generator}
     * with a request for the entity) and stores the best {@code topN} as {@value #ITEMS} and {@value #SCORES}.
     *
     * @param generator the candidate generator (thread-safe when an executor is set)
     * @param candidatesPerEntity the generator's limit, positive
     * @param topN how many to keep, in {@code [1, candidatesPerEntity]}
     * @param pairKey the entity key of a pair's features, carrying every join key of the service's views
     *     (e.g. the user's and the item's)
     * @return this builder
     */
    public Builder pairs(CandidateGenerator generator, int candidatesPerEntity, int topN,
        BiFunction<EntityKey, Candidate, EntityKey> pairKey) {
      if (generator == null || pairKey == null) {
        throw new IllegalArgumentException("candidate generator and pair key must not be null, were " + generator
            + " and " + pairKey);
      }
      pairs(generator, candidatesPerEntity, topN);
      this.pairKey = pairKey;
      this.pairFeatures = null;
      return this;
    }

    /**
     * Pairs mode with the host's feature assembly: as {@link #pairs(CandidateGenerator, int, int, BiFunction)},
     * but the features of an entity's candidates come from {@code features} — the {@link FeatureSource} the
     * host's online pipeline uses — called once per entity with a request for it and the candidates kept
     * (distinct, at most {@code candidatesPerEntity}, in the generator's order), instead of from the
     * point-in-time join. For rankers that read what only retrieval knows (retrieval scores, ranks among the
     * candidates) beside stored features. No {@link #service} is needed; the source's name is part of the
     * run's identity. A rerun after a crash recomputes the same scores only when the source returns the same
     * features (e.g. it reads the online store as of {@code scoreTime}, or the store is not written meanwhile).
     *
     * @param generator the candidate generator (thread-safe when an executor is set)
     * @param candidatesPerEntity the generator's limit, positive
     * @param topN how many to keep, in {@code [1, candidatesPerEntity]}
     * @param features returns one row of the ranker's inputs per candidate (thread-safe when an executor is set)
     * @return this builder
     */
    public Builder pairs(CandidateGenerator generator, int candidatesPerEntity, int topN, FeatureSource features) {
      if (features == null) {
        throw new IllegalArgumentException("feature source must not be null");
      }
      pairs(generator, candidatesPerEntity, topN);
      this.pairKey = null;
      this.pairFeatures = features;
      return this;
    }

    private void pairs(CandidateGenerator generator, int candidatesPerEntity, int topN) {
      if (generator == null) {
        throw new IllegalArgumentException("candidate generator must not be null");
      }
      if (candidatesPerEntity <= 0) {
        throw new IllegalArgumentException("candidatesPerEntity is " + candidatesPerEntity + ", expected positive");
      }
      if (topN <= 0 || topN > candidatesPerEntity) {
        throw new IllegalArgumentException("topN is " + topN + ", expected in [1, " + candidatesPerEntity + "]");
      }
      this.generator = generator;
      this.candidatesPerEntity = candidatesPerEntity;
      this.topN = topN;
    }

    /**
     * Checks the configuration, registers the prediction view and its service, and builds.
     *
     * @return the batch prediction
     * @throws IllegalStateException when the service, the ranker or the output view is not set, or a
     *     different definition of the view is registered
     * @throws IllegalArgumentException when the service does not provide the ranker's inputs or needs
     *     request-time data
     */
    public BatchPrediction build() {
      boolean needService = pairFeatures == null;
      if ((needService && service == null) || ranker == null || viewName == null) {
        throw new IllegalStateException("service, ranker and outputView must be set; missing: "
            + (needService && service == null ? "service " : "") + (ranker == null ? "ranker " : "")
            + (viewName == null ? "outputView" : ""));
      }
      if (!needService) {
        if (service != null) {
          throw new IllegalStateException("pairs mode with feature source '" + pairFeatures.name() + "' reads no "
              + "feature service, but service '" + service.name() + "' is set; expected one of the two");
        }
        ranker.inputSchema().checkProvidedBy(pairFeatures.schema(), ranker.name(),
            "feature source '" + pairFeatures.name() + "'");
      } else {
        FeatureSchema provided;
        try {
          provided = store.getOnlineFeatures(List.of(), service).schema();
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("feature service '" + service.name() + "' cannot be batch scored: "
              + e.getMessage(), e);
        }
        ranker.inputSchema().checkProvidedBy(provided, ranker.name(), "feature service '" + service.name() + "'");
      }
      FeatureView.Builder vb = FeatureView.builder(viewName).entity(entity).ttl(ttl)
          .description("predictions of " + (generator == null ? "" : "top-N pairs by ") + "batch scoring");
      if (generator == null) {
        vb.feature(FeatureSpec.of(SCORE, FeatureType.DOUBLE));
      } else {
        vb.feature(FeatureSpec.of(ITEMS, FeatureType.STRING)).feature(FeatureSpec.of(SCORES, FeatureType.STRING));
      }
      FeatureView view = vb.feature(FeatureSpec.of(MODEL_VERSION, FeatureType.STRING))
          .feature(FeatureSpec.of(SCORED_AT, FeatureType.LONG)).build();
      store.registry().apply(view);
      FeatureService ps = FeatureService.builder(viewName).features(viewName, view.schema().names()
          .toArray(new String[0])).build();
      store.registry().apply(ps);
      return new BatchPrediction(this, view, ps, longJoinKey());
    }

    /** The one join key of the output entity when every view of the service is keyed by it alone, else null. */
    private String longJoinKey() {
      if (service == null || entity.joinKeys().size() != 1) {
        return null;
      }
      String k = entity.joinKeys().get(0);
      for (FeatureService.Selection sel : service.selections()) {
        Entity e = store.registry().view(sel.view()).entity();
        if (e == null || !e.joinKeys().equals(List.of(k))) {
          return null;
        }
      }
      return k;
    }
  }
}
