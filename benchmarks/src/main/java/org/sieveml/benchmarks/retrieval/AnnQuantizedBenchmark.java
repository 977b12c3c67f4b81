package org.sieveml.benchmarks.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.benchmarks.retrieval.AnnContenders.Contender;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.HnswVectorIndex.MemoryUse;
import org.sieveml.retrieval.HnswVectorIndex.Quantization;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.VectorMetric;

/**
 * Question: what does int8 scalar quantization ({@code Builder.quantization(Quantization.INT8)}) cost
 * and save against the default float32 storage of SieveML's {@code HnswVectorIndex}, and how many heap
 * bytes does the float index take per vector against the raw vector? Seeded clustered 100,000 x 128 set
 * (1,000 topics, 1,000 queries), cosine, M=16, efConstruction=100, built with
 * {@code addAll(items, 2 threads, null)} and the default ef fixed by {@code Builder.ef(64)} (no recall
 * tuning during the build); an int8 index maps its float copies from a scratch file in a temporary
 * directory under {@code java.io.tmpdir}, deleted when the sample ends.
 *
 * <ul>
 *   <li><b>Queries per second</b> ({@link #int8Qps} against {@link #floatQps}): each side takes the
 *       smallest ef on {@link AnnContenders#EF_LADDER} whose recall@10 over the 1,000 queries against the
 *       exact cosine top-10 ({@link AnnContenders#groundTruth}) reaches 0.95, runs {@value #WARMUP}
 *       untimed passes and then {@value #ROUNDS} timed rounds (whole passes over all queries, at least
 *       0.3 s each) on one thread; the sample is the median round. Informational: float stays the default
 *       unless int8 wins.
 *   <li><b>Vector heap</b> ({@link #int8VectorHeap} against {@link #floatVectorHeap}):
 *       {@code memoryUse().vectorHeapBytes()}, the vector storage on the heap (allocated segments, so
 *       room for growth included): float vectors, or int8 codes plus per-vector corrections. Smaller is
 *       better; the goal is int8 at most 30 % of float.
 *   <li><b>Heap bytes per vector</b> ({@link #floatHeapBytesPerVector} against {@link #rawFloat32}): the
 *       float index's {@code memoryUse().heapBytesPerVector()} (vectors, links, node states, ids and the
 *       id map) against the 4 x 128 = 512 bytes of the raw float32 vector. Informational. The sample also
 *       builds the int8 index to print its heap bytes per vector.
 * </ul>
 *
 * <p>Every sample prints a note with the index's {@code MemoryUse} per vector (vector heap, off-heap
 * copies, links, the rest). Not a JMH benchmark: the scorecard runs each method in a fresh JVM
 * ({@link Scorecard.Measured}) and takes the median over forks. Run one sample by hand:
 *
 * <pre>
 * java -Xms4g -Xmx4g --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     'org.sieveml.benchmarks.Scorecard$MeasuredFork' org.sieveml.benchmarks.retrieval.AnnQuantizedBenchmark int8Qps
 * </pre>
 *
 * <p>Not thread-safe; one method runs per JVM.
 */
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class AnnQuantizedBenchmark implements Scorecard.Measured {

  /** Threads that build the index. */
  static final int BUILD_THREADS = 2;
  /** The fixed default ef of the index (no tuning during the build). */
  static final int EF = 64;
  /** Timed rounds per sample. */
  static final int ROUNDS = 10;
  /** The least duration of a timed round (whole passes over the queries). */
  static final long ROUND_NANOS = 300_000_000L;
  /** Untimed passes at the chosen ef before timing (after the calibration passes of the ladder). */
  static final int WARMUP = 3;
  /** The recall both sides must reach. */
  static final double RECALL = 0.95;

  /** A new instance (one per JVM). */
  public AnnQuantizedBenchmark() {}

  /**
   * Ours: the int8 index's queries per second at recall@10 0.95.
   *
   * @return queries per second, one thread
   */
  public double int8Qps() {
    return qps(Quantization.INT8);
  }

  /**
   * The anchor: the float index's queries per second at recall@10 0.95.
   *
   * @return queries per second, one thread
   */
  public double floatQps() {
    return qps(Quantization.NONE);
  }

  /**
   * Ours: the int8 index's vector storage on the heap.
   *
   * @return {@code memoryUse().vectorHeapBytes()}, bytes
   */
  public double int8VectorHeap() {
    return withIndex(Quantization.INT8, (data, index) -> index.memoryUse().vectorHeapBytes());
  }

  /**
   * The anchor: the float index's vector storage on the heap.
   *
   * @return {@code memoryUse().vectorHeapBytes()}, bytes
   */
  public double floatVectorHeap() {
    return withIndex(Quantization.NONE, (data, index) -> index.memoryUse().vectorHeapBytes());
  }

  /**
   * Ours: the float index's heap bytes per vector, everything included. Builds the int8 index first, for
   * its note only.
   *
   * @return {@code memoryUse().heapBytesPerVector()}
   */
  public double floatHeapBytesPerVector() {
    withIndex(Quantization.INT8, (data, index) -> index.memoryUse().heapBytesPerVector());
    return withIndex(Quantization.NONE, (data, index) -> index.memoryUse().heapBytesPerVector());
  }

  /**
   * The anchor: the raw float32 vector, 4 bytes per dimension.
   *
   * @return 512 for 128 dimensions
   */
  public double rawFloat32() {
    int dim = 128;
    System.out.printf(Locale.ROOT, "NOTE raw float32 vector of %d dimensions: %d bytes (a constant)%n", dim, 4 * dim);
    return 4.0 * dim;
  }

  private interface Measure {
    double apply(DataSet data, HnswVectorIndex index);
  }

  private static DataSet data() {
    return AnnContenders.seeded(100_000, 128, 1000, 1000, 42);
  }

  private static String name(Quantization q) {
    return q == Quantization.INT8 ? "sieveml-int8" : "sieveml-float";
  }

  /** Builds one index in a fresh off-heap directory, measures it, prints its memory note, cleans up. */
  private static double withIndex(Quantization q, Measure measure) {
    DataSet data = data();
    Path dir = tempDir();
    try {
      long t = System.nanoTime();
      HnswVectorIndex index = build(data, q, dir);
      double buildSeconds = (System.nanoTime() - t) / 1e9;
      memoryNote(name(q), data, index, buildSeconds);
      return measure.apply(data, index);
    } finally {
      delete(dir);
    }
  }

  private static double qps(Quantization q) {
    return withIndex(q, (data, index) -> {
      Contender c = new Side(name(q), index);
      int[][] truth = AnnContenders.groundTruth(data);
      int ef = AnnContenders.efFor(c, data, truth, RECALL);
      double recall = AnnContenders.recall(c, data, truth, ef);
      for (int w = 0; w < WARMUP; w++) {
        pass(c, data, ef);
      }
      double[] qps = new double[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        qps[r] = pass(c, data, ef);
      }
      double median = Scorecard.median(qps);
      System.out.printf(Locale.ROOT, "NOTE %s on %s: ef %d recall %.4f, %.0f qps %s (one thread)%n",
          c.name(), data.name(), ef, recall, median, rounded(qps));
      return median;
    });
  }

  static HnswVectorIndex build(DataSet data, Quantization q, Path offHeapDir) {
    Map<String, float[]> items = new LinkedHashMap<>(data.base().length * 2);
    for (int i = 0; i < data.base().length; i++) {
      items.put(Integer.toString(i), data.base()[i]);
    }
    HnswVectorIndex index = HnswVectorIndex.builder(data.dimension(), VectorMetric.COSINE).m(AnnContenders.M)
        .efConstruction(AnnContenders.EF_CONSTRUCTION).ef(EF).initialCapacity(data.base().length)
        .quantization(q).offHeapDirectory(offHeapDir).build();
    index.addAll(items, BUILD_THREADS, null);
    try {
      // nothing should be pending with a fixed ef and no removals; make sure nothing runs meanwhile
      if (!index.awaitMaintenance(Duration.ofMinutes(5))) {
        throw new IllegalStateException("index maintenance still running after 5 minutes");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (index.quantization() != q || index.size() != data.base().length) {
      throw new IllegalStateException("built " + index.quantization() + " index of " + index.size() + " items, "
          + "expected " + q + " and " + data.base().length);
    }
    return index;
  }

  private static void memoryNote(String name, DataSet data, HnswVectorIndex index, double buildSeconds) {
    MemoryUse m = index.memoryUse();
    double n = m.vectors();
    double raw = 4.0 * data.dimension();
    System.out.printf(Locale.ROOT,
        "NOTE %s on %s: built in %.1f s (%d threads, ef fixed at %d), %d vectors in capacity %d; heap bytes per "
            + "vector %.1f (%.2fx the raw float32 %.0f B): vectors %.1f, links %.1f, other %.1f; off-heap "
            + "vector copies %.1f B/vector; vector heap %d B%n",
        name, data.name(), buildSeconds, BUILD_THREADS, EF, m.vectors(), index.capacity(), m.heapBytesPerVector(),
        m.heapBytesPerVector() / raw, raw, m.vectorHeapBytes() / n, m.linkBytes() / n, m.otherBytes() / n,
        m.vectorOffHeapBytes() / n, m.vectorHeapBytes());
  }

  private static Path tempDir() {
    try {
      return Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "sieveml-ann-int8");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes the directory and anything left in it (the index unlinks its scratch file once open). */
  private static void delete(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      System.out.println("NOTE could not delete " + dir + ": " + e);
    }
  }

  /** One round: passes over all queries until at least {@value #ROUND_NANOS} ns went by; queries per second. */
  private static double pass(Contender c, DataSet data, int ef) {
    float[][] qs = data.queries();
    long t = System.nanoTime();
    long ns;
    int sink = 0;
    long done = 0;
    do {
      for (float[] q : qs) {
        sink += c.search(q, AnnContenders.K, ef).length;
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

  /** A built index as a contender (its build is done by {@link #build}). */
  private static final class Side implements Contender {
    private final String name;
    private final HnswVectorIndex index;

    Side(String name, HnswVectorIndex index) {
      this.name = name;
      this.index = index;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void build(DataSet data, int threads) {
      throw new UnsupportedOperationException("built already");
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
}
