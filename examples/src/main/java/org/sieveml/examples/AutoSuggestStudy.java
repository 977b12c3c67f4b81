package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.sieveml.core.FeatureFrame;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;

/**
 * The search auto-suggest case study: a query log typed keystroke by keystroke ({@link AutoSuggestData};
 * seeded, with planted trends, user tastes and typos) replayed in time order through a
 * {@link AutoSuggester}: a prefix trie rebuilt daily, candidates by time-decayed popularity (retrieval's
 * {@code PopularityCandidateGenerator} decay), one-edit typo tolerance, personalization features, a
 * LambdaMART ranker (XGBoost {@code rank:ndcg}, one group per keystroke, label = the query the user
 * finally issued) and MMR diversity. The first half of the days only builds state; keystrokes of the
 * next quarter (up to two per session) are the ranker's training groups, with features as of their
 * time; the last quarter is held out. It prints MRR@10 and success@3 per keystroke of the held-out
 * sessions for the most-popular completion, the decayed-popularity completion, LambdaMART and
 * LambdaMART + MMR (overall, after a typo, on trending queries), how much of the top 10 follows the users'
 * planted tastes, an MMR relevance-weight sweep, where the planted trends rank, and the latency per
 * keystroke of the full path (measured after a warm-up pass), and writes an HTML report.
 *
 * <p>Every printed figure is a function of the data and the seed, except the lines starting with
 * {@code [latency]} (and the report's path on the {@code [report]} line). Stateless; {@link #run} is thread-safe (each run has its own state).
 */
public final class AutoSuggestStudy {

  private AutoSuggestStudy() {}

  /** The systems compared, in print order. */
  static final List<String> SYSTEMS = List.of("most-popular", "decayed", "lambdamart", "lambdamart+mmr");
  static final Map<String, String> LABELS = Map.of("most-popular", "most-popular completion (all-time count)",
      "decayed", "decayed popularity (1-day half-life)", "lambdamart", "LambdaMART (no diversity)",
      "lambdamart+mmr", "LambdaMART + MMR (the system)");
  static final int MAX_PREFIX_CHART = 10;
  /** The MMR relevance weights compared in the trade-off between MRR and word overlap. */
  static final double[] SWEEP = {1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.3};

  /**
   * Where a planted trend ranks at the start of the held-out period, for an anonymous user typing the
   * shared first word and a space (11 = not in the top 10).
   *
   * @param older the older, more popular query
   * @param trending the query that started trending
   * @param prefix the prefix typed
   * @param ranks rank of {older, trending} per system
   * @param usersTrendingFirst share of the users for whom the system ranks the trending query above the older one
   *     <p>Immutable by convention (do not write to the arrays); safe to share between threads.
   */
  public record TrendCheck(String older, String trending, String prefix, Map<String, int[]> ranks,
      double usersTrendingFirst) {}

  /**
   * The figures of one run.
   *
   * @param data the data's description
   * @param sessions sessions in the log
   * @param trainGroups keystroke groups the ranker trained on
   * @param trainRows candidate rows in them
   * @param testSessions held-out sessions
   * @param testKeystrokes held-out keystrokes evaluated
   * @param typoKeystrokes those whose prefix holds a typo
   * @param mrr MRR@10 per system
   * @param success3 success@3 per system
   * @param typoMrr MRR@10 per system on the typo'd keystrokes
   * @param trendMrr MRR@10 per system on the keystrokes of sessions issuing a planted trending query
   * @param tasteShare per system, the share of the top 10 after a signed-in user's first character that falls
   *     in the user's two planted favourite topics
   * @param mrrByLength MRR@10 per system by characters typed (1 to 10)
   * @param similarity mean word overlap of the top-10 pairs, LambdaMART with and without MMR
   * @param mmrSweep per MMR relevance weight: {lambda, MRR@10, word overlap}
   * @param trends where the planted trends rank
   * @param trendDaily per planted trend, chosen per day {older, trending}
   * @param latencyNanos the full path's time per held-out keystroke, after warm-up, sorted
   * @param figures every printed line except the timing lines (deterministic for a seed)
   * @param suggester the state at the end of the log, with the trained ranker (not thread-safe)
   *     <p>The figures are immutable by convention (do not write to the arrays) and may be read from any
   *     thread; the suggester must be used by one thread at a time.
   */
  public record Result(String data, int sessions, int trainGroups, int trainRows, int testSessions,
      int testKeystrokes, int typoKeystrokes, Map<String, Double> mrr, Map<String, Double> success3,
      Map<String, Double> typoMrr, Map<String, Double> trendMrr,
      Map<String, Double> tasteShare, Map<String, double[]> mrrByLength, Map<String, Double> similarity,
      double[][] mmrSweep, List<TrendCheck> trends, List<int[][]> trendDaily, long[] latencyNanos, String figures,
      AutoSuggester suggester) {

    /**
     * A latency quantile.
     *
     * @param q the quantile in [0, 1]
     * @return microseconds
     */
    public double latencyMicros(double q) {
      if (latencyNanos.length == 0) {
        return Double.NaN;
      }
      return latencyNanos[(int) Math.min(latencyNanos.length - 1, Math.floor(q * latencyNanos.length))] / 1000.0;
    }
  }

  /**
   * Runs the study.
   *
   * @param data the query log
   * @param seed the seed (keystroke sampling, the ranker)
   * @param out the stages and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(AutoSuggestData data, long seed, PrintStream out, Path report) {
    StringBuilder fig = new StringBuilder();
    int days = data.days();
    int trainDay = days / 2;
    int testDay = days * 3 / 4;
    List<AutoSuggestData.Session> sessions = data.sessions();
    int typos = 0;
    int chosen = 0;
    long keys = 0;
    for (AutoSuggestData.Session s : sessions) {
      typos += s.typoAt() >= 0 ? 1 : 0;
      List<AutoSuggestData.Keystroke> ks = s.keystrokes();
      chosen += ks.get(ks.size() - 1).chosen() >= 0 ? 1 : 0;
      keys += ks.size();
    }
    line(out, fig, String.format(Locale.ROOT, "[data]       %s: %,d queries in %d topics, %,d users, %,d sessions "
        + "over %d days (%,d keystrokes, %.1f %% of sessions with a typo), %d planted trends from day %d",
        data.name(), data.queryCount(), data.topicNames().length, data.users(), sessions.size(), days, keys,
        100.0 * typos / sessions.size(), data.trends().length, data.trendDay()));
    line(out, fig, String.format(Locale.ROOT, "[log]        logging policy (most-popular completion, %d shown): a "
        + "suggestion chosen in %.1f %% of sessions, %.2f keystrokes per session", AutoSuggestData.SHOWN,
        100.0 * chosen / sessions.size(), keys / (double) sessions.size()));

    AutoSuggester sug = new AutoSuggester(data);
    SplittableRandom r = new SplittableRandom(seed);
    boolean[] seen = new boolean[data.queryCount()];
    int day = -1;
    // training groups
    List<double[]> rows = new ArrayList<>();
    List<Double> labels = new ArrayList<>();
    List<Integer> groups = new ArrayList<>();
    int sampled = 0;
    // evaluation
    Map<String, double[]> sums = new LinkedHashMap<>(); // {rr, success3, typoRr}
    Map<String, double[]> byLenRr = new LinkedHashMap<>();
    for (String s : SYSTEMS) {
      sums.put(s, new double[5]);
      byLenRr.put(s, new double[MAX_PREFIX_CHART]);
    }
    int[] byLenN = new int[MAX_PREFIX_CHART];
    org.sieveml.core.pipeline.ReRanker servedMmr = sug.mmr(AutoSuggester.MMR_LAMBDA);
    org.sieveml.core.pipeline.ReRanker[] sweep = new org.sieveml.core.pipeline.ReRanker[SWEEP.length];
    for (int l = 0; l < SWEEP.length; l++) {
      sweep[l] = sug.mmr(SWEEP[l]);
    }
    double[][] sweepSums = new double[SWEEP.length][2];
    double[] sim = new double[2];
    int testSessions = 0;
    int testKeys = 0;
    int typoKeys = 0;
    int trendKeys = 0;
    int firstKeys = 0;
    int[][] fav = data.favourites();
    boolean[] isTrending = new boolean[data.queryCount()];
    for (int[] t : data.trends()) {
      isTrending[t[1]] = true;
    }
    List<TrendCheck> trendChecks = new ArrayList<>();
    int[][] trends = data.trends();
    List<int[][]> trendDaily = new ArrayList<>();
    for (int t = 0; t < trends.length; t++) {
      trendDaily.add(new int[days][2]);
    }
    int[] list = new int[AutoSuggester.K];
    List<int[]> heldOut = new ArrayList<>(); // {session, keystroke}
    int indexNodes = 0;
    int indexSize = 0;
    for (int si = 0; si < sessions.size(); si++) {
      AutoSuggestData.Session s = sessions.get(si);
      int d = (int) ((s.time() - AutoSuggestData.START) / AutoSuggestData.DAY);
      while (day < d) {
        day++;
        int[] ids = java.util.stream.IntStream.range(0, seen.length).filter(i -> seen[i]).toArray();
        sug.index(PrefixIndex.build(data.queries(), ids));
        if (day == testDay) {
          indexNodes = sug.index().nodeCount();
          indexSize = sug.index().size();
          GbdtRanker ranker = train(rows, labels, groups, seed);
          sug.ranker(ranker);
          line(out, fig, String.format(Locale.ROOT, "[index]      prefix trie over the %,d distinct queries issued "
              + "before day %d: %,d nodes (rebuilt daily)", indexSize, testDay, indexNodes));
          line(out, fig, String.format(Locale.ROOT, "[ranker]     LambdaMART (XGBoost rank:ndcg, %d trees, served by "
              + "the pure-Java evaluator) on %,d keystroke groups of days %d-%d (%,d candidate rows, %d features; "
              + "%,d sampled keystrokes, the rest had the issued query outside the candidates)", ranker.treeCount(),
              groups.size(), trainDay, testDay - 1, rows.size(), AutoSuggester.F, sampled));
          long at = AutoSuggestData.START + testDay * AutoSuggestData.DAY;
          for (int[] t : trends) {
            String prefix = AutoSuggestData.firstWord(data.query(t[0])) + " ";
            Map<String, int[]> ranks = new LinkedHashMap<>();
            for (String sys : SYSTEMS) {
              int n = system(sug, sys, -1, prefix, at, list);
              ranks.put(sys, new int[] {rank(list, n, t[0]), rank(list, n, t[1])});
            }
            int first = 0;
            for (int u = 0; u < data.users(); u++) {
              int n = system(sug, "lambdamart+mmr", u, prefix, at, list);
              first += rank(list, n, t[1]) < rank(list, n, t[0]) ? 1 : 0;
            }
            trendChecks.add(new TrendCheck(data.query(t[0]), data.query(t[1]), prefix, ranks,
                first / (double) data.users()));
          }
        }
      }
      for (int t = 0; t < trends.length; t++) {
        for (int j = 0; j < 2; j++) {
          if (s.target() == trends[t][j]) {
            trendDaily.get(t)[d][j]++;
          }
        }
      }
      List<AutoSuggestData.Keystroke> ks = s.keystrokes();
      if (d >= trainDay && d < testDay) {
        int take = Math.min(2, ks.size());
        for (int j = 0; j < take; j++) {
          int k = take == ks.size() ? j : r.nextInt(ks.size());
          int typed = ks.get(k).typed();
          int n = sug.candidates(s.user(), s.typed().substring(0, typed), s.timeOf(k));
          sampled++;
          int hit = -1;
          for (int c = 0; c < n; c++) {
            hit = sug.cand[c] == s.target() ? c : hit;
          }
          if (hit < 0) {
            continue;
          }
          groups.add(n);
          for (int c = 0; c < n; c++) {
            rows.add(sug.rows[c].clone());
            labels.add(c == hit ? 1.0 : 0.0);
          }
        }
      } else if (d >= testDay) {
        testSessions++;
        for (int k = 0; k < ks.size(); k++) {
          int typed = ks.get(k).typed();
          String prefix = s.typed().substring(0, typed);
          boolean typo = s.typoAt() >= 0 && typed > s.typoAt();
          boolean trendingTarget = isTrending[s.target()];
          testKeys++;
          typoKeys += typo ? 1 : 0;
          trendKeys += trendingTarget ? 1 : 0;
          heldOut.add(new int[] {si, k});
          List<org.sieveml.core.ScoredItem> scored = sug.scored(s.user(), prefix, s.timeOf(k));
          for (int l = 0; l < SWEEP.length; l++) {
            int n = sug.top(scored, sweep[l], list);
            int rk = rank(list, n, s.target());
            sweepSums[l][0] += rk <= AutoSuggester.K ? 1.0 / rk : 0;
            sweepSums[l][1] += listSimilarity(sug, list, n);
          }
          for (String sys : SYSTEMS) {
            int n = sys.equals("lambdamart") ? sug.top(scored, null, list)
                : sys.equals("lambdamart+mmr") ? sug.top(scored, servedMmr, list)
                : system(sug, sys, s.user(), prefix, s.timeOf(k), list);
            int rk = rank(list, n, s.target());
            double rr = rk <= AutoSuggester.K ? 1.0 / rk : 0;
            double[] acc = sums.get(sys);
            acc[0] += rr;
            acc[1] += rk <= 3 ? 1 : 0;
            acc[2] += typo ? rr : 0;
            acc[3] += trendingTarget ? rr : 0;
            if (typed == 1 && s.user() >= 0 && n > 0) {
              int in = 0;
              for (int i = 0; i < n; i++) {
                int t = data.topicOf(list[i]);
                in += t == fav[s.user()][0] || t == fav[s.user()][1] ? 1 : 0;
              }
              acc[4] += in / (double) n;
            }
            if (typed <= MAX_PREFIX_CHART) {
              byLenRr.get(sys)[typed - 1] += rr;
            }
            if (sys.startsWith("lambdamart")) {
              sim[sys.equals("lambdamart") ? 0 : 1] += listSimilarity(sug, list, n);
            }
          }
          if (typed <= MAX_PREFIX_CHART) {
            byLenN[typed - 1]++;
          }
          firstKeys += typed == 1 && s.user() >= 0 ? 1 : 0;
        }
      }
      sug.record(s.user(), s.target(), s.timeOf(ks.size() - 1));
      seen[s.target()] = true;
    }
    if (testKeys == 0) {
      throw new IllegalArgumentException("no held-out keystrokes: the log needs sessions after day " + testDay);
    }
    Map<String, Double> mrr = new LinkedHashMap<>();
    Map<String, Double> success3 = new LinkedHashMap<>();
    Map<String, Double> typoMrr = new LinkedHashMap<>();
    Map<String, Double> trendMrr = new LinkedHashMap<>();
    Map<String, Double> tastes = new LinkedHashMap<>();
    Map<String, double[]> byLen = new LinkedHashMap<>();
    for (String sys : SYSTEMS) {
      double[] acc = sums.get(sys);
      mrr.put(sys, acc[0] / testKeys);
      success3.put(sys, acc[1] / testKeys);
      typoMrr.put(sys, typoKeys == 0 ? Double.NaN : acc[2] / typoKeys);
      trendMrr.put(sys, trendKeys == 0 ? Double.NaN : acc[3] / trendKeys);
      tastes.put(sys, firstKeys == 0 ? Double.NaN : acc[4] / firstKeys);
      double[] c = new double[MAX_PREFIX_CHART];
      for (int i = 0; i < c.length; i++) {
        c[i] = byLenN[i] == 0 ? Double.NaN : byLenRr.get(sys)[i] / byLenN[i];
      }
      byLen.put(sys, c);
    }
    double[][] mmrSweep = new double[SWEEP.length][];
    for (int l = 0; l < SWEEP.length; l++) {
      mmrSweep[l] = new double[] {SWEEP[l], sweepSums[l][0] / testKeys, sweepSums[l][1] / testKeys};
    }
    Map<String, Double> similarity = new LinkedHashMap<>();
    similarity.put("lambdamart", sim[0] / testKeys);
    similarity.put("lambdamart+mmr", sim[1] / testKeys);

    line(out, fig, String.format(Locale.ROOT, "[evaluate]   %,d keystrokes of %,d held-out sessions (days %d-%d), %,d "
        + "of them after a typo; target = the query the session issued", testKeys, testSessions, testDay, days - 1,
        typoKeys));
    line(out, fig, "");
    line(out, fig, String.format(Locale.ROOT, "  %-42s %8s %10s %14s %16s", "system", "MRR@10", "success@3",
        "MRR@10 typo'd", "MRR@10 trending"));
    for (String sys : SYSTEMS) {
      line(out, fig, String.format(Locale.ROOT, "  %-42s %8.4f %10.4f %14.4f %16.4f", LABELS.get(sys), mrr.get(sys),
          success3.get(sys), typoMrr.get(sys), trendMrr.get(sys)));
    }
    line(out, fig, String.format(Locale.ROOT, "  (typo'd: %,d keystrokes after a typo; trending: %,d keystrokes of "
        + "sessions issuing a planted trending query)", typoKeys, trendKeys));
    line(out, fig, String.format(Locale.ROOT, "  word overlap of the top-10 pairs (Jaccard): %.4f without MMR, %.4f "
        + "with MMR (lambda %.1f)", similarity.get("lambdamart"), similarity.get("lambdamart+mmr"),
        AutoSuggester.MMR_LAMBDA));
    line(out, fig, String.format(Locale.ROOT, "  planted tastes: share of the top 10 after the first character in "
        + "the user's two favourite topics of %d (%,d keystrokes): %s", data.topicNames().length, firstKeys,
        SYSTEMS.stream().map(x -> String.format(Locale.ROOT, "%s %.1f %%", x, 100 * tastes.get(x)))
            .collect(java.util.stream.Collectors.joining(", "))));
    StringBuilder sw = new StringBuilder("  MMR trade-off (lambda: MRR@10 / word overlap):");
    for (double[] m : mmrSweep) {
      sw.append(String.format(Locale.ROOT, "  %.1f: %.4f / %.4f", m[0], m[1], m[2]));
    }
    line(out, fig, sw.toString());
    line(out, fig, "");
    line(out, fig, "[trends]     planted trends at the start of day " + testDay
        + ": rank of older / trending query for a logged-out visitor (11 = not shown), and the share of users "
        + "the system shows the trending one first");
    for (TrendCheck t : trendChecks) {
      StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "  %-14s %-24s vs %-24s", "'" + t.prefix() + "'",
          t.older(), t.trending()));
      for (String sys : SYSTEMS) {
        int[] rk = t.ranks().get(sys);
        b.append(String.format(Locale.ROOT, "  %s %d/%d", sys, rk[0], rk[1]));
      }
      b.append(String.format(Locale.ROOT, "  users %.1f %%", 100 * t.usersTrendingFirst()));
      line(out, fig, b.toString());
    }

    // latency: a warm-up pass over the held-out keystrokes, then one timed pass (the state as at the end)
    long[] lat = new long[heldOut.size()];
    for (int pass = 0; pass < 2; pass++) {
      for (int i = 0; i < heldOut.size(); i++) {
        AutoSuggestData.Session s = sessions.get(heldOut.get(i)[0]);
        int k = heldOut.get(i)[1];
        String prefix = s.typed().substring(0, s.keystrokes().get(k).typed());
        long t0 = System.nanoTime();
        sug.suggest(s.user(), prefix, s.timeOf(k), true, list);
        lat[i] = System.nanoTime() - t0;
      }
    }
    Arrays.sort(lat);
    Result res = new Result(data.name(), sessions.size(), groups.size(), rows.size(), testSessions, testKeys,
        typoKeys, mrr, success3, typoMrr, trendMrr, tastes, byLen, similarity, mmrSweep, trendChecks, trendDaily, lat, fig.toString(), sug);
    out.println();
    out.printf(Locale.ROOT, "[latency]    full path per keystroke (candidates, features, LambdaMART, MMR), %,d held-out "
        + "keystrokes after a warm-up pass: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us (goal p99 <= 1 ms: "
        + "%s)%n", lat.length, res.latencyMicros(0.5), res.latencyMicros(0.99), res.latencyMicros(0.999),
        lat[lat.length - 1] / 1000.0, res.latencyMicros(0.99) <= 1000 ? "met" : "missed");
    if (report != null) {
      writeReport(res, data, testDay, report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    return res;
  }

  private static void line(PrintStream out, StringBuilder fig, String s) {
    out.println(s);
    fig.append(s).append('\n');
  }

  static int system(AutoSuggester sug, String sys, int user, String prefix, long now, int[] out) {
    switch (sys) {
      case "most-popular":
        return sug.mostPopular(prefix, out);
      case "decayed":
        return sug.decayed(prefix, now, out);
      case "lambdamart":
        return sug.suggest(user, prefix, now, false, out);
      default:
        return sug.suggest(user, prefix, now, true, out);
    }
  }

  /** 1-based rank of a query in a list, or 11 when absent. */
  static int rank(int[] list, int n, int query) {
    for (int i = 0; i < n; i++) {
      if (list[i] == query) {
        return i + 1;
      }
    }
    return AutoSuggester.K + 1;
  }

  private static double listSimilarity(AutoSuggester sug, int[] list, int n) {
    if (n < 2) {
      return 0;
    }
    double s = 0;
    for (int i = 0; i < n; i++) {
      for (int j = i + 1; j < n; j++) {
        s += sug.similarity(list[i], list[j]);
      }
    }
    return s / (n * (n - 1) / 2.0);
  }

  private static GbdtRanker train(List<double[]> rows, List<Double> labels, List<Integer> groups, long seed) {
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("no training keystrokes: the log needs sessions between its first half "
          + "and its last quarter");
    }
    FeatureFrame.ColumnBuilder b = FeatureFrame.builder(rows.size());
    for (int f = 0; f < AutoSuggester.F; f++) {
      double[] col = new double[rows.size()];
      for (int i = 0; i < col.length; i++) {
        col[i] = rows.get(i)[f];
      }
      b.addDouble(AutoSuggester.SCHEMA.names().get(f), col);
    }
    FeatureFrame frame = b.build();
    FeatureEncoder enc = FeatureEncoder.builder(AutoSuggester.SCHEMA).build();
    GbdtRanker ranker = GbdtRanker.trainer(enc).name("autosuggest-lambdamart")
        .objective(GbdtRanker.Objective.RANK_NDCG).rounds(100).maxDepth(4).eta(0.1).seed(seed).threads(1)
        .trainRanking(frame, labels.stream().mapToDouble(Double::doubleValue).toArray(),
            groups.stream().mapToInt(Integer::intValue).toArray());
    // serving scores raw rows (predictEncoded): the encoder must pass every feature through as is
    double[] encoded = ranker.encoder().encode(frame.row(0));
    if (!Arrays.equals(encoded, rows.get(0))) {
      throw new IllegalStateException("the encoder changes the rows: " + Arrays.toString(encoded) + " vs "
          + Arrays.toString(rows.get(0)));
    }
    return ranker;
  }

  // ---------------------------------------------------------------- report

  private static void writeReport(Result r, AutoSuggestData data, int testDay, Path file) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>SieveML auto-suggest study"
        + "</title><style>body{font-family:sans-serif;margin:2em;max-width:60em}td,th{padding:2px 10px;"
        + "text-align:right}td:first-child,th:first-child{text-align:left}</style></head><body>");
    h.append("<h1>Search auto-suggest case study</h1><p>").append(esc(r.data())).append(String.format(Locale.ROOT,
        ": %,d sessions; the ranker trained on %,d keystroke groups (%,d rows); %,d keystrokes of %,d held-out "
            + "sessions evaluated (%,d after a typo).</p>", r.sessions(), r.trainGroups(), r.trainRows(),
        r.testKeystrokes(), r.testSessions(), r.typoKeystrokes()));
    h.append("<table><tr><th>system</th><th>MRR@10</th><th>success@3</th><th>MRR@10 on typo'd prefixes</th>"
        + "<th>MRR@10 on trending queries</th></tr>");
    for (String s : SYSTEMS) {
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td></tr>",
          esc(LABELS.get(s)), r.mrr().get(s), r.success3().get(s), r.typoMrr().get(s), r.trendMrr().get(s)));
    }
    h.append("</table><p>Planted tastes: share of the top 10 after a signed-in user's first character that falls in "
        + "the user's two favourite topics: ");
    h.append(esc(SYSTEMS.stream().map(x -> String.format(Locale.ROOT, "%s %.1f %%", x, 100 * r.tasteShare().get(x)))
        .collect(java.util.stream.Collectors.joining(", ")))).append(".</p>");
    h.append("<p>The held-out keystrokes are those of the log, whose logging policy was the most-popular completion: "
        + "a session ends when that policy showed the query, which favours the baseline.</p>");
    h.append("<h2>MRR@10 and success@3 per system</h2>").append(bars(r));
    h.append("<h2>MRR@10 by characters typed</h2>").append(lines(r.mrrByLength(), 1, "characters typed",
        "MRR@10"));
    h.append("<h2>Diversity: MMR's relevance weight</h2><p>Each point is one relevance weight lambda of MMR (the "
        + "label) over the same LambdaMART scores (1.0 = score order; the system serves, in red, ").append(AutoSuggester.MMR_LAMBDA)
        .append(").</p>").append(tradeOff(r.mmrSweep()));
    if (!r.trendDaily().isEmpty()) {
      TrendCheck t = r.trends().get(0);
      int[][] d = r.trendDaily().get(0);
      Map<String, double[]> series = new LinkedHashMap<>();
      double[] a = new double[d.length];
      double[] b = new double[d.length];
      for (int i = 0; i < d.length; i++) {
        a[i] = d[i][0];
        b[i] = d[i][1];
      }
      series.put(t.older(), a);
      series.put(t.trending() + " (planted trend)", b);
      h.append("<h2>A planted trend</h2><p>Sessions per day issuing each query; the trend starts on day ")
          .append(data.trendDay()).append(", the held-out period on day ").append(testDay).append(".</p>")
          .append(lines(series, 0, "day", "sessions issuing the query"));
      h.append("<table><tr><th>prefix</th><th>older</th><th>trending</th>");
      for (String s : SYSTEMS) {
        h.append("<th>").append(esc(s)).append(" rank (older / trending)</th>");
      }
      h.append("<th>users shown the trending query first</th></tr>");
      for (TrendCheck c : r.trends()) {
        h.append("<tr><td>'").append(esc(c.prefix())).append("'</td><td>").append(esc(c.older())).append("</td><td>")
            .append(esc(c.trending())).append("</td>");
        for (String s : SYSTEMS) {
          h.append("<td>").append(c.ranks().get(s)[0]).append(" / ").append(c.ranks().get(s)[1]).append("</td>");
        }
        h.append(String.format(Locale.ROOT, "<td>%.1f %%</td></tr>", 100 * c.usersTrendingFirst()));
      }
      h.append("</table>");
    }
    h.append("<h2>Latency per keystroke</h2>").append(String.format(Locale.ROOT, "<p>Full path (candidates, "
        + "features, LambdaMART, MMR), measured after a warm-up pass over %,d held-out keystrokes: p50 %.1f µs, p99 "
        + "%.1f µs, p99.9 %.1f µs (timings vary between runs).</p>", r.latencyNanos().length, r.latencyMicros(0.5),
        r.latencyMicros(0.99), r.latencyMicros(0.999)));
    h.append(histogram(r.latencyNanos()));
    h.append("</body></html>\n");
    Cli.writeReport(file, h);
  }

  private static final String[] COLORS = {"#555", "#1f77b4", "#ff7f0e", "#d62728"};

  private static String bars(Result r) {
    int w = 640;
    int hgt = 320;
    int l = 60;
    int top = 20;
    int pw = w - l - 20;
    int ph = hgt - top - 70;
    StringBuilder s = frame(w, hgt, l, top, pw, ph, 1.0, "system", "share of keystrokes / MRR");
    String[] metrics = {"MRR@10", "success@3"};
    int groups = SYSTEMS.size();
    double gw = pw / (double) groups;
    for (int g = 0; g < groups; g++) {
      String sys = SYSTEMS.get(g);
      double[] v = {r.mrr().get(sys), r.success3().get(sys)};
      for (int m = 0; m < 2; m++) {
        double x = l + g * gw + gw * 0.15 + m * gw * 0.35;
        double bh = v[m] * ph;
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>",
            x, top + ph - bh, gw * 0.3, bh, m == 0 ? "#1f77b4" : "#ff7f0e"));
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" text-anchor=\"middle\">"
            + "%.3f</text>", x + gw * 0.15, top + ph - bh - 3, v[m]));
      }
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s</text>",
          l + g * gw + gw / 2, top + ph + 15, esc(sys)));
    }
    for (int m = 0; m < 2; m++) {
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" "
          + "y=\"%d\" font-size=\"11\">%s</text>", l + 10 + m * 110, top + 5, m == 0 ? "#1f77b4" : "#ff7f0e",
          l + 24 + m * 110, top + 14, metrics[m]));
    }
    return s.append("</svg>").toString();
  }

  /** A chart frame: box, y ticks, axis labels. */
  private static StringBuilder frame(int w, int hgt, int l, int top, int pw, int ph, double ymax, String xLabel,
      String yLabel) {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\"><rect x=\"%d\" y=\"%d\" "
            + "width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", w, hgt, l, top, pw, ph));
    for (int i = 0; i <= 4; i++) {
      double v = ymax * i / 4;
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%s</text>",
          l - 5, top + ph - v / ymax * ph + 4, ymax >= 10 ? String.format(Locale.ROOT, "%.0f", v)
              : String.format(Locale.ROOT, "%.2f", v)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
        l + pw / 2, hgt - 8, esc(xLabel)));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 %d)\">%s</text>", top + ph / 2, top + ph / 2, esc(yLabel)));
    return s;
  }

  /** Line chart: x runs from {@code x0} over the series' indices. */
  private static String lines(Map<String, double[]> series, int x0, String xLabel, String yLabel) {
    int w = 720;
    int hgt = 360;
    int l = 60;
    int top = 20;
    int pw = w - l - 230;
    int ph = hgt - top - 50;
    int n = 0;
    double ymax = 0;
    for (double[] v : series.values()) {
      n = Math.max(n, v.length);
      for (double x : v) {
        ymax = Double.isNaN(x) ? ymax : Math.max(ymax, x);
      }
    }
    ymax = ymax <= 1 ? Math.max(0.1, Math.ceil(ymax * 10) / 10) : Math.ceil(ymax / 4) * 4;
    StringBuilder s = frame(w, hgt, l, top, pw, ph, ymax, xLabel, yLabel);
    double dx = pw / (double) Math.max(1, n - 1);
    int step = n > 12 ? 4 : 1;
    for (int i = 0; i < n; i += step) {
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%d</text>",
          l + i * dx, top + ph + 15, i + x0));
    }
    int c = 0;
    for (Map.Entry<String, double[]> e : series.entrySet()) {
      StringBuilder p = new StringBuilder();
      double[] v = e.getValue();
      for (int i = 0; i < v.length; i++) {
        if (!Double.isNaN(v[i])) {
          p.append(p.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", l + i * dx,
              top + ph - v[i] / ymax * ph));
        }
      }
      String color = COLORS[(c + (series.size() == 2 ? 2 : 0)) % COLORS.length];
      // the two LambdaMART lines nearly coincide: the one without MMR dashed
      s.append("<path d=\"").append(p).append("\" fill=\"none\" stroke-width=\"2\" stroke=\"").append(color)
          .append(c == 2 && series.size() == 4 ? "\" stroke-dasharray=\"6 4" : "").append("\"/>");
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"%s\">%s</text>", l + pw + 10,
          top + 20 + 18 * c, color, esc(e.getKey())));
      c++;
    }
    return s.append("</svg>").toString();
  }

  /** Scatter of MRR@10 against word overlap, one labelled point per lambda; both axes zoomed to the points. */
  private static String tradeOff(double[][] sweep) {
    int w = 640;
    int hgt = 340;
    int l = 70;
    int top = 20;
    int pw = w - l - 40;
    int ph = hgt - top - 50;
    double xlo = Double.POSITIVE_INFINITY;
    double xhi = Double.NEGATIVE_INFINITY;
    double ylo = Double.POSITIVE_INFINITY;
    double yhi = Double.NEGATIVE_INFINITY;
    for (double[] m : sweep) {
      xlo = Math.min(xlo, m[2]);
      xhi = Math.max(xhi, m[2]);
      ylo = Math.min(ylo, m[1]);
      yhi = Math.max(yhi, m[1]);
    }
    double xpad = Math.max(1e-3, (xhi - xlo) * 0.1);
    double ypad = Math.max(1e-3, (yhi - ylo) * 0.1);
    xlo -= xpad;
    xhi += xpad;
    ylo -= ypad;
    yhi += ypad;
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" role=\"img\"><rect x=\"%d\" y=\"%d\" "
            + "width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#888\"/>", w, hgt, l, top, pw, ph));
    for (int i = 0; i <= 4; i++) {
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" font-size=\"11\" text-anchor=\"end\">%.4f</text>",
          l - 5, top + ph - ph * i / 4.0 + 4, ylo + (yhi - ylo) * i / 4));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.3f</text>",
          l + pw * i / 4.0, top + ph + 15, xlo + (xhi - xlo) * i / 4));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">mean word "
        + "overlap (Jaccard) of the top-10 pairs</text>", l + pw / 2, hgt - 8));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 14 %d)\">MRR@10</text>", top + ph / 2, top + ph / 2));
    StringBuilder p = new StringBuilder();
    for (int i = 0; i < sweep.length; i++) {
      double[] m = sweep[i];
      double x = l + (m[2] - xlo) / (xhi - xlo) * pw;
      double y = top + ph - (m[1] - ylo) / (yhi - ylo) * ph;
      p.append(p.length() == 0 ? "M" : " L").append(String.format(Locale.ROOT, "%.1f %.1f", x, y));
      s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"/><text x=\"%.1f\" "
          + "y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%.1f</text>", x, y,
          m[0] == AutoSuggester.MMR_LAMBDA ? "#d62728" : "#1f77b4", x, i % 2 == 0 ? y - 8 : y + 16, m[0]));
    }
    s.append("<path d=\"").append(p).append("\" fill=\"none\" stroke=\"#1f77b4\"/>");
    return s.append("</svg>").toString();
  }

  private static String histogram(long[] sortedNanos) {
    if (sortedNanos.length == 0) {
      return "<p>no keystrokes timed</p>";
    }
    double hiUs = Math.max(10, sortedNanos[(int) Math.min(sortedNanos.length - 1, sortedNanos.length * 0.999)] / 1000.0);
    int bins = 40;
    int[] h = new int[bins];
    for (long v : sortedNanos) {
      h[(int) Math.min(bins - 1, v / 1000.0 / hiUs * bins)]++;
    }
    int max = Arrays.stream(h).max().orElse(1);
    int w = 640;
    int hgt = 300;
    int l = 60;
    int top = 20;
    int pw = w - l - 20;
    int ph = hgt - top - 50;
    double ymax = Math.max(4, Math.ceil(max / 4.0) * 4);
    StringBuilder s = frame(w, hgt, l, top, pw, ph, ymax, "latency per keystroke (µs; the last bin holds the "
        + "slowest 0.1 % and beyond)", "keystrokes");
    double bw = pw / (double) bins;
    for (int b = 0; b < bins; b++) {
      double bh = h[b] / ymax * ph;
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#1f77b4\"/>",
          l + b * bw, top + ph - bh, bw - 1, bh));
    }
    for (int i = 0; i <= 4; i++) {
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%.0f</text>",
          l + pw * i / 4.0, top + ph + 15, hiUs * i / 4));
    }
    return s.append("</svg>").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

  /**
   * Runs the study from the command line: {@code [--seed S] [--report FILE] [--data DIR] [--users N]}. With
   * {@code --data} (or the system property {@code sieveml.data.dir}) the vocabulary is MovieLens 100k's titles
   * from {@code DIR/movielens-100k/u.item}; otherwise it is generated.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    Map<String, String> o = Cli.options(args, "--seed", "--report", "--data", "--users");
    long seed = Long.parseLong(o.getOrDefault("--seed", "42"));
    int users = Integer.parseInt(o.getOrDefault("--users", "2000"));
    String dir = o.getOrDefault("--data", System.getProperty("sieveml.data.dir"));
    System.out.println("SieveML case study: search auto-suggest (prefix trie, decayed popularity, typo tolerance, "
        + "personalization, LambdaMART, MMR)");
    AutoSuggestData data = dir == null ? AutoSuggestData.seeded(users, 10, 250, 28, seed)
        : AutoSuggestData.movieLensTitles(Path.of(dir, "movielens-100k"), users, 28, seed);
    run(data, seed, System.out, Path.of(o.getOrDefault("--report", "target/autosuggest-report.html")));
  }
}
