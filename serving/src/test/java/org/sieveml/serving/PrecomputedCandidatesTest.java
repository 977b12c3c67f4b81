package org.sieveml.serving;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.sieveml.serving.ServingFixture.DAY;
import static org.sieveml.serving.ServingFixture.T;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.features.FeatureStatus;
import org.sieveml.features.FeatureStore;
import org.sieveml.features.OnlineFeatures;
import org.sieveml.ranking.GbdtRanker;

/** Pairs mode: top-N per user from a candidate generator, served back as a candidate generator. */
class PrecomputedCandidatesTest {

  static final int USERS = 120;
  static final int ITEMS = 60;

  @Test
  void storedTopNIsTheOnlineTopNOfTheSameCandidatesAndFallsBackWhenMissingOrExpired() {
    AtomicLong clock = new AtomicLong(T);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, USERS, ITEMS, 17);
      GbdtRanker model = ServingFixture.pairModel(store, USERS, ITEMS);
      CandidateGenerator cands = ServingFixture.candidates(ITEMS);
      BatchPrediction batch = BatchPrediction.builder(store).service(ServingFixture.PAIR_MODEL)
          .ranker(model, "recs@v1").outputView("recs_top", ServingFixture.USER, Duration.ofDays(1))
          .pairs(cands, 20, 5, ServingFixture::pairOf).chunkSize(32).build();
      List<EntityKey> scored = ServingFixture.users(100); // users 100..119 are not batch scored
      BatchResult r = batch.run(scored, T, null);
      assertEquals(100, r.scored());
      assertEquals(100 * 20, r.pairs());
      assertEquals(4, r.chunks());
      assertEquals(100, ServingFixture.offlineRows(store, batch.predictionView()).size());

      store.materialize("user_stats", 0, T + 1, null);
      store.materialize("item_stats", 0, T + 1, null);
      CandidateGenerator fallback = CandidateGenerator.of("popular", (req, limit) ->
          List.of(Candidate.of("59", 0.5, "popular"), Candidate.of("58", 0.4, "popular")));
      PrecomputedCandidates pre = PrecomputedCandidates.of("precomputed", store, batch.predictionService(), fallback);
      int distinctTops = 0;
      String firstTop = null;
      for (EntityKey u : scored) {
        // online: the same 20 candidates, features read online at the same time, scored by the same model
        List<Candidate> c = cands.generate(PipelineRequest.of(u, 5), 20);
        List<EntityKey> pairs = new ArrayList<>();
        for (Candidate x : c) {
          pairs.add(ServingFixture.pairOf(u, x));
        }
        OnlineFeatures f = store.getOnlineFeatures(pairs, ServingFixture.PAIR_MODEL);
        double[] s = model.predict(f.vectors());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < c.size(); i++) {
          order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -s[i])); // stable: ties in retrieval order
        List<Candidate> got = pre.generate(PipelineRequest.of(u, 5), 10);
        assertEquals(5, got.size(), u.toString());
        for (int k = 0; k < 5; k++) {
          assertEquals(c.get(order.get(k)).itemId(), got.get(k).itemId(), u + " rank " + k);
          assertEquals(s[order.get(k)], got.get(k).retrievalScore(), u + " rank " + k);
          assertEquals("precomputed", got.get(k).source());
        }
        assertEquals(3, pre.generate(PipelineRequest.of(u, 3), 3).size(), "the limit is applied");
        String top = got.get(0).itemId();
        if (firstTop == null) {
          firstTop = top;
        } else if (!top.equals(firstTop)) {
          distinctTops++;
        }
      }
      assertTrue(distinctTops > 10, "lists differ between users: " + distinctTops);
      assertEquals(200, pre.hits());
      assertEquals(0, pre.fallbacks());

      // a user without a list falls back, and says where the candidates came from
      List<Candidate> fb = pre.generate(PipelineRequest.of(ServingFixture.user(110), 5), 5);
      assertEquals(List.of("59", "58"), fb.stream().map(Candidate::itemId).toList());
      assertEquals("precomputed", fb.get(0).source());
      assertTrue(fb.get(0).isFrom("popular"));
      assertEquals(1, pre.fallbacks());

      // in a pipeline, until the lists expire with their TTL
      TwoStagePipeline pipeline = TwoStagePipeline.builder().name("recs").addCandidateGenerator(pre, 5)
          .featureSource(store.featureSource(ServingFixture.PAIR_MODEL, (req, c) -> ServingFixture.pairOf(req.entity(), c)))
          .scorer(model).build();
      PipelineResponse resp = pipeline.execute(PipelineRequest.of(ServingFixture.user(4), 5));
      assertTrue(resp.isComplete(), resp.toString());
      assertEquals(pre.generate(PipelineRequest.of(ServingFixture.user(4), 5), 5).stream().map(Candidate::itemId)
          .toList(), resp.items().stream().map(i -> i.itemId()).toList());
      clock.set(T + DAY);
      assertEquals(FeatureStatus.EXPIRED, store.getOnlineFeatures(List.of(ServingFixture.user(4)),
          batch.predictionService()).status(0, BatchPrediction.ITEMS));
      long before = pre.fallbacks();
      assertEquals(List.of("59", "58"), pre.generate(PipelineRequest.of(ServingFixture.user(4), 5), 5).stream()
          .map(Candidate::itemId).toList());
      assertEquals(before + 1, pre.fallbacks());
    }
  }

  @Test
  void withTheOnlineFeatureSourceTheStoredTopNIsTheOnlinePipelinesTopNScoreForScore() {
    AtomicLong clock = new AtomicLong(T);
    try (FeatureStore store = ServingFixture.store(null, clock::get)) {
      ServingFixture.ingest(store, USERS, ITEMS, 23);
      GbdtRanker model = ServingFixture.pairModel(store, USERS, ITEMS);
      store.materialize("user_stats", 0, T + 1, null);
      store.materialize("item_stats", 0, T + 1, null);
      CandidateGenerator cands = ServingFixture.candidates(ITEMS);
      // the pipeline's own feature source: what a ranker reading retrieval scores beside stored features needs
      org.sieveml.core.pipeline.FeatureSource source = store.featureSource(ServingFixture.PAIR_MODEL,
          (req, c) -> ServingFixture.pairOf(req.entity(), c));
      BatchPrediction batch = BatchPrediction.builder(store).ranker(model, "recs@v1")
          .outputView("recs_src", ServingFixture.USER, Duration.ofDays(1)).pairs(cands, 20, 6, source).chunkSize(25)
          .build();
      List<EntityKey> scored = ServingFixture.users(100);
      BatchResult r = batch.run(scored, T, null);
      assertEquals(100, r.scored());
      assertEquals(100 * 20, r.pairs());
      assertEquals(4, r.chunks());
      assertTrue(r.runId().startsWith("batch:"), r.runId());
      PrecomputedCandidates pre = PrecomputedCandidates.of("precomputed", store, batch.predictionService(),
          CandidateGenerator.of("none", (req, limit) -> List.of()));
      TwoStagePipeline online = TwoStagePipeline.builder().name("online").addCandidateGenerator(cands, 20)
          .featureSource(source).scorer(model).build();
      int distinctTops = 0;
      String firstTop = null;
      for (EntityKey u : scored) {
        PipelineResponse resp = online.execute(PipelineRequest.of(u, 6));
        assertTrue(resp.isComplete(), resp.toString());
        List<Candidate> got = pre.generate(PipelineRequest.of(u, 6), 6);
        assertEquals(resp.items().size(), got.size(), u.toString());
        for (int k = 0; k < got.size(); k++) {
          assertEquals(resp.items().get(k).itemId(), got.get(k).itemId(), u + " rank " + k);
          assertEquals(resp.items().get(k).score(), got.get(k).retrievalScore(), u + " rank " + k);
        }
        if (firstTop == null) {
          firstTop = got.get(0).itemId();
        } else if (!got.get(0).itemId().equals(firstTop)) {
          distinctTops++;
        }
      }
      assertTrue(distinctTops > 10, "lists differ between users: " + distinctTops);
      assertEquals(100, pre.hits());

      // a rerun is the same run and skips everything; a source returning the wrong number of rows is refused
      assertEquals(100, batch.run(scored, T, null).skipped());
      org.sieveml.core.pipeline.FeatureSource shortSource = org.sieveml.core.pipeline.FeatureSource.of("short",
          source.schema(), (req, c) -> source.fetch(req, c.subList(0, c.size() - 1)));
      BatchPrediction bad = BatchPrediction.builder(store).ranker(model, "recs@v1")
          .outputView("recs_bad", ServingFixture.USER, Duration.ofDays(1)).pairs(cands, 20, 6, shortSource).build();
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> bad.run(ServingFixture.users(3), T, null));
      assertTrue(e.getMessage().contains("'short' returned 19 rows for 20 candidates"), e.getMessage());
      IllegalStateException both = assertThrows(IllegalStateException.class, () -> BatchPrediction.builder(store)
          .service(ServingFixture.PAIR_MODEL).ranker(model, "recs@v1")
          .outputView("recs_both", ServingFixture.USER, Duration.ofDays(1)).pairs(cands, 20, 6, source).build());
      assertTrue(both.getMessage().contains("expected one of the two"), both.getMessage());
    }
  }

  @Test
  void aServiceWithoutListsIsRefused() {
    try (FeatureStore store = ServingFixture.store(null, () -> T)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PrecomputedCandidates.of("p",
          store, ServingFixture.USER_MODEL, CandidateGenerator.of("x", (r, l) -> List.of())));
      assertTrue(e.getMessage().contains("'items'"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> PrecomputedCandidates.of(" ", store,
          ServingFixture.USER_MODEL, CandidateGenerator.of("x", (r, l) -> List.of())));
      assertTrue(e.getMessage().contains("' '"), e.getMessage());
    }
  }
}
