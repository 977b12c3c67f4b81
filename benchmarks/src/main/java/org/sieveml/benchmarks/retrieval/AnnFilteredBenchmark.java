package org.sieveml.benchmarks.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.HitQueue;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.util.BitSetIterator;
import org.apache.lucene.util.FixedBitSet;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.HnswGraphSearcher;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorer;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.SearchResult;
import org.sieveml.retrieval.VectorFilter;
import org.sieveml.retrieval.VectorMetric;

/**
 * Question: how many filtered cosine top-10 queries per second, on one thread, at recall@10 >= 0.95
 * against the exact <em>filtered</em> top-10, does SieveML's {@code HnswVectorIndex.filteredSearch}
 * answer against Lucene 9.12's filtered HNSW search with the same filter, when {@value #SMALL_PERCENT} %
 * or {@value #LARGE_PERCENT} % of the items match? Seeded clustered 100,000 x 128 set (1,000 topics,
 * 1,000 queries), both graphs with M=16 and efConstruction=100.
 *
 * <p>The filter is a seeded random subset of the base ids (exactly 1,000 or 10,000 of them, seed
 * {@value #FILTER_SEED}); the ground truth is the exact cosine top-10 among the matching items. Each side
 * then takes the smallest ef (ours) or beam (Lucene's collector size) on {@link AnnContenders#EF_LADDER}
 * whose filtered recall@10 over the 1,000 queries reaches 0.95, and is timed at it.
 *
 * <ul>
 *   <li><b>Ours</b>: {@code index.filteredSearch(query, 10, ef, filter)} with one
 *       {@code VectorFilter.ids(matchingIds)} created once, outside the timed loop, as a host keeps one
 *       filter per category (resolving the ids to graph nodes is the index's work, inside the timing;
 *       an index that caches it on the filter pays it once). The index's planner chooses how to answer: exactly when few
 *       items match, else by filtered graph traversal, falling back to the exact answer when the
 *       traversal would compute more distances than there are matches ({@code SearchResult.exact()}
 *       reports which; the share of exact answers is printed).
 *   <li><b>Lucene</b>: what Lucene 9.12's {@code AbstractKnnVectorQuery} does with a filter in one
 *       segment, on the in-memory graph ({@code HnswGraphBuilder}, unit vectors, {@code DOT_PRODUCT}).
 *       The matching ordinals are one {@code FixedBitSet} (Lucene's {@code Bits}) built once, outside
 *       the timed loop. Per query: if at most k ordinals match, exact search; otherwise
 *       {@code HnswGraphSearcher.search(scorer, collector, graph, acceptOrds)} with a
 *       {@code TopKnnCollector} of size {@code max(10, beam)} whose visit limit is the number of
 *       matches plus one (Lucene's {@code cost + 1}); when the collector reports
 *       {@code earlyTerminated()} (or found fewer hits than its size) the query falls back, as Lucene's,
 *       to exact search over the matching ordinals: a score for every match, the top 10 kept in a
 *       {@code HitQueue}.
 * </ul>
 *
 * <p>Each sample is one fresh JVM that builds one side's graph (ours on {@value #BUILD_THREADS} threads,
 * Lucene's single-threaded builder on one), computes the filtered ground truth, calibrates the ef, runs
 * {@value #WARMUP} untimed passes over all queries and then {@value #ROUNDS} timed rounds (whole passes
 * over all queries, at least 0.3 s each); the sample is the median round in queries per second. The
 * printed note gives the ef, the recall, how many queries were answered exactly and the distances
 * computed per query (ours: {@code SearchResult.visited()}; Lucene: the collector's visited count, plus
 * every match when it fell back to exact search). Forks run with {@code --add-modules jdk.incubator.vector}:
 * SieveML's SIMD kernels are active; Lucene 9.12 vectorizes only on Java 21 and later.
 *
 * <p>Not a JMH benchmark: the scorecard runs each method in a fresh JVM ({@link Scorecard.Measured}).
 * Run one sample by hand:
 *
 * <pre>
 * java -Xms4g -Xmx4g --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     'org.sieveml.benchmarks.Scorecard$MeasuredFork' org.sieveml.benchmarks.retrieval.AnnFilteredBenchmark sieveml10pct
 * </pre>
 *
 * <p>Not thread-safe; one method runs per JVM.
 */
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class AnnFilteredBenchmark implements Scorecard.Measured {

  /** The smaller selectivity, in percent. */
  static final int SMALL_PERCENT = 1;
  /** The larger selectivity, in percent. */
  static final int LARGE_PERCENT = 10;
  /** The seed of the matching subsets. */
  static final long FILTER_SEED = 7;
  /** Threads that build our graph (Lucene's builder is single-threaded). */
  static final int BUILD_THREADS = 2;
  /** Timed passes over all queries per sample. */
  static final int ROUNDS = 10;
  /** The least duration of a timed round (whole passes over the queries). */
  static final long ROUND_NANOS = 300_000_000L;
  /** Untimed passes at the chosen ef before timing (after the calibration passes). */
  static final int WARMUP = 3;
  /** The filtered recall both sides must reach. */
  static final double RECALL = 0.95;

  /** A new instance (one per JVM). */
  public AnnFilteredBenchmark() {}

  /**
   * Ours, {@value #SMALL_PERCENT} % of the items match.
   *
   * @return queries per second at filtered recall 0.95
   */
  public double sieveml1pct() {
    return measure(new Ours(), SMALL_PERCENT);
  }

  /**
   * Lucene 9.12, {@value #SMALL_PERCENT} % of the items match.
   *
   * @return queries per second at filtered recall 0.95
   */
  public double lucene1pct() {
    return measure(new Lucene(), SMALL_PERCENT);
  }

  /**
   * Ours, {@value #LARGE_PERCENT} % of the items match.
   *
   * @return queries per second at filtered recall 0.95
   */
  public double sieveml10pct() {
    return measure(new Ours(), LARGE_PERCENT);
  }

  /**
   * Lucene 9.12, {@value #LARGE_PERCENT} % of the items match.
   *
   * @return queries per second at filtered recall 0.95
   */
  public double lucene10pct() {
    return measure(new Lucene(), LARGE_PERCENT);
  }

  /** One side: builds its graph, prepares the filter once, searches. */
  interface Side {
    String name();

    void build(DataSet data);

    /** Prepares the filter of these base indexes (sorted, distinct); called once, outside timing. */
    void filter(int[] matches);

    /** One filtered search; returns the base indexes found, best first. */
    int[] search(float[] query, int k, int ef);

    /** Whether the last {@link #search} answered exactly. */
    boolean lastExact();

    /** How many distances the last {@link #search} computed (graph visits, plus every match if exact). */
    long lastVisited();
  }

  static DataSet data() {
    return AnnContenders.seeded(100_000, 128, 1000, 1000, 42);
  }

  /**
   * A seeded random subset of {@code 0..n-1} of exactly {@code n * percent / 100} elements.
   *
   * @param n the base size
   * @param percent the share, in percent
   * @return the subset, sorted ascending
   */
  static int[] matches(int n, int percent) {
    int count = (int) ((long) n * percent / 100);
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    SplittableRandom r = new SplittableRandom(FILTER_SEED);
    for (int i = 0; i < count; i++) {
      int j = i + r.nextInt(n - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    int[] out = Arrays.copyOf(all, count);
    Arrays.sort(out);
    return out;
  }

  /**
   * The exact cosine top-k among the matching items of every query.
   *
   * @param data the data set
   * @param matches the matching base indexes
   * @return per query, the base indexes of its true filtered neighbours, best first
   */
  static int[][] truth(DataSet data, int[] matches) {
    float[][] unit = new float[matches.length][];
    for (int i = 0; i < matches.length; i++) {
      unit[i] = AnnContenders.normalized(data.base()[matches[i]]);
    }
    int k = AnnContenders.K;
    int[][] out = new int[data.queries().length][];
    for (int q = 0; q < out.length; q++) {
      float[] qv = AnnContenders.normalized(data.queries()[q]);
      double[] best = new double[k];
      int[] ids = new int[k];
      Arrays.fill(best, Double.NEGATIVE_INFINITY);
      for (int i = 0; i < unit.length; i++) {
        double dot = 0;
        float[] v = unit[i];
        for (int d = 0; d < v.length; d++) {
          dot += (double) qv[d] * v[d];
        }
        if (dot > best[k - 1]) {
          int p = k - 1;
          while (p > 0 && best[p - 1] < dot) {
            best[p] = best[p - 1];
            ids[p] = ids[p - 1];
            p--;
          }
          best[p] = dot;
          ids[p] = matches[i];
        }
      }
      out[q] = ids;
    }
    return out;
  }

  private static double recall(Side side, DataSet data, int[][] truth, int ef, long[] counts) {
    long hits = 0;
    long exact = 0;
    long visited = 0;
    for (int q = 0; q < truth.length; q++) {
      int[] got = side.search(data.queries()[q], AnnContenders.K, ef);
      exact += side.lastExact() ? 1 : 0;
      visited += side.lastVisited();
      for (int g : got) {
        for (int t : truth[q]) {
          if (g == t) {
            hits++;
            break;
          }
        }
      }
    }
    counts[0] = exact;
    counts[1] = visited;
    return (double) hits / ((long) truth.length * AnnContenders.K);
  }

  private static double measure(Side side, int percent) {
    DataSet data = data();
    long t = System.nanoTime();
    side.build(data);
    double buildSeconds = (System.nanoTime() - t) / 1e9;
    int[] matches = matches(data.base().length, percent);
    int[][] truth = truth(data, matches);
    side.filter(matches);
    int ef = -1;
    double recall = 0;
    long[] counts = new long[2];
    for (int candidate : AnnContenders.EF_LADDER) {
      recall = recall(side, data, truth, candidate, counts);
      if (recall >= RECALL) {
        ef = candidate;
        break;
      }
    }
    if (ef < 0) {
      throw new IllegalStateException(side.name() + " does not reach filtered recall " + RECALL + " at " + percent
          + " % at ef " + AnnContenders.EF_LADDER[AnnContenders.EF_LADDER.length - 1] + " (last: " + recall + ")");
    }
    for (int w = 0; w < WARMUP; w++) {
      pass(side, data, ef);
    }
    double[] qps = new double[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
      qps[r] = pass(side, data, ef);
    }
    double median = Scorecard.median(qps);
    System.out.printf(Locale.ROOT,
        "NOTE %s on %s, %d %% match (%d items): built in %.1f s, ef %d recall %.4f (%d of %d queries answered "
            + "exactly, %.0f distances per query), %.0f qps %s%n",
        side.name(), data.name(), percent, matches.length, buildSeconds, ef, recall, counts[0], truth.length,
        (double) counts[1] / truth.length, median, rounded(qps));
    return median;
  }

  /** One round: passes over all queries until at least {@value #ROUND_NANOS} ns went by; queries per second. */
  private static double pass(Side side, DataSet data, int ef) {
    float[][] qs = data.queries();
    long t = System.nanoTime();
    long ns;
    int sink = 0;
    long done = 0;
    do {
      for (float[] q : qs) {
        sink += side.search(q, AnnContenders.K, ef).length;
      }
      done += qs.length;
      ns = System.nanoTime() - t;
    } while (ns < ROUND_NANOS);
    if (sink < 0) {
      throw new AssertionError();
    }
    return done / (ns / 1e9);
  }

  private static String rounded(double[] v) {
    return Arrays.toString(Arrays.stream(v).map(Math::rint).mapToLong(x -> (long) x).toArray());
  }

  /** SieveML: {@code filteredSearch} with one reused {@code VectorFilter.ids}. */
  static final class Ours implements Side {
    private HnswVectorIndex index;
    private VectorFilter filter;
    private boolean exact;
    private long visited;

    @Override
    public String name() {
      return "sieveml";
    }

    @Override
    public void build(DataSet data) {
      index = HnswVectorIndex.builder(data.dimension(), VectorMetric.COSINE).m(AnnContenders.M)
          .efConstruction(AnnContenders.EF_CONSTRUCTION).initialCapacity(data.base().length).build();
      Map<String, float[]> items = new LinkedHashMap<>(data.base().length * 2);
      for (int i = 0; i < data.base().length; i++) {
        items.put(Integer.toString(i), data.base()[i]);
      }
      index.addAll(items, BUILD_THREADS, null);
      try {
        // nothing should be pending after addAll (it tunes before returning); make sure nothing runs meanwhile
        if (!index.awaitMaintenance(java.time.Duration.ofMinutes(5))) {
          throw new IllegalStateException("index maintenance still running after 5 minutes");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public void filter(int[] matches) {
      List<String> ids = new ArrayList<>(matches.length);
      for (int m : matches) {
        ids.add(Integer.toString(m));
      }
      filter = VectorFilter.ids(ids);
    }

    @Override
    public int[] search(float[] query, int k, int ef) {
      SearchResult r = index.filteredSearch(query, k, ef, filter);
      exact = r.exact();
      visited = r.visited();
      List<Neighbor> hits = r.neighbors();
      int[] out = new int[hits.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = Integer.parseInt(hits.get(i).id());
      }
      return out;
    }

    @Override
    public boolean lastExact() {
      return exact;
    }

    @Override
    public long lastVisited() {
      return visited;
    }
  }

  /** Lucene 9.12: {@code AbstractKnnVectorQuery}'s filtered strategy on an in-memory graph. */
  static final class Lucene implements Side {
    private OnHeapHnswGraph graph;
    private RandomAccessVectorValues.Floats vectors;
    private FixedBitSet accept;
    private int cost;
    private boolean exact;
    private long visited;

    @Override
    public String name() {
      return "lucene";
    }

    @Override
    public void build(DataSet data) {
      List<float[]> unit = new ArrayList<>(data.base().length);
      for (float[] v : data.base()) {
        unit.add(AnnContenders.normalized(v));
      }
      vectors = RandomAccessVectorValues.fromFloats(unit, data.dimension());
      try {
        RandomVectorScorerSupplier scorers = DefaultFlatVectorScorer.INSTANCE
            .getRandomVectorScorerSupplier(VectorSimilarityFunction.DOT_PRODUCT, vectors);
        graph = HnswGraphBuilder.create(scorers, AnnContenders.M, AnnContenders.EF_CONSTRUCTION, 42)
            .build(unit.size());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public void filter(int[] matches) {
      accept = new FixedBitSet(vectors.size());
      for (int m : matches) {
        accept.set(m);
      }
      cost = accept.cardinality();
    }

    @Override
    public int[] search(float[] query, int k, int ef) {
      try {
        RandomVectorScorer scorer = DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(
            VectorSimilarityFunction.DOT_PRODUCT, vectors, AnnContenders.normalized(query));
        int size = Math.max(k, ef);
        visited = 0;
        if (cost > size) {
          TopKnnCollector collector = new TopKnnCollector(size, cost + 1);
          HnswGraphSearcher.search(scorer, collector, graph, accept);
          visited = collector.visitedCount();
          if (!collector.earlyTerminated()) {
            ScoreDoc[] docs = collector.topDocs().scoreDocs;
            if (docs.length >= size) {
              exact = false;
              int[] out = new int[Math.min(k, docs.length)];
              for (int i = 0; i < out.length; i++) {
                out[i] = docs[i].doc;
              }
              return out;
            }
          }
        }
        exact = true;
        visited += cost;
        return exactSearch(scorer, k);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /**
     * {@code AbstractKnnVectorQuery.exactSearch}: every match, iterated from the bit set, scored; the top k
     * kept in a {@code HitQueue}.
     */
    private int[] exactSearch(RandomVectorScorer scorer, int k) throws IOException {
      HitQueue queue = new HitQueue(k, true);
      ScoreDoc top = queue.top();
      BitSetIterator it = new BitSetIterator(accept, cost);
      for (int ord = it.nextDoc(); ord != DocIdSetIterator.NO_MORE_DOCS; ord = it.nextDoc()) {
        float score = scorer.score(ord);
        if (score > top.score) {
          top.score = score;
          top.doc = ord;
          top = queue.updateTop();
        }
      }
      while (queue.size() > 0 && queue.top().score < 0) {
        queue.pop();
      }
      int[] out = new int[queue.size()];
      for (int i = out.length - 1; i >= 0; i--) {
        out[i] = queue.pop().doc;
      }
      return out;
    }

    @Override
    public boolean lastExact() {
      return exact;
    }

    @Override
    public long lastVisited() {
      return visited;
    }
  }
}
