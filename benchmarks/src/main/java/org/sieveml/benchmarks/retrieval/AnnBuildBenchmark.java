package org.sieveml.benchmarks.retrieval;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.openjdk.jmh.annotations.Fork;
import org.sieveml.benchmarks.Scorecard;
import org.sieveml.benchmarks.retrieval.AnnContenders.Contender;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;

/**
 * Question: how many vectors per second does SieveML's {@code HnswVectorIndex} insert while building
 * the graph of the seeded clustered 100,000 x 128 set (cosine, M=16, efConstruction=100), on
 * {@value #THREADS} thread, against raw hnswlib-core 1.2.1, Lucene 9.12's {@code HnswGraphBuilder}
 * and native C++ hnswlib ({@link NativeHnswlib})?
 *
 * <p>One thread for every contender because Lucene 9.12's in-memory builder is single-threaded; the
 * graphs then differ only in the libraries' code. Each sample is one fresh JVM that builds one
 * contender once and divides the vectors by the wall-clock build time (JIT warm-up included; it is a
 * small part of builds of tens of seconds). A build includes what each contender does to its input:
 * ours and hnswlib-core wrap the vectors with their ids, Lucene and native hnswlib normalise them.
 * The native driver also gets 10 queries with their ground truth, searched once after the build,
 * outside the timed build.
 *
 * <p>Not a JMH benchmark: the scorecard runs each method in a fresh JVM ({@link Scorecard.Measured})
 * and skips the native comparison, saying why, when g++ or hnswlib's headers are missing. Not
 * thread-safe; one method runs per JVM.
 */
@Fork(jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class AnnBuildBenchmark implements Scorecard.Measured {

  /** Building threads of every contender. */
  static final int THREADS = 1;

  /** A new instance (one per JVM). */
  public AnnBuildBenchmark() {}

  /**
   * Ours.
   *
   * @return vectors inserted per second
   */
  public double sieveml() {
    return java("sieveml");
  }

  /**
   * Raw hnswlib-core 1.2.1.
   *
   * @return vectors inserted per second
   */
  public double hnswlib() {
    return java("hnswlib");
  }

  /**
   * Lucene 9.12's {@code HnswGraphBuilder}.
   *
   * @return vectors inserted per second
   */
  public double lucene() {
    return java("lucene");
  }

  /**
   * Native C++ hnswlib.
   *
   * @return vectors inserted per second
   */
  public double nativeHnswlib() {
    DataSet full = data();
    DataSet few = new DataSet(full.name(), full.base(), Arrays.copyOf(full.queries(), 10));
    NativeHnswlib.Result r = NativeHnswlib.run(few, AnnContenders.groundTruth(few), AnnContenders.M,
        AnnContenders.EF_CONSTRUCTION, THREADS, new int[] {AnnContenders.EF_CONSTRUCTION}, 1, Double.NaN);
    System.out.printf(Locale.ROOT, "NOTE %s on %s: built in %.2f s (%d threads), %.0f vectors/s%n", NativeHnswlib.NAME,
        full.name(), r.buildSeconds(), r.buildThreads(), r.buildVectorsPerSecond());
    return r.buildVectorsPerSecond();
  }

  @Override
  public Optional<String> skipReason(String method) {
    return method.equals("nativeHnswlib") ? NativeHnswlib.unavailable() : Optional.empty();
  }

  private static DataSet data() {
    return AnnContenders.seeded(100_000, 128, 1000, 1000, 42);
  }

  private static double java(String name) {
    DataSet data = data();
    Contender c = AnnContenders.named(name);
    long t = System.nanoTime();
    c.build(data, THREADS);
    double seconds = (System.nanoTime() - t) / 1e9;
    double rate = data.base().length / seconds;
    System.out.printf(Locale.ROOT, "NOTE %s on %s: built in %.2f s (%d threads), %.0f vectors/s%n", name, data.name(),
        seconds, c.buildThreads(THREADS), rate);
    return rate;
  }
}
