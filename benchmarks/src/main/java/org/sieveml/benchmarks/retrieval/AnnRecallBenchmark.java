package org.sieveml.benchmarks.retrieval;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.sieveml.benchmarks.retrieval.AnnContenders.Contender;
import org.sieveml.benchmarks.retrieval.AnnContenders.DataSet;

/**
 * Question: how many cosine top-10 queries per second, single-threaded, at recall@10 >= 0.95 against
 * exact search, on a seeded clustered 100,000 x 128 set (1,000 topics, 1,000 queries)? SieveML's
 * {@code HnswVectorIndex} against raw hnswlib-core 1.2.1 (built-in {@code FLOAT_COSINE_DISTANCE}),
 * Lucene 9.12's in-memory HNSW and the exact index, all HNSW graphs with M=16 and efConstruction=100.
 *
 * <p>Each fork builds only the contender of the method it runs, then picks the smallest ef on
 * {@link AnnContenders#EF_LADDER} at which that contender reaches recall 0.95 (so every contender is
 * measured at equal recall, at its own cheapest setting) and prints it. Forks run with
 * {@code --add-modules jdk.incubator.vector}: SieveML's SIMD kernels are active; Lucene 9.12 enables its
 * own vectorization only on Java 21 and later, so on Java 17 it runs its scalar scorers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms4g", "-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class AnnRecallBenchmark {

  private Contender contender;
  private float[][] queries;
  private int ef;
  private int next;

  /**
   * Builds the running method's contender and calibrates its ef.
   *
   * @param params the running benchmark, naming the contender
   */
  @Setup
  public void setup(BenchmarkParams params) {
    String method = params.getBenchmark().substring(params.getBenchmark().lastIndexOf('.') + 1);
    DataSet data = AnnContenders.seeded(100_000, 128, 1000, 1000, 42);
    queries = data.queries();
    contender = AnnContenders.named(method);
    long t = System.nanoTime();
    contender.build(data, 2);
    double buildSeconds = (System.nanoTime() - t) / 1e9;
    if (method.equals("exact")) {
      ef = 0;
    } else {
      int[][] truth = AnnContenders.groundTruth(data);
      ef = AnnContenders.efFor(contender, data, truth, 0.95);
      System.out.printf("%s: built in %.1f s (%d threads), ef %d gives recall@10 %.4f%n", method, buildSeconds,
          contender.buildThreads(2), ef, AnnContenders.recall(contender, data, truth, ef));
    }
  }

  /**
   * Ours.
   *
   * @return the hits
   */
  @Benchmark
  public int[] sieveml() {
    return contender.search(queries[next++ % queries.length], AnnContenders.K, ef);
  }

  /**
   * Raw hnswlib-core.
   *
   * @return the hits
   */
  @Benchmark
  public int[] hnswlib() {
    return contender.search(queries[next++ % queries.length], AnnContenders.K, ef);
  }

  /**
   * Lucene 9.12's HNSW.
   *
   * @return the hits
   */
  @Benchmark
  public int[] lucene() {
    return contender.search(queries[next++ % queries.length], AnnContenders.K, ef);
  }

  /**
   * Exact search.
   *
   * @return the hits
   */
  @Benchmark
  public int[] exact() {
    return contender.search(queries[next++ % queries.length], AnnContenders.K, ef);
  }
}
