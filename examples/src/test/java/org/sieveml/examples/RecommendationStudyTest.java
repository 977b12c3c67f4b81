package org.sieveml.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flagship case study on small seeded data (asserting it recovers the planted tastes) and on MovieLens. */
class RecommendationStudyTest {

  @TempDir
  Path tmp;

  @Test
  void seededWorldRecoversPlantedTastesAndBeatsPopularity() throws Exception {
    RecData data = RecData.seeded(800, 800, 12, 30, 7);
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    Path report = tmp.resolve("report.html");
    RecommendationStudy.Result r = RecommendationStudy.run(data, 7, new PrintStream(log, true, StandardCharsets.UTF_8),
        report);
    String printed = log.toString(StandardCharsets.UTF_8);
    double pipe = r.recall().get("pipeline");
    double als = r.recall().get("als");
    double pop = r.recall().get("popularity");
    assertTrue(r.testUsers() > 50, "test users " + r.testUsers());
    assertTrue(pipe > 1.3 * pop, "pipeline recall@10 " + pipe + " vs popularity " + pop + "\n" + printed);
    assertTrue(pipe > 0.9 * als, "pipeline recall@10 " + pipe + " vs ALS alone " + als + "\n" + printed);
    assertTrue(r.ndcg().get("pipeline") > r.ndcg().get("popularity"), printed);
    // users pick 8x more often from their two favourite genres of 12 (40 % of their picks by weight)
    assertTrue(r.genreMatch() > 0.5, "share of top-10 in planted favourite genres " + r.genreMatch());
    assertTrue(r.coverage().get("pipeline") > r.coverage().get("popularity"), r.coverage().toString());
    double[] curve = r.recallCurve().get("pipeline");
    assertEquals(50, curve.length);
    for (int k = 1; k < curve.length; k++) {
      assertTrue(curve[k] >= curve[k - 1] - 1e-12, "recall@k must not fall with k");
    }
    assertEquals(r.testUsers(), r.telemetry().counter("recs.requests"));
    assertEquals(0, r.telemetry().counter("recs.degraded"), printed);
    assertTrue(!r.drift().isEmpty(), "a drift report per test week with traffic");
    String html = Files.readString(report);
    assertTrue(html.contains("<svg") && html.contains("Recall@k") && html.contains("Drift"), "report content");
    // issue 20: the drift section is embedded as a fragment, not as a second page inside the first
    String lower = html.toLowerCase(java.util.Locale.ROOT);
    assertEquals(1, lower.split("<html", -1).length - 1, "one <html> in the report");
    assertEquals(1, lower.split("<body", -1).length - 1, "one <body> in the report");
    assertTrue(html.contains("<section class=\"sieveml-drift\">"), "the drift fragment is embedded");
    // issue 21: precomputed (batch) recommendations re-ranked online, on the same users as the online pipeline
    RecBatchServing.Result modes = r.servingModes();
    assertEquals(r.testUsers(), modes.hits(), "every evaluated user is served its stored list");
    assertEquals(0, modes.fallbacks());
    assertTrue(modes.batchUsers() >= r.testUsers(), "the batch job scores every servable user: " + modes.batchUsers());
    assertTrue(modes.batch().pairs() > 100L * modes.batchUsers(), "candidates scored per user: " + modes.batch().pairs());
    double online = modes.modes().get("online").recall();
    assertEquals(pipe, online, 1e-12, "the online mode is the study's pipeline");
    for (String m : new String[] {"batch + MMR", "batch + fresh scores + MMR"}) {
      double b = modes.modes().get(m).recall();
      // the same ranker over the same features at the same store time: within a few per cent of online
      assertTrue(Math.abs(b - online) <= 0.1 * online, m + " recall@10 " + b + " vs online " + online + "\n" + printed);
      assertTrue(b > 1.3 * pop, m + " recall@10 " + b + " vs popularity " + pop);
      assertEquals(r.testUsers(), modes.modes().get(m).latencyNanos().length);
    }
    assertTrue(html.contains("Serving modes: online vs precomputed (batch)"), "the report compares the modes");
    for (String stage : new String[] {"[features]", "[als]", "[ranker]", "[pipeline]", "[evaluate]", "[batch]",
        "[drift]"}) {
      assertTrue(printed.contains(stage), "prints what stage " + stage + " did");
    }
  }

  @Test
  void movieLensBeatsPopularity() {
    String d = System.getProperty("sieveml.data.dir", "../shared/data");
    Path dir = Path.of(d, "movielens-100k");
    Assumptions.assumeTrue(Files.exists(dir.resolve("u.data")), "MovieLens 100k not found at " + dir);
    RecommendationStudy.Result r = RecommendationStudy.run(RecData.movieLens(dir), 42,
        new PrintStream(OutputStream.nullOutputStream()), null);
    double pipe = r.recall().get("pipeline");
    double pop = r.recall().get("popularity");
    assertTrue(pipe > pop, "pipeline recall@10 " + pipe + " vs popularity " + pop);
    assertTrue(r.coverage().get("pipeline") > r.coverage().get("popularity"), r.coverage().toString());
  }
}
