package org.sieveml.benchmarks.serving;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import org.sieveml.benchmarks.Scorecard;

/**
 * The batch-scoring comparison of {@link BatchScoringBenchmark} with every side interleaved in one JVM: after
 * warm-up rounds, each measured round runs {@code batch()}, {@code batchWritesBehind()} and
 * {@code rankerOnly()} on the same state, so all sides see the same JVM and the same machine moment. This
 * matters on the 2-core VMs we measure on: the speed of memory-bound code there changes by up to 1.6x for
 * seconds at a time within one JVM (an ALU-only loop does not change; a pointer chase over 24 MB is about
 * 10 % slower in the slow spells), so the scorecard's separate forks compare different machine moments.
 *
 * <p>Prints, per side, the median and mean wall time per call and the mean process CPU time per call (every
 * thread: the caller, the batch's writer, the store's background seals and merges, GC and JIT), then the
 * ratios of medians (floor / batch) and, with {@code --windows}, the same per 2-second window of rounds.
 * Predictions are dropped every 30 rounds, as a JMH iteration would.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -Xms1g -Xmx1g -cp benchmarks/target/benchmarks.jar \
 *     org.sieveml.benchmarks.serving.BatchInterleaved [rounds=300] [--windows]
 * </pre>
 *
 * <p>Not thread-safe; a command-line tool.
 */
public final class BatchInterleaved {
  private static final String[] SIDES = {"batch", "batchWritesBehind", "rankerOnly"};

  private BatchInterleaved() {}

  /**
   * Runs the comparison.
   *
   * @param args the number of measured rounds (default 300, at least 1), and {@code --windows} to print
   *     the ratios of each 2-second window as well
   */
  public static void main(String[] args) {
    int rounds = 300;
    boolean windows = false;
    for (String a : args) {
      if (a.equals("--windows")) {
        windows = true;
      } else {
        try {
          rounds = Integer.parseInt(a);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("argument '" + a + "': expected a number of rounds or --windows");
        }
        if (rounds < 1) {
          throw new IllegalArgumentException("rounds is " + rounds + ", expected at least 1");
        }
      }
    }
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    BatchScoringBenchmark b = new BatchScoringBenchmark();
    b.chunk = BatchScoringBenchmark.CHUNK;
    b.setup();
    try {
      for (int w = 0; w < 100; w++) {
        if (w % 30 == 0) {
          b.dropPredictions();
        }
        run(b, 0);
        run(b, 1);
        run(b, 2);
      }
      double[][] wall = new double[3][rounds];
      double[] cpu = new double[3]; // process CPU ms over every measured call of a side
      long windowStart = System.nanoTime();
      int windowFrom = 0;
      StringBuilder perWindow = new StringBuilder();
      for (int i = 0; i < rounds; i++) {
        if (i % 30 == 0) {
          b.dropPredictions();
        }
        for (int s = 0; s < 3; s++) {
          long c0 = os.getProcessCpuTime();
          long t0 = System.nanoTime();
          run(b, s);
          wall[s][i] = (System.nanoTime() - t0) / 1e6;
          cpu[s] += (os.getProcessCpuTime() - c0) / 1e6;
        }
        if (System.nanoTime() - windowStart >= 2_000_000_000L || i == rounds - 1) {
          double mb = Scorecard.median(Arrays.copyOfRange(wall[0], windowFrom, i + 1));
          double mi = Scorecard.median(Arrays.copyOfRange(wall[1], windowFrom, i + 1));
          double mr = Scorecard.median(Arrays.copyOfRange(wall[2], windowFrom, i + 1));
          perWindow.append(String.format("  rounds %4d-%4d: batch %.2f, behind %.2f, ranker %.2f ms; ratios %.3f, "
              + "%.3f%n", windowFrom, i, mb, mi, mr, mr / mb, mr / mi));
          windowStart = System.nanoTime();
          windowFrom = i + 1;
        }
      }
      double floor = Scorecard.median(wall[2]);
      for (int s = 0; s < 3; s++) {
        double med = Scorecard.median(wall[s]);
        System.out.printf("%-18s median %.3f ms, mean %.3f ms, process CPU per call %.2f ms; floor / this %.3f%n",
            SIDES[s], med, Arrays.stream(wall[s]).average().orElse(0), cpu[s] / rounds, floor / med);
      }
      System.out.printf("%d interleaved rounds; ratio of medians batch %.3f, batchWritesBehind %.3f%n", rounds,
          floor / Scorecard.median(wall[0]), floor / Scorecard.median(wall[1]));
      if (windows) {
        System.out.print("per 2-second window (ratios: floor / batch, floor / behind):\n" + perWindow);
      }
    } finally {
      b.tearDown();
    }
  }

  private static void run(BatchScoringBenchmark b, int side) {
    switch (side) {
      case 0 -> b.batch();
      case 1 -> b.batchWritesBehind();
      default -> b.rankerOnly();
    }
  }
}
