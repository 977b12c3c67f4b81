package org.sieveml.benchmarks.retrieval;

import com.github.jelmerk.hnswlib.core.DistanceFunctions;
import com.github.jelmerk.hnswlib.core.Item;
import com.github.jelmerk.hnswlib.core.SearchResult;
import com.github.jelmerk.hnswlib.core.hnsw.HnswIndex;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.GZIPInputStream;
import org.apache.lucene.codecs.hnsw.DefaultFlatVectorScorer;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopKnnCollector;
import org.apache.lucene.util.hnsw.HnswGraphBuilder;
import org.apache.lucene.util.hnsw.HnswGraphSearcher;
import org.apache.lucene.util.hnsw.OnHeapHnswGraph;
import org.apache.lucene.util.hnsw.RandomAccessVectorValues;
import org.apache.lucene.util.hnsw.RandomVectorScorerSupplier;
import org.sieveml.retrieval.ExactVectorIndex;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.VectorMetric;

/**
 * The data sets and the four contenders of the retrieval benchmarks, all searched for the cosine top-k
 * with the same M and efConstruction: SieveML's {@link HnswVectorIndex}, raw hnswlib-core 1.2.1 with its
 * built-in {@code FLOAT_COSINE_DISTANCE}, Lucene 9.12's in-memory HNSW ({@code HnswGraphBuilder} and
 * {@code HnswGraphSearcher} over unit vectors with {@code DOT_PRODUCT}, Lucene's recommended form of
 * cosine) and SieveML's exact index. Not thread-safe while building; searches are read-only.
 */
public final class AnnContenders {

  /** HNSW M of every graph. */
  public static final int M = 16;
  /** HNSW efConstruction (Lucene's beam width) of every graph. */
  public static final int EF_CONSTRUCTION = 100;
  /** Neighbours per query. */
  public static final int K = 10;

  private AnnContenders() {}

  /**
   * A base set and a query set.
   *
   * @param name a short name, e.g. {@code seeded-100k-x-128}
   * @param base the indexed vectors
   * @param queries the query vectors
   */
  public record DataSet(String name, float[][] base, float[][] queries) {
    /**
     * The dimension.
     *
     * @return the vectors' length
     */
    public int dimension() {
      return base[0].length;
    }
  }

  /**
   * A seeded clustered set like real embeddings: items and queries scattered around random topics.
   *
   * @param n base vectors
   * @param dim dimension
   * @param topics cluster centres
   * @param queries query vectors
   * @param seed the seed
   * @return the data set
   */
  public static DataSet seeded(int n, int dim, int topics, int queries, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] centers = new float[topics][];
    for (int c = 0; c < topics; c++) {
      centers[c] = gaussian(r, null, dim, 1);
    }
    float[][] base = new float[n][];
    for (int i = 0; i < n; i++) {
      base[i] = gaussian(r, centers[r.nextInt(topics)], dim, 0.5);
    }
    float[][] q = new float[queries][];
    for (int i = 0; i < queries; i++) {
      q[i] = gaussian(r, centers[r.nextInt(topics)], dim, 0.5);
    }
    return new DataSet("seeded-" + (n >= 1000 ? n / 1000 + "k" : n) + "-x-" + dim, base, q);
  }

  private static float[] gaussian(SplittableRandom r, float[] center, int dim, double sd) {
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) {
      v[d] = (float) ((center == null ? 0 : center[d]) + sd * r.nextGaussian());
    }
    return v;
  }

  /**
   * MNIST's 10,000 test images: the first 9,000 as the base, the last 1,000 as queries.
   *
   * @param dataDir the data directory holding {@code ann-mnist-t10k}
   * @return the data set
   */
  public static DataSet mnist(Path dataDir) {
    Path file = dataDir.resolve("ann-mnist-t10k/t10k-images-idx3-ubyte.gz");
    try (InputStream raw = Files.newInputStream(file);
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(new GZIPInputStream(raw)))) {
      int magic = in.readInt();
      if (magic != 0x803) {
        throw new IOException(file + ": not an idx3 image file");
      }
      int n = in.readInt();
      int dim = in.readInt() * in.readInt();
      float[][] all = new float[n][dim];
      for (int i = 0; i < n; i++) {
        for (int p = 0; p < dim; p++) {
          all[i][p] = in.readUnsignedByte();
        }
      }
      // zero images cannot be compared by cosine; MNIST has none, but refuse rather than skip silently
      return new DataSet("mnist-10k", Arrays.copyOfRange(all, 0, 9000), Arrays.copyOfRange(all, 9000, n));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read MNIST from " + file, e);
    }
  }

  /**
   * The exact cosine top-k of every query.
   *
   * @param data the data set
   * @return per query, the base indexes of its true neighbours
   */
  public static int[][] groundTruth(DataSet data) {
    Exact exact = new Exact();
    exact.build(data, 2);
    int[][] truth = new int[data.queries().length][];
    for (int q = 0; q < truth.length; q++) {
      truth[q] = exact.search(data.queries()[q], K, K);
    }
    return truth;
  }

  /**
   * Mean recall@k of a contender at one ef.
   *
   * @param c the contender, built
   * @param data the data set
   * @param truth the ground truth
   * @param ef the search ef
   * @return mean recall@k over the queries
   */
  public static double recall(Contender c, DataSet data, int[][] truth, int ef) {
    long hits = 0;
    for (int q = 0; q < truth.length; q++) {
      int[] got = c.search(data.queries()[q], K, ef);
      for (int g : got) {
        for (int t : truth[q]) {
          if (g == t) {
            hits++;
            break;
          }
        }
      }
    }
    return (double) hits / ((long) truth.length * K);
  }

  /**
   * The smallest ef on a ladder at which a contender reaches the recall target.
   *
   * @param c the contender, built
   * @param data the data set
   * @param truth the ground truth
   * @param target the recall target, e.g. 0.95
   * @return the ef
   * @throws IllegalStateException when even the largest ef misses the target
   */
  public static int efFor(Contender c, DataSet data, int[][] truth, double target) {
    for (int ef : EF_LADDER) {
      if (recall(c, data, truth, ef) >= target) {
        return ef;
      }
    }
    throw new IllegalStateException(c.name() + " does not reach recall " + target + " at ef " + EF_LADDER[EF_LADDER.length - 1]);
  }

  /** The search ef values swept. */
  public static final int[] EF_LADDER =
      {10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 24, 28, 32, 40, 48, 64, 80, 96, 128, 192, 256};

  /**
   * Builds a contender by name.
   *
   * @param name {@code sieveml}, {@code hnswlib}, {@code lucene} or {@code exact}
   * @return a new, empty contender
   */
  public static Contender named(String name) {
    switch (name) {
      case "sieveml":
        return new Ours();
      case "hnswlib":
        return new RawHnswlib();
      case "lucene":
        return new Lucene();
      case "exact":
        return new Exact();
      default:
        throw new IllegalArgumentException("contender was '" + name + "', expected sieveml, hnswlib, lucene or exact");
    }
  }

  /** One index under test. */
  public interface Contender {
    /**
     * The contender's name.
     *
     * @return e.g. {@code hnswlib}
     */
    String name();

    /**
     * Indexes the base set.
     *
     * @param data the data set
     * @param threads building threads (used where the library builds in parallel)
     */
    void build(DataSet data, int threads);

    /**
     * The threads the build actually used.
     *
     * @param requested the requested threads
     * @return the threads used
     */
    default int buildThreads(int requested) {
      return requested;
    }

    /**
     * Searches.
     *
     * @param query the query
     * @param k neighbours
     * @param ef the search ef (beam width)
     * @return base indexes of the neighbours, best first
     */
    int[] search(float[] query, int k, int ef);
  }

  /** SieveML's HNSW index. */
  public static final class Ours implements Contender {
    private HnswVectorIndex index;

    @Override
    public String name() {
      return "sieveml";
    }

    @Override
    public void build(DataSet data, int threads) {
      // a fixed ef: every search here passes its own, and the build then measures the graph alone (the
      // default, a recall target, would add a tuning pass to addAll)
      index = HnswVectorIndex.builder(data.dimension(), VectorMetric.COSINE).m(M).efConstruction(EF_CONSTRUCTION)
          .ef(64).initialCapacity(data.base().length).build();
      Map<String, float[]> items = new LinkedHashMap<>(data.base().length * 2);
      for (int i = 0; i < data.base().length; i++) {
        items.put(Integer.toString(i), data.base()[i]);
      }
      index.addAll(items, threads, null);
    }

    @Override
    public int[] search(float[] query, int k, int ef) {
      List<Neighbor> hits = index.search(query, k, ef);
      int[] out = new int[hits.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = Integer.parseInt(hits.get(i).id());
      }
      return out;
    }
  }

  /** The raw library's item type. */
  static final class RawItem implements Item<Integer, float[]> {
    private static final long serialVersionUID = 1L;
    private final int id;
    private final float[] vector;

    RawItem(int id, float[] vector) {
      this.id = id;
      this.vector = vector;
    }

    @Override
    public Integer id() {
      return id;
    }

    @Override
    public float[] vector() {
      return vector;
    }

    @Override
    public int dimensions() {
      return vector.length;
    }
  }

  /** Raw hnswlib-core 1.2.1 with its built-in cosine distance; ef is one index-wide field. */
  public static final class RawHnswlib implements Contender {
    private HnswIndex<Integer, float[], RawItem, Float> index;

    @Override
    public String name() {
      return "hnswlib";
    }

    @Override
    public void build(DataSet data, int threads) {
      index = HnswIndex.newBuilder(data.dimension(), DistanceFunctions.FLOAT_COSINE_DISTANCE, data.base().length)
          .withM(M).withEfConstruction(EF_CONSTRUCTION).withEf(EF_CONSTRUCTION).build();
      List<RawItem> items = new ArrayList<>(data.base().length);
      for (int i = 0; i < data.base().length; i++) {
        items.add(new RawItem(i, data.base()[i]));
      }
      try {
        index.addAll(items, threads, (done, max) -> { }, Integer.MAX_VALUE);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    @Override
    public int[] search(float[] query, int k, int ef) {
      if (index.getEf() != ef) {
        index.setEf(ef); // the benchmarks search from one thread
      }
      List<SearchResult<RawItem, Float>> hits = index.findNearest(query, k);
      int[] out = new int[hits.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = hits.get(i).item().id();
      }
      return out;
    }
  }

  /** Lucene 9.12's in-memory HNSW graph, searched with a collector of size ef (luceneutil's fan-out). */
  public static final class Lucene implements Contender {
    private OnHeapHnswGraph graph;
    private RandomAccessVectorValues.Floats vectors;

    @Override
    public String name() {
      return "lucene";
    }

    @Override
    public int buildThreads(int requested) {
      return 1;
    }

    @Override
    public void build(DataSet data, int threads) {
      List<float[]> unit = new ArrayList<>(data.base().length);
      for (float[] v : data.base()) {
        unit.add(normalized(v));
      }
      vectors = RandomAccessVectorValues.fromFloats(unit, data.dimension());
      try {
        RandomVectorScorerSupplier scorers = DefaultFlatVectorScorer.INSTANCE
            .getRandomVectorScorerSupplier(VectorSimilarityFunction.DOT_PRODUCT, vectors);
        graph = HnswGraphBuilder.create(scorers, M, EF_CONSTRUCTION, 42).build(unit.size());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public int[] search(float[] query, int k, int ef) {
      try {
        TopKnnCollector collector = new TopKnnCollector(Math.max(k, ef), Integer.MAX_VALUE);
        HnswGraphSearcher.search(DefaultFlatVectorScorer.INSTANCE.getRandomVectorScorer(
            VectorSimilarityFunction.DOT_PRODUCT, vectors, normalized(query)), collector, graph, null);
        ScoreDoc[] docs = collector.topDocs().scoreDocs;
        int[] out = new int[Math.min(k, docs.length)];
        for (int i = 0; i < out.length; i++) {
          out[i] = docs[i].doc;
        }
        return out;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** SieveML's exact index (brute force). */
  public static final class Exact implements Contender {
    private ExactVectorIndex index;

    @Override
    public String name() {
      return "exact";
    }

    @Override
    public int buildThreads(int requested) {
      return 1;
    }

    @Override
    public void build(DataSet data, int threads) {
      index = ExactVectorIndex.create(data.dimension(), VectorMetric.COSINE);
      for (int i = 0; i < data.base().length; i++) {
        index.add(Integer.toString(i), data.base()[i]);
      }
    }

    @Override
    public int[] search(float[] query, int k, int ef) {
      List<Neighbor> hits = index.search(query, k);
      int[] out = new int[hits.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = Integer.parseInt(hits.get(i).id());
      }
      return out;
    }
  }

  static float[] normalized(float[] v) {
    double n = 0;
    for (float x : v) {
      n += (double) x * x;
    }
    float inv = (float) (1 / Math.sqrt(n));
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] * inv;
    }
    return out;
  }
}
