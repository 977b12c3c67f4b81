package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureSpec;
import org.sieveml.core.FeatureType;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.monitoring.DriftCheck;
import org.sieveml.monitoring.DriftReport;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.TelemetrySnapshot;
import org.sieveml.features.Aggregation;
import org.sieveml.features.AggregationView;
import org.sieveml.features.Entity;
import org.sieveml.features.EventBatch;
import org.sieveml.features.FeatureRegistry;
import org.sieveml.features.FeatureService;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.RankingMetrics;
import org.sieveml.ranking.ReRankers;
import org.sieveml.retrieval.AlsModel;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.ImplicitAls;
import org.sieveml.retrieval.Interactions;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.PopularityCandidateGenerator;
import org.sieveml.retrieval.VectorMetric;

/**
 * The flagship case study: recommendation end to end, as a host service wires it.
 *
 * <p>Interactions are split by time: the first 70 % train the embeddings used to train the ranker,
 * the next 10 % provide the ranker's labels, the last 20 % are the test. Stages:
 * <ol>
 *   <li>features: user and item activity windows (7 and 30 days) in a {@link FeatureStore}, point in
 *       time for training rows and online for serving;
 *   <li>embeddings: {@link ImplicitAls} on the interactions before the cut;
 *   <li>candidates: the user's vector against an {@link HnswVectorIndex} of item vectors (inner
 *       product), plus a trending {@link PopularityCandidateGenerator}, both skipping seen items;
 *   <li>ranking: a {@link GbdtRanker} over ALS score and rank, activity windows and the user's genre
 *       affinity, trained on the label window;
 *   <li>re-ranking: maximal marginal relevance over genres; top 10.
 * </ol>
 * Offline evaluation on the test period (recall@10, NDCG@10, catalogue coverage) against popularity
 * and ALS alone; per-stage latency from the pipeline's telemetry; a drift check of the served
 * features per test week against the features of every candidate at the ranker's training time. Stateless; {@link #run} is
 * thread-safe.
 */
public final class RecommendationStudy {

  /** The ranker's input features. */
  static final FeatureSchema RANK = FeatureSchema.builder()
      .addDouble("als_score")
      .addDouble("als_rank")
      .addDouble("trend_rank")
      .addDouble("item_count_7d")
      .addDouble("item_count_30d")
      .addDouble("item_rating_mean_30d")
      .addDouble("user_count_30d")
      .addDouble("genre_affinity")
      .build();

  private static final int ALS_CANDIDATES = 200;
  private static final int TREND_CANDIDATES = 50;

  private RecommendationStudy() {}

  /**
   * The figures of one run.
   *
   * @param data the data set's name
   * @param events interactions
   * @param testUsers users evaluated
   * @param recall recall@10 per system: pipeline, ALS only, popularity
   * @param ndcg NDCG@10 per system
   * @param coverage catalogue coverage per system
   * @param recallCurve recall@k for k = 1..50 per system
   * @param genreMatch share of the pipeline's top-10 in the user's planted favourite genres (seeded
   *     data only, else NaN)
   * @param telemetry the serving pipeline's metrics
   * @param drift one drift report per test week
   * @param servingModes online vs precomputed (batch) recommendations on the same users
   */
  public record Result(String data, int events, int testUsers, Map<String, Double> recall, Map<String, Double> ndcg,
      Map<String, Double> coverage, Map<String, double[]> recallCurve, double genreMatch, TelemetrySnapshot telemetry,
      List<DriftReport> drift, RecBatchServing.Result servingModes) {}

  /**
   * Runs the study.
   *
   * @param data the interactions
   * @param seed the seed of ALS and the ranker
   * @param out progress and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(RecData data, long seed, PrintStream out, Path report) {
    List<RecData.Event> ev = data.events();
    long t70 = ev.get((int) (ev.size() * 0.7)).time();
    long t80 = ev.get((int) (ev.size() * 0.8)).time();
    out.printf(Locale.ROOT, "[data]       %s: %,d events; ranker labels from %s, test from %s%n", data.name(), ev.size(),
        java.time.Instant.ofEpochMilli(t70), java.time.Instant.ofEpochMilli(t80));

    // ---- features: activity windows, one definition for training rows and serving
    long t = System.nanoTime();
    Entity user = Entity.builder("user").joinKey("user_id").build();
    Entity item = Entity.builder("item").joinKey("item_id").build();
    AggregationView itemActivity = AggregationView.builder("item_activity").entity(item)
        .input(FeatureSpec.of("rating", FeatureType.DOUBLE))
        .count(Duration.ofDays(7)).count(Duration.ofDays(30))
        .aggregate("rating", Aggregation.MEAN, Duration.ofDays(30))
        .bucket(Duration.ofHours(1)).build();
    AggregationView userActivity = AggregationView.builder("user_activity").entity(user)
        .input(FeatureSpec.of("rating", FeatureType.DOUBLE))
        .count(Duration.ofDays(30))
        .bucket(Duration.ofHours(1)).build();
    FeatureService itemService = FeatureService.builder("item_features").features("item_activity").build();
    FeatureService userService = FeatureService.builder("user_features").features("user_activity").build();
    FeatureRegistry registry = new FeatureRegistry();
    registry.apply(user);
    registry.apply(item);
    registry.apply(itemActivity);
    registry.apply(userActivity);
    registry.apply(itemService);
    registry.apply(userService);
    AtomicLong now = new AtomicLong(t80);
    FeatureStore store = FeatureStore.builder(registry).clock(now::get).build();
    EventBatch.Builder itemEvents = EventBatch.builder(itemActivity.inputSchema());
    EventBatch.Builder userEvents = EventBatch.builder(userActivity.inputSchema());
    int trainEvents = 0;
    for (RecData.Event e : ev) {
      if (e.time() >= t80) {
        break;
      }
      itemEvents.add(item.key((long) e.item()), e.time(), e.time(), e.rating());
      userEvents.add(user.key((long) e.user()), e.time(), e.time(), e.rating());
      trainEvents++;
    }
    // history loaded after the fact: each event counts as available from its created time, so the
    // training rows at t70 see what serving would have seen then; materialization fills the online windows
    store.ingest("item_activity", itemEvents.build());
    store.ingest("user_activity", userEvents.build());
    store.materialize("item_activity", 0, t80, null);
    store.materialize("user_activity", 0, t80, null);
    out.printf(Locale.ROOT, "[features]   %,d events ingested into item_activity and user_activity (count_7d, "
        + "count_30d, rating_mean_30d; 1 h buckets) and materialized in %d ms%n", trainEvents, ms(t));

    // ---- embeddings and histories
    Histories before70 = Histories.of(ev, data, Long.MIN_VALUE, t70);
    Histories before80 = Histories.of(ev, data, Long.MIN_VALUE, t80);
    t = System.nanoTime();
    ImplicitAls als = ImplicitAls.builder().factors(32).regularization(5).alpha(2).iterations(12).seed(seed).build();
    AlsModel alsLabel = als.fit(before70.interactions());
    AlsModel alsServe = als.fit(before80.interactions(), (it, total, loss) -> {
      if (it == total) {
        out.printf(Locale.ROOT, "[als]        %d iterations, loss %.1f%n", it, loss);
      }
    });
    HnswVectorIndex indexLabel = index(alsLabel);
    HnswVectorIndex indexServe = index(alsServe);
    out.printf(Locale.ROOT, "[als]        32 factors on %,d and %,d interactions, HNSW over %,d items, in %d ms%n",
        before70.interactions().nonZeros(), before80.interactions().nonZeros(), indexServe.size(), ms(t));

    // ---- ranker training rows: candidates at t70, labels from [t70, t80)
    t = System.nanoTime();
    Map<Integer, Set<String>> labels = Histories.window(ev, t70, t80);
    List<String> trendLabel = trending(ev, t70);
    Map<String, Integer> trendRanksLabel = ranks(trendLabel, 500);
    FeatureFrame.RowBuilder rows = FeatureFrame.rowBuilder(RANK);
    // every candidate row at t70, before negative sampling: the drift check's reference
    FeatureFrame.RowBuilder reference = FeatureFrame.rowBuilder(RANK);
    List<Double> y = new ArrayList<>();
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(seed);
    now.set(t70);
    // candidates first, then one point-in-time join per view for every (entity, t70) row
    Map<Integer, List<Candidate>> labelCands = new LinkedHashMap<>();
    Set<Long> candItems = new java.util.TreeSet<>();
    for (int u : labels.keySet()) {
      if (alsLabel.userVector(uid(u)).isPresent()) {
        List<Candidate> cands = candidates(u, alsLabel, indexLabel, trendLabel, before70);
        labelCands.put(u, cands);
        cands.forEach(c -> candItems.add(Long.parseLong(c.itemId())));
      }
    }
    Map<Long, FeatureVector> itemAt70 = pointInTime(store, itemService, candItems, t70);
    Map<Long, FeatureVector> userAt70 = pointInTime(store, userService,
        new java.util.TreeSet<>(labelCands.keySet().stream().map(Integer::longValue).toList()), t70);
    for (Map.Entry<Integer, List<Candidate>> e : labelCands.entrySet()) {
      int u = e.getKey();
      List<Candidate> cands = e.getValue();
      List<FeatureVector> itemRows = new ArrayList<>(cands.size());
      cands.forEach(c -> itemRows.add(itemAt70.get(Long.parseLong(c.itemId()))));
      List<FeatureVector> fv = assemble(u, cands, itemRows, userAt70.get((long) u), alsLabel, before70, data,
          trendRanksLabel);
      Set<String> positives = labels.get(u);
      fv.forEach(reference::add);
      for (int c = 0; c < cands.size(); c++) {
        boolean pos = positives.contains(cands.get(c).itemId());
        if (pos || rnd.nextDouble() < 0.3) {
          rows.add(fv.get(c));
          y.add(pos ? 1.0 : 0.0);
        }
      }
    }
    FeatureFrame train = rows.build();
    FeatureFrame referenceFrame = reference.build();
    double[] yy = y.stream().mapToDouble(Double::doubleValue).toArray();
    long positives = y.stream().filter(v -> v > 0).count();
    GbdtRanker ranker = GbdtRanker.trainer(FeatureEncoder.builder(RANK).build()).name("recs-gbdt").rounds(80)
        .maxDepth(5).eta(0.1).seed(seed).threads(2).train(train, yy, null);
    out.printf(Locale.ROOT, "[ranker]     GBDT (80 trees, depth 5) on %,d rows (%,d positives) in %d ms%n", yy.length,
        positives, ms(t));

    // ---- serving pipeline at t80
    now.set(t80);
    List<String> trendServe = trending(ev, t80);
    Map<String, Integer> trendRanksServe = ranks(trendServe, 500);
    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    List<FeatureVector> served = new ArrayList<>();
    List<Long> servedAt = new ArrayList<>();
    AtomicLong requestTime = new AtomicLong(t80);
    CandidateGenerator alsGen = CandidateGenerator.of("als", (request, limit) -> {
      int u = userOf(request);
      return alsCandidates(u, alsServe, indexServe, before80, limit);
    });
    CandidateGenerator trendGen = CandidateGenerator.of("trending", (request, limit) ->
        trendCandidates(userOf(request), trendServe, before80, limit));
    FeatureSource features = FeatureSource.of("recs-features", RANK, (request, cands) -> {
      List<FeatureVector> fv = featuresOnline(store, itemService, userService, item, user, userOf(request), cands,
          alsServe, before80, data, trendRanksServe);
      long at = requestTime.get();
      synchronized (served) {
        served.addAll(fv);
        for (int i = 0; i < fv.size(); i++) {
          servedAt.add(at);
        }
      }
      return fv;
    });
    TwoStagePipeline pipeline = TwoStagePipeline.builder()
        .name("recs")
        .addCandidateGenerator(alsGen, ALS_CANDIDATES)
        .addCandidateGenerator(trendGen, TREND_CANDIDATES)
        .featureSource(features)
        .scorer(ranker)
        .reRanker(ReRankers.mmr(0.8, (a, b) -> genre(data, a.itemId()) == genre(data, b.itemId()) ? 1.0 : 0.0))
        .requestBudget(Cli.requestBudget(Duration.ofSeconds(2)))
        .telemetry(telemetry)
        .build();
    out.println("[pipeline]   " + pipeline);

    // ---- evaluation on the test period
    t = System.nanoTime();
    Map<Integer, Set<String>> test = Histories.window(ev, t80, Long.MAX_VALUE);
    Map<Integer, Long> firstTest = new HashMap<>();
    for (RecData.Event e : ev) {
      if (e.time() >= t80) {
        firstTest.putIfAbsent(e.user(), e.time());
      }
    }
    String[] systems = {"pipeline", "als", "popularity"};
    Map<String, double[]> curve = new LinkedHashMap<>();
    Map<String, Double> ndcg = new LinkedHashMap<>();
    Map<String, Set<String>> shown = new LinkedHashMap<>();
    for (String s : systems) {
      curve.put(s, new double[50]);
      ndcg.put(s, 0.0);
      shown.put(s, new HashSet<>());
    }
    List<String> popularServe = popular(before80);
    int evaluated = 0;
    Map<Integer, Set<String>> evalTruth = new LinkedHashMap<>();
    int inFavourite = 0;
    int shownPipeline = 0;
    for (Map.Entry<Integer, Set<String>> e : test.entrySet()) {
      int u = e.getKey();
      Set<String> truth = new HashSet<>(e.getValue());
      truth.removeAll(before80.seen(u));
      if (truth.isEmpty() || alsServe.userVector(uid(u)).isEmpty()) {
        continue;
      }
      evaluated++;
      evalTruth.put(u, truth);
      requestTime.set(firstTest.get(u));
      PipelineResponse resp = pipeline.execute(PipelineRequest.of(EntityKey.of("user_id", (long) u), 50));
      List<String> pipe = resp.items().stream().map(ScoredItem::itemId).toList();
      List<String> alsOnly = alsCandidates(u, alsServe, indexServe, before80, 50).stream()
          .map(Candidate::itemId).toList();
      List<String> pop = trendCandidates(u, popularServe, before80, 50).stream().map(Candidate::itemId).toList();
      Map<String, List<String>> lists = Map.of("pipeline", pipe, "als", alsOnly, "popularity", pop);
      for (String s : systems) {
        List<String> l = lists.get(s);
        double[] c = curve.get(s);
        for (int k = 1; k <= 50; k++) {
          c[k - 1] += RankingMetrics.recallAtK(l, truth, k);
        }
        ndcg.merge(s, RankingMetrics.ndcgAtK(l, truth, 10), Double::sum);
        shown.get(s).addAll(l.subList(0, Math.min(10, l.size())));
      }
      if (data.favouriteGenres() != null) {
        for (String id : pipe.subList(0, Math.min(10, pipe.size()))) {
          int g = genre(data, id);
          inFavourite += g == data.favouriteGenres()[u][0] || g == data.favouriteGenres()[u][1] ? 1 : 0;
          shownPipeline++;
        }
      }
    }
    if (evaluated == 0) {
      throw new IllegalStateException("no test user has both training history and unseen test items");
    }
    Map<String, Double> recall = new LinkedHashMap<>();
    Map<String, Double> coverage = new LinkedHashMap<>();
    int catalogue = before80.interactions().items();
    for (String s : systems) {
      double[] c = curve.get(s);
      for (int k = 0; k < c.length; k++) {
        c[k] /= evaluated;
      }
      recall.put(s, c[9]);
      ndcg.put(s, ndcg.get(s) / evaluated);
      coverage.put(s, shown.get(s).size() / (double) catalogue);
    }
    out.printf(Locale.ROOT, "[evaluate]   %,d test users, top-10 each, in %d ms%n", evaluated, ms(t));

    // ---- serving modes: the same stages online vs a batch job's stored top-N re-ranked online
    FeatureSource pureFeatures = FeatureSource.of("recs-features", RANK, (request, cands) -> featuresOnline(store,
        itemService, userService, item, user, userOf(request), cands, alsServe, before80, data, trendRanksServe));
    Map<CandidateGenerator, Integer> gens = new LinkedHashMap<>();
    gens.put(alsGen, ALS_CANDIDATES);
    gens.put(trendGen, TREND_CANDIDATES);
    List<Integer> batchUsers = new ArrayList<>();
    for (String u : before80.interactions().userIds()) {
      if (alsServe.userVector(u).isPresent()) {
        batchUsers.add(Integer.parseInt(u));
      }
    }
    java.util.Collections.sort(batchUsers);
    RecBatchServing.Result modes = RecBatchServing.compare(store, t80, user, gens, pureFeatures, ranker,
        ReRankers.mmr(0.8, (a, b) -> genre(data, a.itemId()) == genre(data, b.itemId()) ? 1.0 : 0.0), batchUsers,
        evalTruth);
    RecBatchServing.print(modes, out);

    // ---- drift: served features per test week against the ranker's training features
    // one report per test week (weeks from the test period's start); a week with fewer than 200 served rows,
    // or fewer than half the median week's, joins the week before it
    FeatureFrame.RowBuilder fb = FeatureFrame.rowBuilder(RANK);
    served.forEach(fb::add);
    long[] times = servedAt.stream().mapToLong(Long::longValue).toArray();
    List<DriftReport> drift = DriftCheck.builder().build().timeline("served", referenceFrame, fb.build(), times,
        t80, 7 * RecData.DAY, 200, 0.5);
    for (DriftReport r : drift) {
      out.printf(Locale.ROOT, "[drift]      %s: %d served rows, drifted: %s%n", r.label(),
          r.features().isEmpty() ? 0 : r.features().get(0).currentCount() + r.features().get(0).currentMissing(),
          r.drifted().stream().map(f -> f.feature()).toList());
    }
    double genreMatch = shownPipeline == 0 ? Double.NaN : inFavourite / (double) shownPipeline;
    Result result = new Result(data.name(), ev.size(), evaluated, recall, ndcg, coverage, curve, genreMatch,
        telemetry.snapshot(), drift, modes);
    printSummary(result, out);
    if (report != null) {
      writeReport(result, report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    store.close();
    return result;
  }

  private static long ms(long t0) {
    return (System.nanoTime() - t0) / 1_000_000;
  }

  static String uid(int u) {
    return Integer.toString(u);
  }

  static String iid(int i) {
    return Integer.toString(i);
  }

  static int genre(RecData data, String itemId) {
    return data.itemGenre()[Integer.parseInt(itemId)];
  }

  static int userOf(PipelineRequest request) {
    return (int) (long) (Long) request.entity().value("user_id");
  }

  private static HnswVectorIndex index(AlsModel model) {
    // reproducible: a parallel bulk build's links depend on how its threads interleave, and with them the
    // candidates, the ranker's rows and every figure after (issue 22); searches pass their ef, so no tuning
    HnswVectorIndex index = HnswVectorIndex.builder(model.factors(), VectorMetric.INNER_PRODUCT).m(16)
        .efConstruction(100).ef(100).seed(0x5eed).reproducibleBuild(true)
        .initialCapacity(model.itemIds().size()).build();
    index.addAll(model.itemVectors(), 1, null);
    return index;
  }

  /** Items by interaction count in the 14 days before {@code at}: the trending list. */
  static List<String> trending(List<RecData.Event> ev, long at) {
    PopularityCandidateGenerator g = PopularityCandidateGenerator.of("trending", 7 * RecData.DAY, 0, 2000, () -> at);
    for (RecData.Event e : ev) {
      if (e.time() >= at) {
        break;
      }
      if (e.time() >= at - 28 * RecData.DAY) {
        g.record(iid(e.item()), e.time(), 1.0);
      }
    }
    return g.generate(PipelineRequest.of(EntityKey.of("user_id", 0L), 1), 2000).stream().map(Candidate::itemId)
        .toList();
  }

  /** All-time most interacted items before the cut: the popularity baseline. */
  static List<String> popular(Histories h) {
    Map<String, Integer> counts = new HashMap<>();
    for (String u : h.interactions().userIds()) {
      for (String i : h.interactions().itemsOf(u)) {
        counts.merge(i, 1, Integer::sum);
      }
    }
    List<String> l = new ArrayList<>(counts.keySet());
    l.sort((a, b) -> counts.get(b) - counts.get(a) != 0 ? counts.get(b) - counts.get(a) : a.compareTo(b));
    return l;
  }

  static List<Candidate> alsCandidates(int u, AlsModel model, HnswVectorIndex index, Histories h, int limit) {
    float[] v = model.userVector(uid(u)).orElse(null);
    if (v == null) {
      return List.of();
    }
    Set<String> seen = h.seen(u);
    List<Neighbor> hits = index.search(v, limit, Math.max(limit, 100), id -> !seen.contains(id));
    List<Candidate> out = new ArrayList<>(hits.size());
    for (Neighbor n : hits) {
      out.add(Candidate.of(n.id(), 1.0 - n.distance(), "als"));
    }
    return out;
  }

  static List<Candidate> trendCandidates(int u, List<String> ranked, Histories h, int limit) {
    Set<String> seen = h.seen(u);
    List<Candidate> out = new ArrayList<>(limit);
    for (int r = 0; r < ranked.size() && out.size() < limit; r++) {
      if (!seen.contains(ranked.get(r))) {
        out.add(Candidate.of(ranked.get(r), -r, "trending"));
      }
    }
    return out;
  }

  private static List<Candidate> candidates(int u, AlsModel model, HnswVectorIndex index, List<String> trend,
      Histories h) {
    Map<String, Candidate> merged = new LinkedHashMap<>();
    for (Candidate c : alsCandidates(u, model, index, h, ALS_CANDIDATES)) {
      merged.putIfAbsent(c.itemId(), c);
    }
    for (Candidate c : trendCandidates(u, trend, h, TREND_CANDIDATES)) {
      merged.putIfAbsent(c.itemId(), c);
    }
    return new ArrayList<>(merged.values());
  }

  /** Training rows: one point-in-time join of a service's views for every id at {@code at}. */
  private static Map<Long, FeatureVector> pointInTime(FeatureStore store, FeatureService service, Set<Long> ids,
      long at) {
    long[] keys = ids.stream().mapToLong(Long::longValue).toArray();
    long[] times = new long[keys.length];
    java.util.Arrays.fill(times, at);
    FeatureFrame frame = store.getHistoricalFeatures(org.sieveml.features.EntityRows.ofLongKeys(keys, times, null),
        service).frame();
    Map<Long, FeatureVector> out = new HashMap<>(keys.length * 2);
    for (int r = 0; r < keys.length; r++) {
      out.put(keys[r], frame.row(r));
    }
    return out;
  }

  /** Serving rows: the same windows read online. */
  private static List<FeatureVector> featuresOnline(FeatureStore store, FeatureService itemService,
      FeatureService userService, Entity item, Entity user, int u, List<Candidate> cands, AlsModel model, Histories h,
      RecData data, Map<String, Integer> trendRank) {
    List<EntityKey> keys = new ArrayList<>(cands.size());
    for (Candidate c : cands) {
      keys.add(item.key(Long.parseLong(c.itemId())));
    }
    OnlineFeatures items = store.getOnlineFeatures(keys, itemService);
    OnlineFeatures users = store.getOnlineFeatures(List.of(user.key((long) u)), userService);
    return assemble(u, cands, items.vectors(), users.vector(0), model, h, data, trendRank);
  }

  /**
   * The ranker's features of a user's candidates. Ranks are computed from the data, never from how
   * the candidate lists were merged, so training rows and served rows mean the same thing: the ALS
   * rank among the candidates by ALS score, the trending rank in the trending list.
   */
  private static List<FeatureVector> assemble(int u, List<Candidate> cands, List<FeatureVector> items,
      FeatureVector userRow, AlsModel model, Histories h, RecData data, Map<String, Integer> trendRank) {
    float[] uv = model.userVector(uid(u)).orElse(null);
    double[] affinity = h.genreShare(u, data.genres());
    int n = cands.size();
    double[] score = new double[n];
    for (int c = 0; c < n; c++) {
      float[] iv = model.itemVector(cands.get(c).itemId()).orElse(null);
      score[c] = uv == null || iv == null ? Double.NEGATIVE_INFINITY : VectorMetric.dot(uv, iv);
    }
    double[] sorted = score.clone();
    java.util.Arrays.sort(sorted);
    List<FeatureVector> out = new ArrayList<>(n);
    FeatureVector.Builder b = FeatureVector.builder(RANK);
    for (int c = 0; c < n; c++) {
      Candidate cand = cands.get(c);
      // 1 + the number of candidates with a higher ALS score
      int higher = n - upperBound(sorted, score[c]);
      FeatureVector it = items.get(c);
      out.add(b.setDouble(0, Double.isInfinite(score[c]) ? 0 : score[c])
          .setDouble(1, Double.isInfinite(score[c]) ? 1000 : 1 + higher)
          .setDouble(2, trendRank.getOrDefault(cand.itemId(), 1000))
          .setDouble(3, num(it, "count_7d"))
          .setDouble(4, num(it, "count_30d"))
          .setDouble(5, num(it, "rating_mean_30d"))
          .setDouble(6, num(userRow, "count_30d"))
          .setDouble(7, affinity[genre(data, cand.itemId())])
          .build());
    }
    return out;
  }

  /** The number of values in {@code sorted} (ascending) that are {@code <= v}. */
  static int upperBound(double[] sorted, double v) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  static Map<String, Integer> ranks(List<String> list, int max) {
    Map<String, Integer> out = new HashMap<>();
    for (int r = 0; r < Math.min(max, list.size()); r++) {
      out.put(list.get(r), r + 1);
    }
    return out;
  }

  /** A numeric feature as a double; 0 when missing (no event in the window). */
  static double num(FeatureVector v, String name) {
    int i = v.schema().indexOf(name);
    if (i < 0) {
      throw new IllegalArgumentException("feature '" + name + "' is not in " + v.schema());
    }
    return v.isPresent(i) ? v.asDouble(i) : 0;
  }

  private static void printSummary(Result r, PrintStream out) {
    out.println();
    out.printf(Locale.ROOT, "Offline quality on the test period (%s, %,d users):%n", r.data(), r.testUsers());
    out.printf(Locale.ROOT, "  %-28s %10s %10s %10s%n", "", "recall@10", "NDCG@10", "coverage");
    Map<String, String> label = Map.of("pipeline", "two-stage pipeline", "als", "ALS candidates only",
        "popularity", "popularity baseline");
    for (String s : r.recall().keySet()) {
      out.printf(Locale.ROOT, "  %-28s %10.4f %10.4f %9.1f%%%n", label.get(s), r.recall().get(s), r.ndcg().get(s),
          100 * r.coverage().get(s));
    }
    if (!Double.isNaN(r.genreMatch())) {
      out.printf(Locale.ROOT, "  planted tastes: %.1f %% of the pipeline's top-10 are in the user's favourite genres%n",
          100 * r.genreMatch());
    }
    out.println();
    out.println("Serving latency per stage (pipeline 'recs'):");
    out.print(r.telemetry().toTable());
  }

  private static void writeReport(Result r, Path file) {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>SieveML recommendation study</title>")
        .append("<style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style>")
        .append("</head><body><h1>Recommendation case study</h1><p>").append(escape(r.data())).append(", ")
        .append(r.events()).append(" events, ").append(r.testUsers()).append(" test users.</p>")
        .append("<table><tr><th>system</th><th>recall@10</th><th>NDCG@10</th><th>coverage</th></tr>");
    for (String s : r.recall().keySet()) {
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.1f %%</td></tr>", s,
          r.recall().get(s), r.ndcg().get(s), 100 * r.coverage().get(s)));
    }
    h.append("</table><h2>Recall@k</h2>").append(recallSvg(r.recallCurve()));
    h.append('\n').append(RecBatchServing.html(r.servingModes()));
    h.append("<h2>Serving latency</h2><pre>").append(escape(r.telemetry().toTable())).append("</pre>");
    // the drift section is a fragment (one <section>), so the report stays one document
    h.append("<h2>Drift of served features by test week</h2><p>One check per week from the test period's start, "
        + "of the ranker's feature rows served that week against every candidate row at the ranker's training "
        + "time; a week with fewer than 200 served rows, or fewer than half the median week's, joins the week "
        + "before it. Each test user is served once, at their first test event, so the first weeks carry most "
        + "of the traffic: ").append(r.drift().size()).append(r.drift().size() == 1 ? " check.</p>" : " checks.</p>");
    h.append(r.drift().isEmpty() ? "<p>no week with enough traffic</p>"
        : DriftReport.toHtmlFragment("served features vs ranker training features", r.drift()));
    h.append("</body></html>\n");
    Cli.writeReport(file, h);
  }

  static String recallSvg(Map<String, double[]> curves) {
    int w = 640;
    int hgt = 360;
    int l = 60;
    int top = 20;
    int pw = w - l - 140;
    int ph = hgt - top - 50;
    double ymax = 0;
    for (double[] c : curves.values()) {
      for (double v : c) {
        ymax = Math.max(ymax, v);
      }
    }
    ymax = Math.max(0.05, Math.ceil(ymax * 10) / 10);
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\"><rect x=\"%d\" y=\"%d\" width=\"%d\" "
            + "height=\"%d\" fill=\"none\" stroke=\"#888\"/>", w, hgt, l, top, pw, ph));
    for (int k = 0; k <= 50; k += 10) {
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>",
          l + k / 50.0 * pw, top + ph + 15, k));
    }
    for (int i = 0; i <= 4; i++) {
      double v = ymax * i / 4;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.2f</text>",
          l - 5, top + ph - v / ymax * ph + 4, v));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">k (length of "
        + "the list)</text>", l + pw / 2, hgt - 10));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 %d)\">recall@k</text>", top + ph / 2, top + ph / 2));
    String[] colors = {"#d62728", "#1f77b4", "#555"};
    int n = 0;
    for (Map.Entry<String, double[]> e : curves.entrySet()) {
      StringBuilder p = new StringBuilder();
      double[] c = e.getValue();
      for (int k = 1; k <= c.length; k++) {
        p.append(k == 1 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", l + k / 50.0 * pw,
            top + ph - c[k - 1] / ymax * ph));
      }
      String color = colors[n % colors.length];
      s.append("<path d=\"").append(p).append("\" fill=\"none\" stroke=\"").append(color).append("\"/>");
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>", l + pw + 10,
          top + 20 + 18 * n, color, e.getKey()));
      n++;
    }
    return s.append("</svg>").toString();
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  /** Per-user histories before a cut, and the ALS input built from them. */
  record Histories(Interactions interactions, Map<Integer, Set<String>> seenByUser, Map<Integer, int[]> genreCounts) {

    static Histories of(List<RecData.Event> ev, RecData data, long from, long to) {
      Interactions.Builder b = Interactions.builder();
      Map<Integer, Set<String>> seen = new HashMap<>();
      Map<Integer, int[]> genres = new HashMap<>();
      for (RecData.Event e : ev) {
        if (e.time() < from) {
          continue;
        }
        if (e.time() >= to) {
          break;
        }
        b.add(uid(e.user()), iid(e.item()));
        seen.computeIfAbsent(e.user(), k -> new HashSet<>()).add(iid(e.item()));
        genres.computeIfAbsent(e.user(), k -> new int[data.genres()])[data.itemGenre()[e.item()]]++;
      }
      return new Histories(b.build(), seen, genres);
    }

    static Map<Integer, Set<String>> window(List<RecData.Event> ev, long from, long to) {
      Map<Integer, Set<String>> out = new LinkedHashMap<>();
      for (RecData.Event e : ev) {
        if (e.time() >= from && e.time() < to) {
          out.computeIfAbsent(e.user(), k -> new HashSet<>()).add(iid(e.item()));
        }
      }
      return out;
    }

    Set<String> seen(int u) {
      return seenByUser.getOrDefault(u, Set.of());
    }

    double[] genreShare(int u, int genres) {
      int[] c = genreCounts.get(u);
      double[] out = new double[genres];
      if (c == null) {
        return out;
      }
      int total = 0;
      for (int v : c) {
        total += v;
      }
      for (int g = 0; g < genres; g++) {
        out[g] = c[g] / (double) total;
      }
      return out;
    }
  }
}
