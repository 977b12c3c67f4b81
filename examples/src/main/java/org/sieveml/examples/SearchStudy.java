package org.sieveml.examples;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.sieveml.core.Candidate;
import org.sieveml.core.EntityKey;
import org.sieveml.core.FeatureFrame;
import org.sieveml.core.FeatureSchema;
import org.sieveml.core.FeatureVector;
import org.sieveml.core.ScoredItem;
import org.sieveml.core.pipeline.CandidateGenerator;
import org.sieveml.core.pipeline.FeatureSource;
import org.sieveml.core.pipeline.PipelineRequest;
import org.sieveml.core.pipeline.TwoStagePipeline;
import org.sieveml.core.telemetry.InMemoryTelemetry;
import org.sieveml.ranking.FeatureEncoder;
import org.sieveml.ranking.GbdtRanker;
import org.sieveml.ranking.RankingMetrics;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.VectorMetric;

/**
 * The search-ranking case study, on a generated corpus with known graded relevance: query ->
 * candidate documents from a BM25 inverted index and from an HNSW index over text embeddings built
 * in-process (hashed bag of words, tf-idf weighted, through a fixed random projection) -> a
 * LambdaMART learning-to-rank model (XGBoost {@code rank:ndcg}, one group per query) over BM25, embedding similarity, term coverage, document
 * length and a noisy click-through rate -> top 10, against BM25 alone and embeddings alone (NDCG@10
 * with the graded truth over the whole corpus).
 *
 * <p>The corpus: documents belong to one of {@code topics} topics and use mostly that topic's words;
 * each has a hidden quality. A query is a few words of one topic; a document's relevance grade is 0
 * off topic and 1 to 3 on topic, rising with quality. BM25 sees words only, so it cannot tell good
 * documents from bad ones; the click-through rate is a noisy view of quality. Stateless; {@link #run}
 * is thread-safe.
 */
public final class SearchStudy {

  static final FeatureSchema LTR = FeatureSchema.builder()
      .addDouble("bm25")
      .addDouble("bm25_rank")
      .addDouble("embedding_cosine")
      .addDouble("term_coverage")
      .addDouble("log_length")
      .addDouble("ctr")
      .build();

  static final int DIM = 64;

  private SearchStudy() {}

  /**
   * The figures of one run.
   *
   * @param docs documents in the corpus
   * @param testQueries queries evaluated
   * @param ndcg NDCG@10 per system: ltr, bm25, embedding
   * @param recallCandidates share of each test query's relevant documents among its candidates
   */
  public record Result(int docs, int testQueries, Map<String, Double> ndcg, double recallCandidates) {}

  /** The generated corpus. */
  record Corpus(int[][] words, int[] topic, double[] quality, double[] ctr, int vocabulary, int[][] topicWords) {}

  static Corpus corpus(int docs, int topics, int vocabulary, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    int perTopic = 60;
    int[][] topicWords = new int[topics][perTopic];
    for (int t = 0; t < topics; t++) {
      for (int w = 0; w < perTopic; w++) {
        topicWords[t][w] = r.nextInt(vocabulary);
      }
    }
    int[][] words = new int[docs][];
    int[] topic = new int[docs];
    double[] quality = new double[docs];
    double[] ctr = new double[docs];
    for (int d = 0; d < docs; d++) {
      topic[d] = r.nextInt(topics);
      quality[d] = r.nextDouble();
      ctr[d] = Math.max(0, 0.05 + 0.1 * quality[d] + 0.03 * r.nextGaussian());
      int len = 30 + r.nextInt(150);
      words[d] = new int[len];
      for (int k = 0; k < len; k++) {
        // topic words follow a Zipf-like law; a third of the words are background
        words[d][k] = r.nextDouble() < 0.67
            ? topicWords[topic[d]][(int) Math.min(perTopic - 1, Math.abs(r.nextGaussian()) * perTopic / 3)]
            : (int) Math.min(vocabulary - 1, Math.abs(r.nextGaussian()) * vocabulary / 3);
      }
    }
    return new Corpus(words, topic, quality, ctr, vocabulary, topicWords);
  }

  static int grade(Corpus c, int queryTopic, int doc) {
    if (c.topic()[doc] != queryTopic) {
      return 0;
    }
    return c.quality()[doc] > 0.85 ? 3 : c.quality()[doc] > 0.5 ? 2 : 1;
  }

  /** A BM25 inverted index (k1 = 1.2, b = 0.75). */
  static final class Bm25 {
    final int[][] postingDocs;
    final int[][] postingTf;
    final double[] idf;
    final double[] docLen;
    final double avgLen;

    Bm25(Corpus c) {
      int v = c.vocabulary();
      int n = c.words().length;
      Map<Integer, Map<Integer, Integer>> tf = new HashMap<>();
      docLen = new double[n];
      double total = 0;
      for (int d = 0; d < n; d++) {
        docLen[d] = c.words()[d].length;
        total += docLen[d];
        for (int w : c.words()[d]) {
          tf.computeIfAbsent(w, k -> new LinkedHashMap<>()).merge(d, 1, Integer::sum);
        }
      }
      avgLen = total / n;
      postingDocs = new int[v][];
      postingTf = new int[v][];
      idf = new double[v];
      for (int w = 0; w < v; w++) {
        Map<Integer, Integer> p = tf.getOrDefault(w, Map.of());
        postingDocs[w] = p.keySet().stream().mapToInt(Integer::intValue).toArray();
        postingTf[w] = p.values().stream().mapToInt(Integer::intValue).toArray();
        idf[w] = Math.log(1 + (n - p.size() + 0.5) / (p.size() + 0.5));
      }
    }

    /** Scores every document containing a query term; returns doc -> score. */
    Map<Integer, Double> score(int[] query) {
      Map<Integer, Double> s = new HashMap<>();
      for (int w : query) {
        for (int k = 0; k < postingDocs[w].length; k++) {
          int d = postingDocs[w][k];
          double f = postingTf[w][k];
          double norm = f * 2.2 / (f + 1.2 * (0.25 + 0.75 * docLen[d] / avgLen));
          s.merge(d, idf[w] * norm, Double::sum);
        }
      }
      return s;
    }
  }

  /** Hashed bag of words through a fixed random projection, tf-idf weighted, unit length. */
  static float[] embed(int[] words, double[] idf, long seed) {
    float[] v = new float[DIM];
    for (int w : words) {
      float[] p = projection(w, seed);
      float weight = (float) idf[w];
      for (int d = 0; d < DIM; d++) {
        v[d] += weight * p[d];
      }
    }
    double n = 0;
    for (float x : v) {
      n += x * x;
    }
    if (n == 0) {
      v[0] = 1;
      return v;
    }
    float inv = (float) (1 / Math.sqrt(n));
    for (int d = 0; d < DIM; d++) {
      v[d] *= inv;
    }
    return v;
  }

  private static final java.util.concurrent.ConcurrentHashMap<Long, float[]> PROJECTIONS =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The fixed random direction of a word: a function of the word's id and the seed only. */
  static float[] projection(int word, long seed) {
    return PROJECTIONS.computeIfAbsent(seed * 31 + word, k -> {
      SplittableRandom r = new SplittableRandom(seed ^ (word * 0x9E3779B97F4A7C15L));
      float[] p = new float[DIM];
      for (int d = 0; d < DIM; d++) {
        p[d] = (float) r.nextGaussian();
      }
      return p;
    });
  }

  /**
   * Runs the study.
   *
   * @param docs documents to generate
   * @param queries queries to generate (60 % train the ranker, 40 % are the test)
   * @param seed the seed
   * @param out progress and the summary
   * @param report where to write the HTML report, or null
   * @return the figures
   */
  public static Result run(int docs, int queries, long seed, PrintStream out, Path report) {
    long t0 = System.nanoTime();
    int topics = 80;
    Corpus c = corpus(docs, topics, 20_000, seed);
    Bm25 bm25 = new Bm25(c);
    Map<String, float[]> vectors = new LinkedHashMap<>();
    for (int d = 0; d < docs; d++) {
      vectors.put(Integer.toString(d), embed(c.words()[d], bm25.idf, seed));
    }
    HnswVectorIndex index = HnswVectorIndex.builder(DIM, VectorMetric.COSINE).m(16).efConstruction(100)
        .initialCapacity(docs).build();
    index.addAll(vectors, 2, null);
    out.printf(Locale.ROOT, "[corpus]     %,d documents in %d topics; BM25 index and %d-dim embeddings (hashed words, "
        + "random projection) in HNSW in %d ms%n", docs, topics, DIM, (System.nanoTime() - t0) / 1_000_000);

    SplittableRandom r = new SplittableRandom(seed + 1);
    int[][] q = new int[queries][];
    int[] qTopic = new int[queries];
    for (int i = 0; i < queries; i++) {
      qTopic[i] = r.nextInt(topics);
      q[i] = new int[2 + r.nextInt(3)];
      for (int k = 0; k < q[i].length; k++) {
        q[i][k] = c.topicWords()[qTopic[i]][(int) Math.min(59, Math.abs(r.nextGaussian()) * 15)];
      }
    }
    int trainQueries = (int) (queries * 0.6);

    CandidateGenerator lexical = CandidateGenerator.of("bm25", (request, limit) -> {
      Map<Integer, Double> s = bm25.score(q[queryOf(request)]);
      return s.entrySet().stream().sorted((a, b) -> Double.compare(b.getValue(), a.getValue())).limit(limit)
          .map(e -> Candidate.of(Integer.toString(e.getKey()), e.getValue(), "bm25")).toList();
    });
    CandidateGenerator semantic = CandidateGenerator.of("embedding", (request, limit) -> {
      float[] qv = embed(q[queryOf(request)], bm25.idf, seed);
      List<Neighbor> hits = index.search(qv, limit, Math.max(limit, 100));
      return hits.stream().map(n -> Candidate.of(n.id(), 1 - n.distance(), "embedding")).toList();
    });
    FeatureSource features = FeatureSource.of("ltr-features", LTR, (request, cands) ->
        features(c, bm25, vectors, q[queryOf(request)], cands, seed));

    // ---- training rows: candidates of the training queries, graded labels
    long t1 = System.nanoTime();
    FeatureFrame.RowBuilder rows = FeatureFrame.rowBuilder(LTR);
    List<Double> labels = new ArrayList<>();
    List<Integer> groups = new ArrayList<>();
    for (int i = 0; i < trainQueries; i++) {
      PipelineRequest req = request(i);
      List<Candidate> cands = merge(lexical.generate(req, 100), semantic.generate(req, 100));
      if (cands.isEmpty()) {
        continue;
      }
      groups.add(cands.size());
      List<FeatureVector> fv = features.fetch(req, cands);
      for (int k = 0; k < cands.size(); k++) {
        rows.add(fv.get(k));
        labels.add((double) grade(c, qTopic[i], Integer.parseInt(cands.get(k).itemId())));
      }
    }
    FeatureFrame train = rows.build();
    GbdtRanker ltr = GbdtRanker.trainer(FeatureEncoder.builder(LTR).build()).name("search-lambdamart")
        .objective(GbdtRanker.Objective.RANK_NDCG).rounds(120).maxDepth(5).eta(0.1).seed(seed).threads(2)
        .trainRanking(train, labels.stream().mapToDouble(Double::doubleValue).toArray(),
            groups.stream().mapToInt(Integer::intValue).toArray());
    out.printf(Locale.ROOT, "[ltr]        LambdaMART (XGBoost rank:ndcg, served by the pure-Java evaluator) on graded "
        + "relevance: %,d (query, document) rows in %d query groups, in %d ms%n", labels.size(), groups.size(),
        (System.nanoTime() - t1) / 1_000_000);

    InMemoryTelemetry telemetry = new InMemoryTelemetry();
    TwoStagePipeline pipeline = TwoStagePipeline.builder().name("search")
        .addCandidateGenerator(lexical, 100)
        .addCandidateGenerator(semantic, 100)
        .featureSource(features)
        .scorer(ltr)
        .telemetry(telemetry)
        .build();
    out.println("[pipeline]   " + pipeline);

    Map<String, Double> ndcg = new LinkedHashMap<>();
    ndcg.put("ltr", 0.0);
    ndcg.put("bm25", 0.0);
    ndcg.put("embedding", 0.0);
    double candRecall = 0;
    int tested = 0;
    for (int i = trainQueries; i < queries; i++) {
      Map<String, Double> grades = new HashMap<>();
      for (int d = 0; d < docs; d++) {
        int g = grade(c, qTopic[i], d);
        if (g > 0) {
          grades.put(Integer.toString(d), (double) g);
        }
      }
      if (grades.isEmpty()) {
        continue;
      }
      tested++;
      PipelineRequest req = request(i);
      List<String> ltrList = pipeline.execute(req).items().stream().map(ScoredItem::itemId).toList();
      List<String> lex = lexical.generate(req, 10).stream().map(Candidate::itemId).toList();
      List<String> sem = semantic.generate(req, 10).stream().map(Candidate::itemId).toList();
      ndcg.merge("ltr", RankingMetrics.ndcgAtK(ltrList, grades, 10), Double::sum);
      ndcg.merge("bm25", RankingMetrics.ndcgAtK(lex, grades, 10), Double::sum);
      ndcg.merge("embedding", RankingMetrics.ndcgAtK(sem, grades, 10), Double::sum);
      long found = merge(lexical.generate(req, 100), semantic.generate(req, 100)).stream()
          .filter(x -> grades.containsKey(x.itemId())).count();
      candRecall += Math.min(1.0, found / (double) Math.min(200, grades.size()));
    }
    for (String k : List.of("ltr", "bm25", "embedding")) {
      ndcg.put(k, ndcg.get(k) / tested);
    }
    Result res = new Result(docs, tested, ndcg, candRecall / tested);
    out.println();
    out.printf(Locale.ROOT, "Test queries (%d), NDCG@10 against the graded truth over the whole corpus:%n", tested);
    out.printf(Locale.ROOT, "  %-40s %8.4f%n", "learning to rank (two-stage pipeline)", ndcg.get("ltr"));
    out.printf(Locale.ROOT, "  %-40s %8.4f%n", "BM25 alone", ndcg.get("bm25"));
    out.printf(Locale.ROOT, "  %-40s %8.4f%n", "embeddings alone", ndcg.get("embedding"));
    out.printf(Locale.ROOT, "  candidate recall (share of relevant documents among the 200 candidates, capped): %.3f%n",
        res.recallCandidates());
    out.println();
    out.print(telemetry.snapshot().toTable());
    if (report != null) {
      writeReport(res, telemetry.snapshot().toTable(), report);
      out.println("[report]     " + report.toAbsolutePath());
    }
    return res;
  }

  static PipelineRequest request(int query) {
    return PipelineRequest.of(EntityKey.of("query_id", (long) query), 10);
  }

  static int queryOf(PipelineRequest request) {
    return (int) (long) (Long) request.entity().value("query_id");
  }

  static List<Candidate> merge(List<Candidate> a, List<Candidate> b) {
    Map<String, Candidate> m = new LinkedHashMap<>();
    a.forEach(x -> m.putIfAbsent(x.itemId(), x));
    b.forEach(x -> m.putIfAbsent(x.itemId(), x));
    return new ArrayList<>(m.values());
  }

  /** The ranker's features, computed the same way for training rows and served requests. */
  static List<FeatureVector> features(Corpus c, Bm25 bm25, Map<String, float[]> vectors, int[] query,
      List<Candidate> cands, long seed) {
    Map<Integer, Double> lex = bm25.score(query);
    double[] scores = lex.values().stream().mapToDouble(Double::doubleValue).sorted().toArray();
    float[] qv = embed(query, bm25.idf, seed);
    List<FeatureVector> out = new ArrayList<>(cands.size());
    FeatureVector.Builder b = FeatureVector.builder(LTR);
    for (Candidate cand : cands) {
      int d = Integer.parseInt(cand.itemId());
      double s = lex.getOrDefault(d, 0.0);
      int above = scores.length - RecommendationStudy.upperBound(scores, s);
      int covered = 0;
      for (int w : query) {
        if (Arrays.stream(c.words()[d]).anyMatch(x -> x == w)) {
          covered++;
        }
      }
      out.add(b.setDouble(0, s)
          .setDouble(1, s == 0 ? 1000 : 1 + above)
          .setDouble(2, VectorMetric.dot(qv, vectors.get(cand.itemId())))
          .setDouble(3, covered / (double) query.length)
          .setDouble(4, Math.log(c.words()[d].length))
          .setDouble(5, c.ctr()[d])
          .build());
    }
    return out;
  }

  private static void writeReport(Result r, String latency, Path file) {
    StringBuilder h = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>SieveML search "
        + "study</title><style>body{font-family:sans-serif;margin:2em}td,th{padding:2px 10px;text-align:right}</style>"
        + "</head><body><h1>Search ranking case study</h1>");
    h.append(String.format(Locale.ROOT, "<p>%d documents, %d test queries; candidate recall %.3f.</p>", r.docs(),
        r.testQueries(), r.recallCandidates()));
    h.append("<table><tr><th>system</th><th>NDCG@10</th><th></th></tr>");
    for (Map.Entry<String, Double> e : r.ndcg().entrySet()) {
      h.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%.4f</td><td><svg width=\"300\" height=\"14\"><rect "
          + "width=\"%.0f\" height=\"14\" fill=\"#d62728\"/></svg></td></tr>", e.getKey(), e.getValue(),
          300 * e.getValue()));
    }
    h.append("</table><h2>Serving latency</h2><pre>").append(latency).append("</pre></body></html>\n");
    Cli.writeReport(file, h);
  }

  /**
   * Runs the study from the command line: {@code [--docs N] [--queries N] [--seed S] [--report FILE]}.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    Map<String, String> o = Cli.options(args, "--docs", "--queries", "--seed", "--report");
    System.out.println("SieveML case study: search ranking (BM25 + embeddings -> learning to rank)");
    run(Integer.parseInt(o.getOrDefault("--docs", "20000")), Integer.parseInt(o.getOrDefault("--queries", "500")),
        Long.parseLong(o.getOrDefault("--seed", "42")), System.out, Path.of(o.getOrDefault("--report",
            "target/search-report.html")));
  }
}
