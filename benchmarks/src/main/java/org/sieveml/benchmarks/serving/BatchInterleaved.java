package org.sieveml.benchmarks.serving;

import java.util.Arrays;

/**
 * The batch-scoring comparison of {@link BatchScoringBenchmark} with both sides interleaved in one JVM:
 * after warm-up pairs, each measured pair runs {@code batch()} then {@code rankerOnly()} on the same state,
 * so both sides see the same JVM and the same machine moment. The scorecard compares medians from separate
 * forks, and the ranker runs at one of two speeds per JVM here (about 9.5 or 14-16 ms per 20k rows). The
 * slow and fast JVMs run the same machine code for the ranker (its C2 code dumped and disassembled: identical
 * but for call addresses) with the same profile shape under {@code perf}; everything is uniformly slower.
 * The cause is not known.
 * Prints the medians, the means and the ratio (floor / batch) of each. Predictions are dropped every 30
 * pairs, as a JMH iteration would.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar \
 *     org.sieveml.benchmarks.serving.BatchInterleaved [pairs=300]
 * </pre>
 *
 * <p>Not thread-safe; a command-line tool.
 */
public final class BatchInterleaved {
  private BatchInterleaved() {}

  /**
   * Runs the comparison.
   *
   * @param args the number of measured pairs (default 300)
   */
  public static void main(String[] args) {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 300;
    BatchScoringBenchmark b = new BatchScoringBenchmark();
    b.chunk = BatchScoringBenchmark.CHUNK;
    b.setup();
    try {
      for (int w = 0; w < 100; w++) {
        if (w % 30 == 0) {
          b.dropPredictions();
        }
        b.batch();
        b.rankerOnly();
      }
      long[] batch = new long[pairs];
      long[] floor = new long[pairs];
      for (int i = 0; i < pairs; i++) {
        if (i % 30 == 0) {
          b.dropPredictions();
        }
        long t0 = System.nanoTime();
        b.batch();
        long t1 = System.nanoTime();
        b.rankerOnly();
        long t2 = System.nanoTime();
        batch[i] = t1 - t0;
        floor[i] = t2 - t1;
      }
      double meanBatch = Arrays.stream(batch).average().orElse(0) / 1e6;
      double meanFloor = Arrays.stream(floor).average().orElse(0) / 1e6;
      Arrays.sort(batch);
      Arrays.sort(floor);
      double medBatch = batch[pairs / 2] / 1e6;
      double medFloor = floor[pairs / 2] / 1e6;
      System.out.printf("batch vs rankerOnly, %d interleaved pairs: medians %.3f vs %.3f ms (ratio %.3f), "
          + "means %.3f vs %.3f ms (ratio %.3f)%n", pairs, medBatch, medFloor, medFloor / medBatch, meanBatch,
          meanFloor, meanFloor / meanBatch);
    } finally {
      b.tearDown();
    }
  }
}
