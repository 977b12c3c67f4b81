package org.sieveml.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.Degradation.Reason;
import org.sieveml.core.pipeline.Fixtures.Catalog;
import org.sieveml.core.pipeline.Fixtures.CatalogFeatures;
import org.sieveml.core.pipeline.Fixtures.CategoryCapReRanker;
import org.sieveml.core.pipeline.Fixtures.LinearScorer;
import org.sieveml.core.pipeline.Fixtures.ListGenerator;
import org.sieveml.core.pipeline.Fixtures.PopularGenerator;
import org.sieveml.core.pipeline.Fixtures.SimilarityGenerator;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.TelemetrySnapshot;

class TwoStagePipelineTest {

  static final long SEED = 42L;
  final Catalog catalog = new Catalog(500, 50, SEED);
  final ManualTicker ticker = new ManualTicker();
  final InMemoryTelemetry telemetry = new InMemoryTelemetry();

  static PipelineRequest request(String user, int k) {
    return PipelineRequest.of(EntityKey.of("user_id", user), k);
  }

  /** Scores every candidate the same, so the stable sort keeps retrieval order. */
  static final class ConstantScorer implements Scorer {
    @Override
    public FeatureSchema inputSchema() {
      return FeatureSchema.empty();
    }

    @Override
    public double[] score(PipelineRequest r, List<Candidate> c, List<FeatureVector> f) {
      return new double[c.size()];
    }
  }

  TwoStagePipeline.Builder base() {
    return TwoStagePipeline.builder().name("test").ticker(ticker).telemetry(telemetry)
        .featureSource(new CatalogFeatures(catalog));
  }

  static List<String> itemIds(PipelineResponse r) {
    return r.items().stream().map(ScoredItem::itemId).collect(Collectors.toList());
  }

  @Test
  void mergeInterleavesByRankDeduplicatesAndRecordsEverySource() {
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("a", null, "item-1", "item-2", "item-3", "item-4"), 3)
        .addCandidateGenerator(new ListGenerator("b", null, "item-3", "item-5", "item-1", "item-6", "item-7"), 4)
        .scorer(new ConstantScorer())
        .build();
    PipelineResponse r = p.execute(request("u1", 10));
    assertTrue(r.isComplete(), r.toString());
    // rank 0: 1(a) 3(b); rank 1: 2(a) 5(b); rank 2: 3(a, dup) 1(b, dup); rank 3: 6(b). item-4 and item-7 are past the quotas.
    assertEquals(List.of("item-1", "item-3", "item-2", "item-5", "item-6"), itemIds(r));
    assertEquals(5, r.candidateCount());
    Map<String, Candidate> byId = new HashMap<>();
    r.items().forEach(s -> byId.put(s.itemId(), s.candidate()));
    assertEquals("a", byId.get("item-1").source());
    assertEquals(List.of("b"), byId.get("item-1").alsoFrom());
    assertEquals("b", byId.get("item-3").source());
    assertEquals(List.of("a"), byId.get("item-3").alsoFrom());
    assertEquals(List.of(), byId.get("item-2").alsoFrom());

    TwoStagePipeline capped = base()
        .addCandidateGenerator(new ListGenerator("a", null, "item-1", "item-2", "item-3", "item-4"), 3)
        .addCandidateGenerator(new ListGenerator("b", null, "item-3", "item-5", "item-1", "item-6", "item-7"), 4)
        .maxCandidates(4)
        .scorer(new ConstantScorer())
        .build();
    assertEquals(List.of("item-1", "item-3", "item-2", "item-5"), itemIds(capped.execute(request("u1", 10))));
    assertEquals(List.of("item-1", "item-3"), itemIds(capped.execute(request("u1", 2))));
  }

  @Test
  void scoresOrderTheMergedCandidatesExactlyAsAHandComputation() {
    LinearScorer scorer = new LinearScorer(1.0, 0.3, -0.01);
    TwoStagePipeline p = base()
        .addCandidateGenerator(new SimilarityGenerator(catalog), 60)
        .addCandidateGenerator(new PopularGenerator(catalog), 30)
        .scorer(scorer)
        .build();
    for (String user : List.of("u0", "u7", "u33")) {
      PipelineResponse r = p.execute(request(user, 10));
      assertTrue(r.isComplete() && r.isScored() && !r.isReranked(), r.toString());

      // Independent computation: union of both sources, score by the formula, sort.
      float[] u = catalog.users.get(user);
      Map<String, Double> expected = new LinkedHashMap<>();
      new SimilarityGenerator(catalog).generate(r.items().isEmpty() ? null : request(user, 10), 60)
          .forEach(c -> expected.put(c.itemId(), 0.0));
      new PopularGenerator(catalog).generate(null, 30).forEach(c -> expected.put(c.itemId(), 0.0));
      for (String id : expected.keySet()) {
        int i = catalog.index(id);
        expected.put(id, Fixtures.dot(u, catalog.embeddings[i]) + 0.3 * Math.log1p(catalog.popularity[i])
            - 0.01 * catalog.price[i]);
      }
      List<String> top = expected.entrySet().stream()
          .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
          .limit(10).map(Map.Entry::getKey).collect(Collectors.toList());
      assertEquals(top, itemIds(r), "user " + user);
      assertEquals(expected.size(), r.candidateCount());
      for (ScoredItem s : r.items()) {
        assertEquals(expected.get(s.itemId()), s.score(), 1e-9);
      }
    }
  }

  @Test
  void reRankerShapesTheFinalList() {
    TwoStagePipeline p = base()
        .addCandidateGenerator(new SimilarityGenerator(catalog), 100)
        .scorer(new LinearScorer(1, 0, 0))
        .reRanker(new CategoryCapReRanker(catalog, 2))
        .build();
    PipelineResponse r = p.execute(request("u3", 10));
    assertTrue(r.isComplete() && r.isReranked(), r.toString());
    assertEquals(10, r.items().size());
    Map<String, Long> perCategory = r.items().stream()
        .collect(Collectors.groupingBy(s -> catalog.categories[catalog.index(s.itemId())], Collectors.counting()));
    assertEquals(5, perCategory.size());
    perCategory.values().forEach(n -> assertEquals(2L, n));
    // Within the cap, items keep score order.
    for (int i = 1; i < r.items().size(); i++) {
      assertTrue(r.items().get(i - 1).score() >= r.items().get(i).score());
    }
  }

  @Test
  void aFailingGeneratorIsLeftOutAndReported() {
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("broken", req -> {
          throw new IllegalStateException("index not loaded");
        }, "item-1"), 10)
        .addCandidateGenerator(new PopularGenerator(catalog), 20)
        .scorer(new LinearScorer(1, 1, 0))
        .build();
    PipelineResponse r = p.execute(request("u1", 5));
    assertFalse(r.isComplete());
    assertEquals(1, r.degradations().size());
    Degradation d = r.degradations().get(0);
    assertEquals(Stage.CANDIDATES, d.stage());
    assertEquals("broken", d.component());
    assertEquals(Reason.ERROR, d.reason());
    assertEquals("IllegalStateException: index not loaded", d.detail());
    assertTrue(r.isScored());
    assertEquals(5, r.items().size());
    assertTrue(r.items().stream().allMatch(s -> s.source().equals("popular")));
    TelemetrySnapshot snap = telemetry.snapshot();
    assertEquals(1, snap.counter("test.requests"));
    assertEquals(1, snap.counter("test.degraded"));
    assertEquals(1, snap.counter("test.degraded.candidates"));
    assertEquals(1, snap.counter("test.errors"));
    assertEquals(1, snap.latency("test.generator.broken").count());
  }

  @Test
  void aGeneratorOverItsBudgetIsDiscardedWithoutSleeping() {
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("slow", req -> ticker.advance(Duration.ofMillis(15)), "item-1", "item-2"), 10)
        .addCandidateGenerator(new ListGenerator("fast", req -> ticker.advance(Duration.ofMillis(2)), "item-3", "item-4"), 10)
        .stageBudget(Stage.CANDIDATES, Duration.ofMillis(10))
        .scorer(new ConstantScorer())
        .build();
    PipelineResponse r = p.execute(request("u1", 10));
    assertEquals(List.of("item-3", "item-4"), itemIds(r));
    assertEquals(List.of(new Degradation(Stage.CANDIDATES, "slow", Reason.OVER_BUDGET, "took 15000us, budget 10000us")),
        r.degradations());
    assertEquals(Duration.ofMillis(17).toNanos(), r.totalNanos());
    assertEquals(Duration.ofMillis(17).toNanos(), r.stageNanos().get(Stage.CANDIDATES));
  }

  @Test
  void aFailingScorerFallsBackToRetrievalOrderAndSkipsReRanking() {
    Scorer broken = new LinearScorer(1, 0, 0) {
      @Override
      public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
        throw new ArithmeticException("model weights missing");
      }
    };
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("a", null, "item-9", "item-8", "item-7"), 10)
        .addCandidateGenerator(new ListGenerator("b", null, "item-1", "item-2"), 10)
        .scorer(broken)
        .reRanker(new CategoryCapReRanker(catalog, 1))
        .build();
    PipelineResponse r = p.execute(request("u1", 4));
    assertFalse(r.isScored());
    assertFalse(r.isReranked());
    assertEquals(List.of("item-9", "item-1", "item-8", "item-2"), itemIds(r));
    assertTrue(r.items().stream().noneMatch(ScoredItem::isScored));
    assertEquals(2, r.degradations().size());
    assertEquals(Stage.SCORING, r.degradations().get(0).stage());
    assertEquals(Reason.ERROR, r.degradations().get(0).reason());
    assertEquals("ArithmeticException: model weights missing", r.degradations().get(0).detail());
    assertEquals(Stage.RERANKING, r.degradations().get(1).stage());
    assertEquals(Reason.SKIPPED, r.degradations().get(1).reason());
    assertEquals(1, telemetry.snapshot().counter("test.errors"));
  }

  @Test
  void scoringOverTheRequestBudgetFallsBackToRetrievalOrder() {
    LinearScorer slow = new LinearScorer(1, 0, 0) {
      @Override
      public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
        ticker.advance(Duration.ofMillis(25));
        return super.score(request, candidates, features);
      }
    };
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("a", req -> ticker.advance(Duration.ofMillis(5)), "item-9", "item-8", "item-7"), 10)
        .scorer(slow)
        .requestBudget(Duration.ofMillis(20))
        .build();
    PipelineResponse r = p.execute(request("u1", 10));
    assertFalse(r.isScored());
    assertEquals(List.of("item-9", "item-8", "item-7"), itemIds(r));
    assertEquals(List.of(new Degradation(Stage.SCORING, "linear", Reason.OVER_BUDGET, "took 25000us, budget 15000us")),
        r.degradations());
  }

  @Test
  void aSpentRequestBudgetSkipsTheRemainingStages() {
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("a", req -> ticker.advance(Duration.ofMillis(8)), "item-1", "item-2"), 10)
        .addCandidateGenerator(new ListGenerator("b", req -> ticker.advance(Duration.ofMillis(3)), "item-3"), 10)
        .scorer(new LinearScorer(1, 0, 0))
        .reRanker(new CategoryCapReRanker(catalog, 1))
        .requestBudget(Duration.ofMillis(10))
        .build();
    PipelineResponse r = p.execute(request("u1", 10));
    List<Degradation> d = r.degradations();
    assertEquals(4, d.size(), d.toString());
    assertEquals(Reason.OVER_BUDGET, d.get(0).reason());
    assertEquals("b", d.get(0).component());
    assertEquals(Stage.FEATURES, d.get(1).stage());
    assertEquals(Reason.BUDGET_EXHAUSTED, d.get(1).reason());
    assertEquals(Reason.SKIPPED, d.get(2).reason());
    assertEquals(Reason.SKIPPED, d.get(3).reason());
    assertEquals(List.of("item-1", "item-2"), itemIds(r));
  }

  @Test
  void aFailingReRankerFallsBackToScoreOrder() {
    ReRanker broken = (req, scored, k) -> {
      throw new UnsupportedOperationException("no diversity data");
    };
    TwoStagePipeline p = base()
        .addCandidateGenerator(new SimilarityGenerator(catalog), 50)
        .scorer(new LinearScorer(1, 0, 0))
        .reRanker(broken)
        .build();
    PipelineResponse r = p.execute(request("u2", 5));
    assertTrue(r.isScored());
    assertFalse(r.isReranked());
    assertEquals(Stage.RERANKING, r.degradations().get(0).stage());
    List<String> byAffinity = new SimilarityGenerator(catalog).generate(request("u2", 5), 5).stream()
        .map(Candidate::itemId).collect(Collectors.toList());
    assertEquals(byAffinity, itemIds(r));
  }

  @Test
  void invalidStageOutputIsCaughtAndReported() {
    ReRanker inventor = (req, scored, k) -> List.of(ScoredItem.of(Candidate.of("item-999", 1, "x"), 1));
    ReRanker duplicator = (req, scored, k) -> List.of(scored.get(0), scored.get(0));
    ReRanker greedy = (req, scored, k) -> scored;
    for (ReRanker rr : List.of(inventor, duplicator, greedy)) {
      TwoStagePipeline p = base().addCandidateGenerator(new PopularGenerator(catalog), 20)
          .scorer(new LinearScorer(0, 1, 0)).reRanker(rr).build();
      PipelineResponse r = p.execute(request("u1", 3));
      assertEquals(Reason.INVALID_OUTPUT, r.degradations().get(0).reason(), r.toString());
      assertEquals(3, r.items().size());
      assertTrue(r.isScored());
    }
    assertEquals("item 0 ('item-999') was not among the scored candidates", detailOf(inventor));
    assertEquals("item 'item-0' appears twice", detailOf(duplicator));
    assertEquals("returned 20 items for k=3", detailOf(greedy));

    CatalogFeatures shortChanged = new CatalogFeatures(catalog) {
      @Override
      public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
        return super.fetch(request, candidates).subList(0, 1);
      }
    };
    PipelineResponse r = TwoStagePipeline.builder().featureSource(shortChanged)
        .addCandidateGenerator(new PopularGenerator(catalog), 5).scorer(new LinearScorer(1, 1, 1)).build()
        .execute(request("u1", 3));
    assertEquals("returned 1 vectors for 5 candidates", r.degradations().get(0).detail());
    assertEquals(Stage.FEATURES, r.degradations().get(0).stage());
    assertFalse(r.isScored());

    FeatureSchema other = FeatureSchema.builder().addDouble("affinity").build();
    CatalogFeatures wrongSchema = new CatalogFeatures(catalog) {
      @Override
      public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
        List<FeatureVector> out = new ArrayList<>();
        candidates.forEach(c -> out.add(FeatureVector.builder(other).setDouble(0, 1).build()));
        return out;
      }
    };
    r = TwoStagePipeline.builder().featureSource(wrongSchema)
        .addCandidateGenerator(new PopularGenerator(catalog), 5).scorer(new LinearScorer(1, 1, 1)).build()
        .execute(request("u1", 3));
    assertTrue(r.degradations().get(0).detail().startsWith("vector 0 (item 'item-0') has schema [affinity:DOUBLE]"),
        r.degradations().get(0).detail());

    LinearScorer nan = new LinearScorer(1, 1, 1) {
      @Override
      public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> features) {
        double[] s = super.score(request, candidates, features);
        s[2] = Double.NaN;
        return s;
      }
    };
    r = base().addCandidateGenerator(new PopularGenerator(catalog), 5).scorer(nan).build().execute(request("u1", 3));
    assertEquals("score 2 (item 'item-2') is NaN", r.degradations().get(0).detail());
  }

  private String detailOf(ReRanker rr) {
    return base().addCandidateGenerator(new PopularGenerator(catalog), 20)
        .scorer(new LinearScorer(0, 1, 0)).reRanker(rr).build()
        .execute(request("u1", 3)).degradations().get(0).detail();
  }

  @Test
  void noCandidatesGivesAnEmptyCountedResponse() {
    TwoStagePipeline p = base()
        .addCandidateGenerator(new ListGenerator("none", null), 10)
        .scorer(new LinearScorer(1, 0, 0))
        .build();
    PipelineResponse r = p.execute(request("u1", 10));
    assertTrue(r.items().isEmpty());
    assertTrue(r.isComplete());
    assertEquals(1, telemetry.snapshot().counter("test.empty"));
  }

  @Test
  void badInputGetsMessagesThatNameTheFieldAndValue() {
    TwoStagePipeline p = base().addCandidateGenerator(new PopularGenerator(catalog), 5)
        .scorer(new LinearScorer(1, 1, 1)).build();
    assertEquals("request must not be null",
        assertThrows(IllegalArgumentException.class, () -> p.execute(null)).getMessage());
    assertEquals("k must be positive, was 0",
        assertThrows(IllegalArgumentException.class, () -> request("u1", 0)).getMessage());
    assertEquals("k must be positive, was -3",
        assertThrows(IllegalArgumentException.class, () -> request("u1", -3)).getMessage());
    assertEquals("request entity must not be null",
        assertThrows(IllegalArgumentException.class, () -> PipelineRequest.builder(null)).getMessage());
    assertEquals("requestId must be a non-blank string, was ' '", assertThrows(IllegalArgumentException.class,
        () -> PipelineRequest.builder(EntityKey.of("user_id", "u1")).requestId(" ")).getMessage());

    Scorer needsMore = new LinearScorer(1, 1, 1) {
      @Override
      public FeatureSchema inputSchema() {
        return FeatureSchema.builder().addDouble("affinity").addLong("price").build();
      }
    };
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> base().addCandidateGenerator(new PopularGenerator(catalog), 5).scorer(needsMore).build());
    assertEquals("scorer 'linear' needs feature price:LONG but feature source 'CatalogFeatures' provides price:DOUBLE",
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> base().addCandidateGenerator(new PopularGenerator(catalog), 0));
    assertEquals("quota of candidate generator 'popular' must be positive, was 0", e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> base()
        .addCandidateGenerator(new PopularGenerator(catalog), 5).addCandidateGenerator(new PopularGenerator(catalog), 5));
    assertEquals("candidate generator name 'popular' is already used by generator #0", e.getMessage());
    assertEquals("a pipeline needs at least one candidate generator",
        assertThrows(IllegalStateException.class, () -> base().scorer(new ConstantScorer()).build()).getMessage());
    assertEquals("scorer was not set", assertThrows(IllegalStateException.class,
        () -> base().addCandidateGenerator(new PopularGenerator(catalog), 5).build()).getMessage());
    assertEquals("requestBudget must be positive, was PT0S", assertThrows(IllegalArgumentException.class,
        () -> base().requestBudget(Duration.ZERO)).getMessage());
  }

  @Test
  void concurrentRequestsGetTheSameAnswersAsSequentialOnes() throws Exception {
    TwoStagePipeline p = TwoStagePipeline.builder().name("conc").telemetry(telemetry)
        .featureSource(new CatalogFeatures(catalog))
        .addCandidateGenerator(new SimilarityGenerator(catalog), 80)
        .addCandidateGenerator(new PopularGenerator(catalog), 40)
        .scorer(new LinearScorer(1, 0.2, -0.005))
        .reRanker(new CategoryCapReRanker(catalog, 3))
        .build();
    Map<String, List<String>> expected = new HashMap<>();
    for (String u : catalog.users.keySet()) {
      expected.put(u, itemIds(p.execute(request(u, 10))));
    }
    int threads = 8;
    int perThread = 150;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    List<Future<Integer>> futures = new ArrayList<>();
    List<String> users = catalog.users.keySet().stream().sorted(Comparator.naturalOrder()).collect(Collectors.toList());
    for (int t = 0; t < threads; t++) {
      int offset = t;
      futures.add(pool.submit(() -> {
        go.await();
        int checked = 0;
        for (int i = 0; i < perThread; i++) {
          String u = users.get((offset * 7 + i) % users.size());
          PipelineResponse r = p.execute(request(u, 10));
          assertTrue(r.isComplete(), r.toString());
          assertEquals(expected.get(u), itemIds(r), "user " + u);
          checked++;
        }
        return checked;
      }));
    }
    go.countDown();
    int total = 0;
    for (Future<Integer> f : futures) {
      total += f.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertEquals(threads * perThread, total);
    TelemetrySnapshot snap = telemetry.snapshot();
    long n = threads * perThread + users.size();
    assertEquals(n, snap.counter("conc.requests"));
    assertEquals(0, snap.counter("conc.degraded"));
    assertEquals(n, snap.latency("conc.request").count());
    assertEquals(n, snap.latency("conc.stage.scoring").count());
    assertEquals(n, snap.latency("conc.generator.similar").count());
  }

  @Test
  void eachStageIsTimedAloneWithTheSharedTicker() {
    CatalogFeatures features = new CatalogFeatures(catalog) {
      @Override
      public List<FeatureVector> fetch(PipelineRequest request, List<Candidate> candidates) {
        ticker.advance(Duration.ofMillis(3));
        return super.fetch(request, candidates);
      }
    };
    LinearScorer scorer = new LinearScorer(1, 0, 0) {
      @Override
      public double[] score(PipelineRequest request, List<Candidate> candidates, List<FeatureVector> f) {
        ticker.advance(Duration.ofMillis(5));
        return super.score(request, candidates, f);
      }
    };
    ReRanker reRanker = (req, scored, k) -> {
      ticker.advance(Duration.ofMillis(2));
      return scored.subList(0, k);
    };
    TwoStagePipeline p = TwoStagePipeline.builder().name("timed").ticker(ticker).telemetry(telemetry)
        .addCandidateGenerator(new ListGenerator("a", req -> ticker.advance(Duration.ofMillis(7)), "item-1", "item-2"), 10)
        .featureSource(features).scorer(scorer).reRanker(reRanker).build();
    PipelineResponse r = p.execute(request("u1", 1));
    assertTrue(r.isComplete(), r.toString());
    assertEquals(Duration.ofMillis(7).toNanos(), r.stageNanos().get(Stage.CANDIDATES));
    assertEquals(Duration.ofMillis(3).toNanos(), r.stageNanos().get(Stage.FEATURES));
    assertEquals(Duration.ofMillis(5).toNanos(), r.stageNanos().get(Stage.SCORING));
    assertEquals(Duration.ofMillis(2).toNanos(), r.stageNanos().get(Stage.RERANKING));
    assertEquals(Duration.ofMillis(17).toNanos(), r.totalNanos());
    TelemetrySnapshot snap = telemetry.snapshot();
    assertEquals(Duration.ofMillis(5).toNanos(), snap.latency("timed.stage.scoring").max());
    assertEquals(Duration.ofMillis(2).toNanos(), snap.latency("timed.stage.reranking").max());
  }
}
