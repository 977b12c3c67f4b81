package org.sieveml.benchmarks.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;
import org.sieveml.retrieval.HnswVectorIndex;
import org.sieveml.retrieval.Neighbor;
import org.sieveml.retrieval.VectorMetric;

/**
 * Question: how much faster does a service get its 100,000 x 128 cosine HNSW index back by
 * {@code HnswVectorIndex.load} of a file {@code HnswVectorIndex.save} wrote than by building the same
 * index again? Seeded clustered 100,000 x 128 set (1,000 topics), M=16, efConstruction=100, the default
 * ef fixed by {@code Builder.ef(64)} so that the build is the graph alone (no recall tuning).
 *
 * <ul>
 *   <li><b>Build</b> (the anchor): one fresh JVM generates the set and times
 *       {@code builder(...).build()} plus {@code addAll(items, 2 threads, null)}; the sample is that
 *       wall-clock time, JIT warm-up included (as in a service that rebuilds on start).
 *   <li><b>Load</b> (ours): one fresh JVM builds the same index (untimed), saves it to a temporary
 *       file (the save time is printed), then times {@value #LOADS} {@code load}s of that file; the
 *       sample is their median. The file was just written, so it is in the page cache: this is the
 *       parse-and-verify cost (checksum over the whole file, every count and link checked), not a cold
 *       disk read. The first load, which pays the JIT warm-up of the load path, is printed too. The
 *       loaded index is checked to answer 100 queries exactly as the built one.
 * </ul>
 *
 * <p>The figure is in milliseconds and its ratio is build/load: the goal is a load at least 20 times
 * faster than the build. Not a JMH benchmark: the scorecard runs each method in a fresh JVM
 * ({@link Scorecard.Measured}) and takes the median over forks. Run one sample by hand:
 *
 * <pre>
 * java -Xms4g -Xmx4g --add-modules=jdk.incubator.vector -cp benchmarks/target/benchmarks.jar \
 *     'org.sieveml.benchmarks.Scorecard$MeasuredFork' org.sieveml.benchmarks.retrieval.AnnLoadBenchmark load
 * </pre>
 *
 * <p>Not thread-safe; one method runs per JVM.
 */
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class AnnLoadBenchmark implements Scorecard.Measured {

  /** Threads that build the index. */
  static final int BUILD_THREADS = 2;
  /** The fixed default ef of the index (no tuning during the build). */
  static final int EF = 64;
  /** Timed loads per sample. */
  static final int LOADS = 5;
  /** Queries compared between the built and the loaded index. */
  static final int CHECK_QUERIES = 100;

  /** A new instance (one per JVM). */
  public AnnLoadBenchmark() {}

  /**
   * Ours: loading the saved index.
   *
   * @return the median load time, in milliseconds
   */
  public double load() {
    DataSet data = data();
    HnswVectorIndex built = build(data);
    Path dir;
    try {
      dir = Files.createTempDirectory("sieveml-ann-load");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path file = dir.resolve("index.hnsw");
    try {
      long t = System.nanoTime();
      built.save(file);
      double saveMs = (System.nanoTime() - t) / 1e6;
      long bytes = Files.size(file);
      double[] ms = new double[LOADS];
      HnswVectorIndex loaded = null;
      for (int i = 0; i < LOADS; i++) {
        loaded = null;
        System.gc();
        t = System.nanoTime();
        loaded = HnswVectorIndex.load(file);
        ms[i] = (System.nanoTime() - t) / 1e6;
      }
      check(built, loaded, data);
      double median = Scorecard.median(ms);
      System.out.printf(Locale.ROOT,
          "NOTE sieveml on %s: saved %.1f MB in %.0f ms; load %.1f ms median of %d %s (first %.1f ms); "
              + "loaded index answers %d queries as the built one%n",
          data.name(), bytes / 1e6, saveMs, median, LOADS, rounded(ms), ms[0], CHECK_QUERIES);
      return median;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      try {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
      } catch (IOException e) {
        System.out.println("NOTE could not delete " + file + ": " + e);
      }
    }
  }

  /**
   * The anchor: building the index.
   *
   * @return the build time, in milliseconds
   */
  public double build() {
    DataSet data = data();
    long t = System.nanoTime();
    HnswVectorIndex index = build(data);
    double ms = (System.nanoTime() - t) / 1e6;
    System.out.printf(Locale.ROOT, "NOTE sieveml on %s: built %d items in %.0f ms (%d threads, ef fixed at %d)%n",
        data.name(), index.size(), ms, BUILD_THREADS, EF);
    return ms;
  }

  private static DataSet data() {
    return AnnContenders.seeded(100_000, 128, 1000, 1000, 42);
  }

  private static HnswVectorIndex build(DataSet data) {
    Map<String, float[]> items = new LinkedHashMap<>(data.base().length * 2);
    for (int i = 0; i < data.base().length; i++) {
      items.put(Integer.toString(i), data.base()[i]);
    }
    HnswVectorIndex index = HnswVectorIndex.builder(data.dimension(), VectorMetric.COSINE).m(AnnContenders.M)
        .efConstruction(AnnContenders.EF_CONSTRUCTION).ef(EF).initialCapacity(data.base().length).build();
    index.addAll(items, BUILD_THREADS, null);
    return index;
  }

  private static void check(HnswVectorIndex built, HnswVectorIndex loaded, DataSet data) {
    if (loaded.size() != built.size() || loaded.defaultEf() != built.defaultEf()) {
      throw new IllegalStateException("loaded index has " + loaded.size() + " items and ef " + loaded.defaultEf()
          + ", the built one " + built.size() + " and " + built.defaultEf());
    }
    for (int q = 0; q < CHECK_QUERIES; q++) {
      List<Neighbor> a = built.search(data.queries()[q], AnnContenders.K);
      List<Neighbor> b = loaded.search(data.queries()[q], AnnContenders.K);
      if (!a.equals(b)) {
        throw new IllegalStateException("query " + q + ": loaded index answers " + b + ", the built one " + a);
      }
    }
  }

  private static String rounded(double[] v) {
    return Arrays.toString(Arrays.stream(v).map(x -> Math.rint(x * 10) / 10).toArray());
  }
}
