package org.sieveml.benchmarks.retrieval;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.benchmarks.retrieval.AnnContenders.Contender;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;

/**
 * Question: how many cosine top-10 queries per second, single-threaded, at recall@10 >= 0.95 against
 * exact search, does SieveML's {@code HnswVectorIndex} answer against native C++ hnswlib
 * ({@link NativeHnswlib}: Debian's {@code libhnswlib-dev} compiled with {@code g++ -O3 -march=native}),
 * both graphs with M=16 and efConstruction=100, on the seeded clustered 100,000 x 128 set (1,000
 * topics, 1,000 queries) and on MNIST-10k (9,000 images indexed, 1,000 queries) when the data
 * directory has it?
 *
 * <p>Each sample is one fresh JVM that builds one contender (on {@value #BUILD_THREADS} threads),
 * computes the exact ground truth, takes the smallest ef on {@link AnnContenders#EF_LADDER} at which the
 * contender reaches recall 0.95, and times {@value #ROUNDS} passes over all queries at that ef on one
 * thread; the sample is the median pass. Ours is warmed by the recall passes of the ladder and
 * {@value #WARMUP} more passes at its ef; the native driver times its passes after one untimed recall
 * pass per ef (it needs no JIT). The native build uses the same {@value #BUILD_THREADS} threads.
 *
 * <p>Not a JMH benchmark: the scorecard runs each method in a fresh JVM ({@link Scorecard.Measured}),
 * and skips a comparison, saying why, when g++ or hnswlib's headers (or the MNIST files) are missing.
 * Not thread-safe; one method runs per JVM.
 */
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class AnnNativeBenchmark implements Scorecard.Measured {

  /** Threads that build either graph. */
  static final int BUILD_THREADS = 2;
  /** Timed passes over all queries per sample. */
  static final int ROUNDS = 15;
  /** Untimed passes of ours at its ef before timing. */
  static final int WARMUP = 3;
  /** The recall both contenders must reach. */
  static final double RECALL = 0.95;

  /** A new instance (one per JVM). */
  public AnnNativeBenchmark() {}

  /**
   * Ours on the seeded 100,000 x 128 set.
   *
   * @return queries per second at recall 0.95
   */
  public double sieveml() {
    return ours(AnnContenders.seeded(100_000, 128, 1000, 1000, 42));
  }

  /**
   * The anchor on the seeded 100,000 x 128 set.
   *
   * @return queries per second at recall 0.95
   */
  public double nativeHnswlib() {
    return anchor(AnnContenders.seeded(100_000, 128, 1000, 1000, 42));
  }

  /**
   * Ours on MNIST-10k.
   *
   * @return queries per second at recall 0.95
   */
  public double sievemlMnist() {
    return ours(AnnContenders.mnist(dataDir()));
  }

  /**
   * The anchor on MNIST-10k.
   *
   * @return queries per second at recall 0.95
   */
  public double nativeHnswlibMnist() {
    return anchor(AnnContenders.mnist(dataDir()));
  }

  @Override
  public Optional<String> skipReason(String method) {
    if (method.endsWith("Mnist") && !Files.isRegularFile(mnistFile(dataDir()))) {
      return Optional.of("MNIST-10k not found at " + mnistFile(dataDir()) + " (set -Dsieveml.data.dir or "
          + "SIEVEML_DATA_DIR to the data directory holding ann-mnist-t10k)");
    }
    return method.startsWith("native") ? NativeHnswlib.unavailable() : Optional.empty();
  }

  /**
   * The data directory: {@code sieveml.data.dir}, else {@code SIEVEML_DATA_DIR}, else
   * {@code ../shared/data}.
   *
   * @return the directory (not checked)
   */
  static Path dataDir() {
    String p = System.getProperty("sieveml.data.dir");
    if (p == null || p.isBlank()) {
      p = System.getenv("SIEVEML_DATA_DIR");
    }
    return Path.of(p == null || p.isBlank() ? "../shared/data" : p);
  }

  static Path mnistFile(Path dataDir) {
    return dataDir.resolve("ann-mnist-t10k/t10k-images-idx3-ubyte.gz");
  }

  private static double ours(DataSet data) {
    Contender c = AnnContenders.named("sieveml");
    long t = System.nanoTime();
    c.build(data, BUILD_THREADS);
    double buildSeconds = (System.nanoTime() - t) / 1e9;
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
    System.out.printf(Locale.ROOT, "NOTE sieveml on %s: built in %.1f s (%d threads), ef %d recall %.4f, %.0f qps %s%n",
        data.name(), buildSeconds, BUILD_THREADS, ef, recall, median, rounded(qps));
    return median;
  }

  private static double anchor(DataSet data) {
    int[][] truth = AnnContenders.groundTruth(data);
    NativeHnswlib.Result r = NativeHnswlib.run(data, truth, AnnContenders.M, AnnContenders.EF_CONSTRUCTION,
        BUILD_THREADS, AnnContenders.EF_LADDER, ROUNDS, RECALL);
    NativeHnswlib.Point p = r.firstReaching(RECALL).orElseThrow(() -> new IllegalStateException(
        NativeHnswlib.NAME + " does not reach recall " + RECALL + " on " + data.name() + " at ef "
            + AnnContenders.EF_LADDER[AnnContenders.EF_LADDER.length - 1]));
    System.out.printf(Locale.ROOT, "NOTE %s on %s: built in %.1f s (%d threads), ef %d recall %.4f, %.0f qps %s%n",
        NativeHnswlib.NAME, data.name(), r.buildSeconds(), r.buildThreads(), p.ef(), p.recall(), p.qps(),
        rounded(p.roundQps()));
    return p.qps();
  }

  private static double pass(Contender c, DataSet data, int ef) {
    float[][] qs = data.queries();
    long t = System.nanoTime();
    int sink = 0;
    for (float[] q : qs) {
      sink += c.search(q, AnnContenders.K, ef).length;
    }
    long ns = System.nanoTime() - t;
    if (sink < 0) {
      throw new AssertionError();
    }
    return qs.length / (ns / 1e9);
  }

  private static String rounded(double[] v) {
    return Arrays.toString(Arrays.stream(v).map(Math::rint).mapToLong(x -> (long) x).toArray());
  }
}
