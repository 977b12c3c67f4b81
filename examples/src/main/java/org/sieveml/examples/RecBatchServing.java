package org.sieveml.examples;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.PipelineResponse;
import org.sieveml.core.pipeline.ReRanker;
import org.sieveml.core.pipeline.Scorer;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.features.Entity;
import org.sieveml.features.FeatureStore;
import org.sieveml.ranking.Ranker;
import org.sieveml.ranking.RankingMetrics;
import org.sieveml.serving.BatchPrediction;
import org.sieveml.serving.BatchResult;
import org.sieveml.serving.PrecomputedCandidates;

/**
 * The recommendation study's two serving modes side by side: online (retrieve, read features, score and
 * re-rank per request) and batch (a {@link BatchPrediction} scores every user's candidates ahead of time
 * and stores the top {@value #STORED} in the feature store; requests read them through
 * {@link PrecomputedCandidates} and re-rank online). Two batch variants: the stored scores re-ranked by MMR
 * alone, and the stored list re-scored with the features read at request time, then MMR. Every mode serves
 * the same users at the same store time with the same ranker and MMR, so recall and latency are compared
 * like for like; each request is timed on its own, modes interleaved user by user.
 *
 * <p>Stateless; {@link #compare} is thread-safe when its arguments are.
 */
final class RecBatchServing {

  /** How many scored candidates the batch job keeps per user. */
  static final int STORED = 100;

  private RecBatchServing() {}

  /**
   * One mode's figures.
   *
   * @param recall mean recall@10
   * @param ndcg mean NDCG@10
   * @param latencyNanos per-request latencies, sorted ascending
   */
  record Mode(double recall, double ndcg, long[] latencyNanos) {
    long percentile(double p) {
      return latencyNanos[Math.min(latencyNanos.length - 1, (int) Math.ceil(p * latencyNanos.length) - 1)];
    }
  }

  /**
   * The comparison.
   *
   * @param batch what the batch job did
   * @param batchUsers users scored by the batch job
   * @param modes figures per mode: online, batch + MMR, batch + fresh scores + MMR
   * @param hits requests answered from stored lists
   * @param fallbacks requests that fell back to online candidates
   */
  record Result(BatchResult batch, int batchUsers, Map<String, Mode> modes, long hits, long fallbacks) {}

  /**
   * Runs the batch job at {@code at} and serves {@code users} in every mode.
   *
   * @param store the feature store (its clock is the serving time)
   * @param at the batch job's score time (the store's clock)
   * @param user the user entity
   * @param candidates the online candidate generators with their quotas, in the pipeline's order
   * @param features the ranker's features of a user's candidates (no side effects: it is called by the batch
   *     job for every user)
   * @param ranker the ranker
   * @param reRanker the re-ranker (MMR)
   * @param batchUsers every user the batch job scores
   * @param users the evaluated users, with their unseen test items
   * @return the figures
   */
  static Result compare(FeatureStore store, long at, Entity user, Map<CandidateGenerator, Integer> candidates,
      FeatureSource features, Ranker ranker, ReRanker reRanker, List<Integer> batchUsers,
      Map<Integer, Set<String>> users) {
    int perUser = candidates.values().stream().mapToInt(Integer::intValue).sum();
    CandidateGenerator merged = CandidateGenerator.of("als+trending", (request, limit) -> {
      Map<String, Candidate> m = new LinkedHashMap<>();
      for (Map.Entry<CandidateGenerator, Integer> e : candidates.entrySet()) {
        for (Candidate c : e.getKey().generate(request, e.getValue())) {
          m.putIfAbsent(c.itemId(), c);
        }
      }
      List<Candidate> out = new ArrayList<>(m.values());
      return out.size() > limit ? out.subList(0, limit) : out;
    });
    BatchPrediction job = BatchPrediction.builder(store).ranker(ranker, ranker.name() + "@study")
        .outputView("user_recs", user, Duration.ofDays(2)).pairs(merged, perUser, STORED, features)
        .runLabel("nightly").clock(() -> at).chunkSize(500).build();
    List<EntityKey> keys = new ArrayList<>(batchUsers.size());
    batchUsers.forEach(u -> keys.add(user.key((long) u)));
    BatchResult done = job.run(keys, at, null);

    Duration budget = Cli.requestBudget(Duration.ofSeconds(2));
    TwoStagePipeline.Builder online = TwoStagePipeline.builder().name("online").featureSource(features)
        .scorer(ranker).reRanker(reRanker).requestBudget(budget);
    candidates.forEach(online::addCandidateGenerator);
    // the stored list's generator falls back to the online candidates when a user has no list
    PrecomputedCandidates stored = PrecomputedCandidates.of("precomputed", store, job.predictionService(), merged);
    FeatureVector empty = FeatureVector.builder(FeatureSchema.empty()).build();
    FeatureSource none = FeatureSource.of("none", FeatureSchema.empty(),
        (request, cands) -> java.util.Collections.nCopies(cands.size(), empty));
    Scorer storedScore = new Scorer() {
      @Override
      public String name() {
        return "stored-score";
      }

      @Override
      public FeatureSchema inputSchema() {
        return FeatureSchema.empty();
      }

      @Override
      public double[] score(PipelineRequest request, List<Candidate> cands, List<FeatureVector> rows) {
        double[] s = new double[cands.size()];
        for (int i = 0; i < s.length; i++) {
          s[i] = cands.get(i).retrievalScore();
        }
        return s;
      }
    };
    Map<String, TwoStagePipeline> pipelines = new LinkedHashMap<>();
    pipelines.put("online", online.build());
    pipelines.put("batch + MMR", TwoStagePipeline.builder().name("batch").addCandidateGenerator(stored, STORED)
        .featureSource(none).scorer(storedScore).reRanker(reRanker).requestBudget(budget).build());
    pipelines.put("batch + fresh scores + MMR", TwoStagePipeline.builder().name("batch-rescored")
        .addCandidateGenerator(stored, STORED).featureSource(features).scorer(ranker).reRanker(reRanker)
        .requestBudget(budget).build());

    // warm every mode on a few users first, so the first mode timed does not pay for the JIT
    int warm = 0;
    for (int u : users.keySet()) {
      if (warm++ == 200) {
        break;
      }
      for (TwoStagePipeline p : pipelines.values()) {
        p.execute(PipelineRequest.of(user.key((long) u), 50));
      }
    }
    long hitsBefore = stored.hits();
    long fallbacksBefore = stored.fallbacks();
    Map<String, double[]> sums = new LinkedHashMap<>();
    Map<String, long[]> lat = new LinkedHashMap<>();
    pipelines.keySet().forEach(m -> {
      sums.put(m, new double[2]);
      lat.put(m, new long[users.size()]);
    });
    int n = 0;
    for (Map.Entry<Integer, Set<String>> e : users.entrySet()) {
      PipelineRequest request = PipelineRequest.of(user.key((long) e.getKey()), 50);
      for (Map.Entry<String, TwoStagePipeline> p : pipelines.entrySet()) {
        long t0 = System.nanoTime();
        PipelineResponse resp = p.getValue().execute(request);
        lat.get(p.getKey())[n] = System.nanoTime() - t0;
        if (!resp.isComplete()) {
          throw new IllegalStateException("mode '" + p.getKey() + "' did not complete for user " + e.getKey() + ": "
              + resp);
        }
        List<String> top = resp.items().stream().map(ScoredItem::itemId).toList();
        double[] s = sums.get(p.getKey());
        s[0] += RankingMetrics.recallAtK(top, e.getValue(), 10);
        s[1] += RankingMetrics.ndcgAtK(top, e.getValue(), 10);
      }
      n++;
    }
    Map<String, Mode> modes = new LinkedHashMap<>();
    for (String m : pipelines.keySet()) {
      long[] l = lat.get(m);
      Arrays.sort(l);
      modes.put(m, new Mode(sums.get(m)[0] / n, sums.get(m)[1] / n, l));
    }
    return new Result(done, batchUsers.size(), modes, (stored.hits() - hitsBefore) / 2,
        (stored.fallbacks() - fallbacksBefore) / 2);
  }

  /**
   * Prints the comparison; latency lines carry "latency" and are the only ones that vary between runs.
   *
   * @param r the comparison
   * @param out where to print
   */
  static void print(Result r, PrintStream out) {
    out.printf(Locale.ROOT, "[batch]      %,d users scored ahead of time: %,d (user, candidate) pairs, top %d stored "
        + "per user in %d chunks (offline log + online, TTL 2 days)%n", r.batchUsers(), r.batch().pairs(), STORED,
        r.batch().chunks());
    out.printf(Locale.ROOT, "[batch]      batch job took %d ms (timing)%n", r.batch().elapsed().toMillis());
    out.println();
    out.printf(Locale.ROOT, "Serving modes on the same %,d test users (stored lists used %,d times, fallbacks %,d):%n",
        r.modes().values().iterator().next().latencyNanos().length, r.hits(), r.fallbacks());
    out.printf(Locale.ROOT, "  %-30s %10s %10s%n", "", "recall@10", "NDCG@10");
    r.modes().forEach((m, f) -> out.printf(Locale.ROOT, "  %-30s %10.4f %10.4f%n", m, f.recall(), f.ndcg()));
    r.modes().forEach((m, f) -> out.printf(Locale.ROOT, "  latency %-22s p50 %8.1f us, p99 %8.1f us (timing)%n", m,
        f.percentile(0.5) / 1e3, f.percentile(0.99) / 1e3));
  }

  /**
   * The comparison as an HTML fragment: a table and a labelled bar chart of p50 and p99 latency per mode.
   *
   * @param r the comparison
   * @return one {@code <section>}
   */
  static String html(Result r) {
    StringBuilder h = new StringBuilder("<section><h2>Serving modes: online vs precomputed (batch)</h2><p>")
        .append(String.format(Locale.ROOT, "A batch job scored %,d users' candidates ahead of time (%,d pairs) and "
            + "stored the top %d per user in the feature store; requests read them and re-rank online.</p>\n",
            r.batchUsers(), r.batch().pairs(), STORED))
        .append("<table><tr><th>mode</th><th>recall@10</th><th>NDCG@10</th><th>p50 latency</th><th>p99 latency</th></tr>\n");
    double max = 1;
    for (Map.Entry<String, Mode> e : r.modes().entrySet()) {
      Mode m = e.getValue();
      max = Math.max(max, m.percentile(0.99) / 1e3);
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.1f µs</td><td>%.1f µs</td></tr>\n",
          e.getKey(), m.recall(), m.ndcg(), m.percentile(0.5) / 1e3, m.percentile(0.99) / 1e3));
    }
    // one line per measured figure and the chart on one line naming its unit: the flagship's timing lines
    h.append("</table>\n");
    int w = 640;
    int rowH = 46;
    int left = 230;
    int plot = w - left - 40;
    int hgt = 40 + rowH * r.modes().size() + 40;
    h.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "role=\"img\" aria-label=\"latency per serving mode\">", w, hgt));
    int i = 0;
    for (Map.Entry<String, Mode> e : r.modes().entrySet()) {
      double p50 = e.getValue().percentile(0.5) / 1e3;
      double p99 = e.getValue().percentile(0.99) / 1e3;
      int y = 20 + rowH * i++;
      h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">%s</text>",
          left - 8, y + 22, e.getKey()));
      h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"#1f77b4\"/>",
          left, y + 4, Math.max(1, p50 / max * plot)));
      h.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"16\" fill=\"#aec7e8\"/>",
          left, y + 22, Math.max(1, p99 / max * plot)));
    }
    int axisY = 20 + rowH * r.modes().size() + 4;
    h.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 %d)\">serving mode</text>", axisY / 2, axisY / 2));
    h.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>", left, axisY,
        left + plot, axisY));
    for (int k = 0; k <= 4; k++) {
      h.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f µs</text>",
          left + plot * k / 4.0, axisY + 14, max * k / 4));
    }
    h.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">latency per "
        + "request (µs; dark: p50, light: p99)</text>", left + plot / 2, axisY + 32));
    return h.append("</svg>\n</section>\n").toString();
  }
}
