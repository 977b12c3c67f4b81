package org.sieveml.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.sieveml.core.EntityKey;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.core.telemetry.TelemetrySnapshot;
import org.sieveml.ranking.RankingMetrics;

/**
 * The seeded two-stage recommendation demo: a {@link DemoWorld}, two candidate generators (exact
 * similarity and popularity), features, a linear model and a category-cap re-ranker wired into a
 * {@link TwoStagePipeline}; offline quality against the planted ground truth and against a popularity
 * baseline; per-stage telemetry; and a second pass with an injected fault to show degradation.
 * Stateless; {@link #run} is thread-safe.
 */
public final class PipelineDemo {

  /**
   * The figures of one run.
   *
   * @param requests requests served per pass
   * @param ndcgAt10 mean NDCG@10 of the pipeline
   * @param recallAt10 mean recall@10 of the pipeline
   * @param baselineNdcgAt10 mean NDCG@10 of the popularity baseline
   * @param baselineRecallAt10 mean recall@10 of the popularity baseline
   * @param coverage share of the catalogue recommended at least once by the pipeline
   * @param telemetry the pipeline's metrics after the healthy pass
   * @param faultyRequests requests in the fault-injection pass
   * @param degradedResponses responses that reported a degradation in that pass
   * @param injectedFailures failures injected in that pass
   * @param silentlyPartial degraded responses that did not say so (must be 0)
   */
  public record Result(
      int requests, double ndcgAt10, double recallAt10, double baselineNdcgAt10, double baselineRecallAt10,
      double coverage, TelemetrySnapshot telemetry, int faultyRequests, long degradedResponses,
      long injectedFailures, long silentlyPartial) {}

  private PipelineDemo() {}

  /**
   * Builds the world and runs both passes.
   *
   * @param users users in the world
   * @param items items in the world
   * @param requests requests per pass
   * @param seed the world's seed
   * @param out where progress goes (use a no-op stream to stay quiet)
   * @return the figures
   */
  public static Result run(int users, int items, int requests, long seed, PrintStream out) {
    long t0 = System.nanoTime();
    DemoWorld world = new DemoWorld(users, items, 32, 12, seed);
    out.printf(Locale.ROOT, "[world]      %d users, %d items, 32-dim embeddings, 12 categories (seed %d) in %d ms%n",
        users, items, seed, (System.nanoTime() - t0) / 1_000_000);

    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    TwoStagePipeline pipeline = pipeline(world, DemoStages.similar(world), telemetry, "recs");
    out.println("[pipeline]   " + pipeline);

    double ndcg = 0;
    double recall = 0;
    double baseNdcg = 0;
    double baseRecall = 0;
    Set<String> recommended = new HashSet<>();
    List<String> popularTop = DemoStages.popular(world).generate(request(0), 10).stream()
        .map(c -> c.itemId()).collect(Collectors.toList());
    for (int r = 0; r < requests; r++) {
      int u = r % users;
      PipelineResponse resp = pipeline.execute(request(u));
      List<String> ids = resp.items().stream().map(ScoredItem::itemId).collect(Collectors.toList());
      recommended.addAll(ids);
      Set<String> rel = world.relevant(u);
      ndcg += RankingMetrics.ndcgAtK(ids, rel, 10);
      recall += RankingMetrics.recallAtK(ids, rel, 10);
      baseNdcg += RankingMetrics.ndcgAtK(popularTop, rel, 10);
      baseRecall += RankingMetrics.recallAtK(popularTop, rel, 10);
    }
    TelemetrySnapshot snapshot = telemetry.snapshot();
    out.printf(Locale.ROOT, "[serve]      %d requests, top-10 each%n", requests);

    // Second pass: every 10th call of the similarity generator fails.
    InMemoryTelemetry faultyTelemetry = new InMemoryTelemetry();
    TwoStagePipeline faulty = pipeline(
        world, DemoStages.failingEvery(DemoStages.similar(world), 10), faultyTelemetry, "recs-faulty");
    long degraded = 0;
    long silent = 0;
    for (int r = 0; r < requests; r++) {
      PipelineResponse resp = faulty.execute(request(r % users));
      boolean allSimilarMissing = resp.items().stream().noneMatch(s -> s.candidate().isFrom("similar"));
      if (!resp.isComplete()) {
        degraded++;
      } else if (allSimilarMissing) {
        silent++;
      }
    }
    long injected = requests / 10;
    out.printf(Locale.ROOT, "[faults]     %d requests with every 10th similarity call failing: %d degraded"
        + " responses, each saying so; %d silently partial%n", requests, degraded, silent);
    return new Result(requests, ndcg / requests, recall / requests, baseNdcg / requests, baseRecall / requests,
        recommended.size() / (double) items, snapshot, requests, degraded, injected, silent);
  }

  static TwoStagePipeline pipeline(
      DemoWorld world, CandidateGenerator similar, InMemoryTelemetry telemetry, String name) {
    return TwoStagePipeline.builder()
        .name(name)
        .addCandidateGenerator(similar, 400)
        .addCandidateGenerator(DemoStages.popular(world), 100)
        .featureSource(DemoStages.features(world))
        .scorer(DemoStages.linearModel())
        .reRanker(DemoStages.categoryCap(world, 4))
        .requestBudget(Cli.requestBudget(Duration.ofMillis(250)))
        .telemetry(telemetry)
        .build();
  }

  static PipelineRequest request(int u) {
    return PipelineRequest.of(EntityKey.of("user_id", DemoWorld.userId(u)), 10);
  }
}
