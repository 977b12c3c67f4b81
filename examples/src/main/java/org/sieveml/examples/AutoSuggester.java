package org.sieveml.examples;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.ReRanker;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.ReRankers;
import org.sieveml.retrieval.PopularityCandidateGenerator;

/**
 * The auto-suggest case study's online state and its suggestion paths. State: the {@link PrefixIndex}
 * (rebuilt daily over the queries issued before), every query's all-time count, its time-decayed
 * popularity with half-lives of one and seven days (two {@link PopularityCandidateGenerator}s: their
 * exponential decay, read per query with {@code score(query, now)}), and per user the topics and the
 * queries they issued (count and last time). Paths, for a prefix typed by a user at a time:
 * <ul>
 *   <li>{@link #mostPopular}: the exact prefix range by all-time count (the baseline);
 *   <li>{@link #decayed}: the exact prefix range by one-day decayed popularity;
 *   <li>{@link #suggest}: candidates (the exact range's top 25 by decayed popularity and top 10 by
 *       count, the top 10 of the ranges one edit away, the user's own past queries in either) -> the
 *       features of {@link #SCHEMA} (popularity also relative to the prefix's best candidate) -> the LambdaMART ranker -> MMR diversity over word overlap -> 10.
 * </ul>
 * Training rows ({@link #candidates}) and serving go through the same candidate and feature code.
 *
 * <p>Not thread-safe: the lookups reuse scratch buffers and {@link #record} mutates the state; give each
 * serving thread its own instance (or guard one), as the study does with its single replay thread.
 */
final class AutoSuggester {

  /** The ranker's features, in order. */
  static final FeatureSchema SCHEMA = FeatureSchema.builder()
      .addDouble("log_count")
      .addDouble("log_pop_1d")
      .addDouble("log_pop_7d")
      .addDouble("fuzzy")
      .addDouble("typed_share")
      .addDouble("words")
      .addDouble("user_topic_affinity")
      .addDouble("user_query_count")
      .addDouble("user_days_since")
      .addDouble("user_history")
      .addDouble("trend_ratio")
      .addDouble("rel_pop_1d")
      .addDouble("rel_count")
      .build();
  static final int F = 13;
  static final int MAX_CANDIDATES = 64;
  static final int K = 10;
  static final double MMR_LAMBDA = 0.8;

  private final String[] queries;
  private final int[] topic;
  private final int topics;
  private final int[][] tokens;
  private final Map<String, Integer> idOf = new HashMap<>();
  private final int[] count;
  private final long[] clock = {0};
  private final PopularityCandidateGenerator pop1d;
  private final PopularityCandidateGenerator pop7d;
  private final int[][] userTopic;
  private final int[] userTotal;
  private final int[][] histQuery;
  private final int[][] histCount;
  private final long[][] histLast;
  private final int[] histSize;
  private PrefixIndex index;
  private GbdtRanker ranker;
  private final ReRanker mmr;
  private final PipelineRequest request = PipelineRequest.of(EntityKey.of("user_id", 0L), K);

  // scratch, reused by every lookup
  private final int[] stamp;
  private final int[] candStamp;
  private int cur;
  private final int[] userCount;
  private final long[] userLast;
  private final TopK topA = new TopK(25);
  private final TopK topB = new TopK(10);
  private final TopK topC = new TopK(10);
  private final TopK top10 = new TopK(K);
  private final int[] sortedKeys = new int[25];
  private final double[] sortedScores = new double[25];
  private final int[] nodeBuf = new int[128];
  private final char[] chars = new char[512];
  final int[] cand = new int[MAX_CANDIDATES];
  final boolean[] fuzzy = new boolean[MAX_CANDIDATES];
  final double[][] rows = new double[MAX_CANDIDATES][F];
  int candidates;

  AutoSuggester(AutoSuggestData data) {
    this.queries = data.queries();
    this.topic = data.topics();
    this.topics = data.topicNames().length;
    int q = queries.length;
    this.count = new int[q];
    this.stamp = new int[q];
    this.candStamp = new int[q];
    this.userCount = new int[q];
    this.userLast = new long[q];
    this.pop1d = PopularityCandidateGenerator.of("trending-1d", AutoSuggestData.DAY, 0, 1, () -> clock[0]);
    this.pop7d = PopularityCandidateGenerator.of("popular-7d", 7 * AutoSuggestData.DAY, 0, 1, () -> clock[0]);
    int u = data.users();
    this.userTopic = new int[u][topics];
    this.userTotal = new int[u];
    this.histQuery = new int[u][4];
    this.histCount = new int[u][4];
    this.histLast = new long[u][4];
    this.histSize = new int[u];
    Map<String, Integer> words = new HashMap<>();
    this.tokens = new int[q][];
    for (int i = 0; i < q; i++) {
      idOf.put(queries[i], i);
      tokens[i] = Arrays.stream(queries[i].split(" ")).mapToInt(w -> words.computeIfAbsent(w, k -> words.size()))
          .distinct().sorted().toArray();
    }
    this.mmr = mmr(MMR_LAMBDA);
    this.index = PrefixIndex.build(queries, new int[0]);
  }

  void index(PrefixIndex index) {
    this.index = index;
  }

  PrefixIndex index() {
    return index;
  }

  void ranker(GbdtRanker ranker) {
    this.ranker = ranker;
  }

  int id(String query) {
    Integer i = idOf.get(query);
    return i == null ? -1 : i;
  }

  /** A query's all-time count so far. */
  int count(int id) {
    return count[id];
  }

  String query(int id) {
    return queries[id];
  }

  /** Word overlap (Jaccard) of two queries. */
  double similarity(int a, int b) {
    int[] x = tokens[a];
    int[] y = tokens[b];
    int i = 0;
    int j = 0;
    int both = 0;
    while (i < x.length && j < y.length) {
      if (x[i] == y[j]) {
        both++;
        i++;
        j++;
      } else if (x[i] < y[j]) {
        i++;
      } else {
        j++;
      }
    }
    return both / (double) (x.length + y.length - both);
  }

  /**
   * Learns from a finished session: the query issued counts for its popularity and for the user.
   *
   * @param user the user, or -1
   * @param query the query issued
   * @param time when
   */
  void record(int user, int query, long time) {
    count[query]++;
    clock[0] = Math.max(clock[0], time);
    pop1d.record(queries[query], time, 1);
    pop7d.record(queries[query], time, 1);
    if (user < 0) {
      return;
    }
    userTopic[user][topic[query]]++;
    userTotal[user]++;
    int n = histSize[user];
    for (int j = 0; j < n; j++) {
      if (histQuery[user][j] == query) {
        histCount[user][j]++;
        histLast[user][j] = time;
        return;
      }
    }
    if (n == histQuery[user].length) {
      histQuery[user] = Arrays.copyOf(histQuery[user], 2 * n);
      histCount[user] = Arrays.copyOf(histCount[user], 2 * n);
      histLast[user] = Arrays.copyOf(histLast[user], 2 * n);
    }
    histQuery[user][n] = query;
    histCount[user][n] = 1;
    histLast[user][n] = time;
    histSize[user] = n + 1;
  }

  private int chars(String prefix) {
    int len = Math.min(prefix.length(), chars.length);
    prefix.getChars(0, len, chars, 0);
    return len;
  }

  /**
   * The baseline: completions of the exact prefix by all-time count.
   *
   * @param prefix the prefix
   * @param out receives up to 10 query ids, best first
   * @return how many
   */
  int mostPopular(String prefix, int[] out) {
    int len = chars(prefix);
    int node = index.find(chars, len);
    top10.clear();
    if (node >= 0) {
      for (int p = index.lo(node); p < index.hi(node); p++) {
        top10.offer(p, count[index.idAt(p)]);
      }
    }
    return toIds(top10, out);
  }

  /**
   * The trending baseline: completions of the exact prefix by one-day decayed popularity.
   *
   * @param prefix the prefix
   * @param now the time
   * @param out receives up to 10 query ids, best first
   * @return how many
   */
  int decayed(String prefix, long now, int[] out) {
    int len = chars(prefix);
    int node = index.find(chars, len);
    top10.clear();
    if (node >= 0) {
      for (int p = index.lo(node); p < index.hi(node); p++) {
        top10.offer(p, pop1d.score(index.termAt(p), now));
      }
    }
    return toIds(top10, out);
  }

  private int toIds(TopK top, int[] out) {
    int n = top.sortedInto(sortedKeys, sortedScores);
    for (int i = 0; i < n; i++) {
      out[i] = index.idAt(sortedKeys[i]);
    }
    return n;
  }

  /**
   * Collects the candidates of a prefix and their features into {@link #cand}, {@link #fuzzy} and
   * {@link #rows}.
   *
   * @param user the user, or -1 when anonymous
   * @param prefix the prefix typed
   * @param now the time
   * @return how many candidates ({@link #candidates})
   */
  int candidates(int user, String prefix, long now) {
    int len = chars(prefix);
    cur++;
    int hn = user < 0 ? 0 : histSize[user];
    for (int j = 0; j < hn; j++) {
      int q = histQuery[user][j];
      stamp[q] = cur;
      userCount[q] = histCount[user][j];
      userLast[q] = histLast[user][j];
    }
    candidates = 0;
    int node = index.find(chars, len);
    int lo = node < 0 ? 0 : index.lo(node);
    int hi = node < 0 ? 0 : index.hi(node);
    if (node >= 0) {
      topA.clear();
      topB.clear();
      for (int p = lo; p < hi; p++) {
        topA.offer(p, pop1d.score(index.termAt(p), now));
        topB.offer(p, count[index.idAt(p)]);
      }
      addTop(topA, false);
      addTop(topB, false);
      for (int j = 0; j < hn; j++) {
        int pos = index.posOf(histQuery[user][j]);
        if (pos >= lo && pos < hi) {
          add(histQuery[user][j], false);
        }
      }
    }
    int nf = index.fuzzy(chars, len, nodeBuf);
    if (nf > 0) {
      topC.clear();
      int fuzzyStamp = -cur; // marks positions already offered, in candStamp's sign space
      for (int f = 0; f < nf; f++) {
        for (int p = index.lo(nodeBuf[f]); p < index.hi(nodeBuf[f]); p++) {
          int id = index.idAt(p);
          if ((p >= lo && p < hi) || candStamp[id] == cur || candStamp[id] == fuzzyStamp) {
            continue;
          }
          candStamp[id] = fuzzyStamp;
          topC.offer(p, pop1d.score(index.termAt(p), now));
        }
      }
      addTop(topC, true);
      for (int j = 0; j < hn; j++) {
        int q = histQuery[user][j];
        int pos = index.posOf(q);
        for (int f = 0; f < nf && pos >= 0; f++) {
          if (pos >= index.lo(nodeBuf[f]) && pos < index.hi(nodeBuf[f])) {
            add(q, true);
            break;
          }
        }
      }
    }
    double maxPop = 0;
    double maxCount = 0;
    for (int c = 0; c < candidates; c++) {
      features(user, cand[c], fuzzy[c], len, now, rows[c]);
      maxPop = Math.max(maxPop, rows[c][1]);
      maxCount = Math.max(maxCount, rows[c][0]);
    }
    // popularity relative to the best candidate of this prefix: comparable across prefixes
    for (int c = 0; c < candidates; c++) {
      rows[c][11] = maxPop == 0 ? 0 : rows[c][1] / maxPop;
      rows[c][12] = maxCount == 0 ? 0 : rows[c][0] / maxCount;
    }
    return candidates;
  }

  private void addTop(TopK top, boolean isFuzzy) {
    int n = top.sortedInto(sortedKeys, sortedScores);
    for (int i = 0; i < n; i++) {
      add(index.idAt(sortedKeys[i]), isFuzzy);
    }
  }

  private void add(int id, boolean isFuzzy) {
    if (candStamp[id] == cur || candidates == MAX_CANDIDATES) {
      return;
    }
    candStamp[id] = cur;
    cand[candidates] = id;
    fuzzy[candidates] = isFuzzy;
    candidates++;
  }

  /** The features of one candidate: the one routine for training rows and served requests. */
  private void features(int user, int q, boolean isFuzzy, int typed, long now, double[] row) {
    String text = queries[q];
    row[0] = Math.log1p(count[q]);
    row[1] = Math.log1p(pop1d.score(text, now));
    row[2] = Math.log1p(pop7d.score(text, now));
    row[3] = isFuzzy ? 1 : 0;
    row[4] = typed / (double) text.length();
    row[5] = tokens[q].length;
    int total = user < 0 ? 0 : userTotal[user];
    row[6] = ((user < 0 ? 0 : userTopic[user][topic[q]]) + 1.0) / (total + topics);
    boolean mine = user >= 0 && stamp[q] == cur;
    row[7] = mine ? Math.log1p(userCount[q]) : 0;
    row[8] = mine ? (now - userLast[q]) / (double) AutoSuggestData.DAY : -1;
    row[9] = Math.log1p(total);
    // the last day against the last week's daily mean: above 0 when the query is rising
    row[10] = Math.log((Math.expm1(row[1]) + 0.5) / (Math.expm1(row[2]) / 7 + 0.5));
  }

  /**
   * The full path: candidates, features, LambdaMART scores, then (when {@code diversify}) MMR.
   *
   * @param user the user, or -1
   * @param prefix the prefix typed
   * @param now the time
   * @param diversify whether to re-rank with MMR
   * @param out receives up to 10 query ids, best first
   * @return how many
   */
  int suggest(int user, String prefix, long now, boolean diversify, int[] out) {
    return top(scored(user, prefix, now), diversify ? mmr : null, out);
  }

  /**
   * Candidates, features and LambdaMART scores, best first (ties by text).
   *
   * @param user the user, or -1
   * @param prefix the prefix typed
   * @param now the time
   * @return the scored candidates
   */
  List<ScoredItem> scored(int user, String prefix, long now) {
    int n = candidates(user, prefix, now);
    if (n == 0) {
      return List.of();
    }
    double[] scores = ranker.predictEncoded(Arrays.copyOf(rows, n));
    List<ScoredItem> scored = new ArrayList<>(n);
    for (int c = 0; c < n; c++) {
      scored.add(ScoredItem.of(Candidate.of(queries[cand[c]], scores[c], fuzzy[c] ? "fuzzy" : "prefix"), scores[c]));
    }
    scored.sort((a, b) -> {
      int c = Double.compare(b.score(), a.score());
      return c != 0 ? c : a.itemId().compareTo(b.itemId());
    });
    return scored;
  }

  /**
   * The top 10 of scored candidates, through a re-ranker or in score order.
   *
   * @param scored from {@link #scored}
   * @param reRanker e.g. {@link #mmr(double)}, or null for score order
   * @param out receives up to 10 query ids
   * @return how many
   */
  int top(List<ScoredItem> scored, ReRanker reRanker, int[] out) {
    List<ScoredItem> top = reRanker != null ? reRanker.rerank(request, scored, K)
        : scored.subList(0, Math.min(K, scored.size()));
    for (int i = 0; i < top.size(); i++) {
      out[i] = idOf.get(top.get(i).itemId());
    }
    return top.size();
  }

  /**
   * MMR over word overlap with another relevance weight (the served one is {@link #MMR_LAMBDA}).
   *
   * @param lambda the relevance weight in [0, 1]
   * @return the re-ranker
   */
  ReRanker mmr(double lambda) {
    return ReRankers.mmr(lambda, (a, b) -> similarity(idOf.get(a.itemId()), idOf.get(b.itemId())));
  }

  /**
   * The full path's suggestions as text (for tests and examples).
   *
   * @param user the user, or -1
   * @param prefix the prefix typed
   * @param now the time
   * @return up to 10 queries, best first
   */
  List<String> suggest(int user, String prefix, long now) {
    int[] out = new int[K];
    int n = suggest(user, prefix, now, true, out);
    List<String> r = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      r.add(queries[out[i]]);
    }
    return r;
  }

  /**
   * The most-popular baseline's suggestions as text.
   *
   * @param prefix the prefix typed
   * @return up to 10 queries, best first
   */
  List<String> mostPopular(String prefix) {
    int[] out = new int[K];
    int n = mostPopular(prefix, out);
    List<String> r = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      r.add(queries[out[i]]);
    }
    return r;
  }
}
