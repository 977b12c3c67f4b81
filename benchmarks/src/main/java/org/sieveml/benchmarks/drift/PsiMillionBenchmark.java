package org.sieveml.benchmarks.drift;

import java.util.concurrent.TimeUnit;
import org.apache.commons.statistics.descriptive.Quantile;
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
import org.sieveml.monitoring.DriftMethod;
import org.sieveml.monitoring.DriftTests;

/**
 * Question: how long does a 10-bin PSI of 1M vs 1M values take (decile edges of the reference, bucket
 * counts, PSI with proportions floored at 1e-4), against the same computation built on Apache Commons
 * Statistics' {@code Quantile} (Hyndman-Fan type 1, the definition we use) with a binary-search
 * histogram? Samples: N(0,1) and N(0.05,1), seeds 1 and 2. Both return the same PSI (checked in setup
 * to 1e-12 relative).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class PsiMillionBenchmark {

  private double[] x;
  private double[] y;

  /** Builds the samples and checks both sides agree. */
  @Setup
  public void setup() {
    x = DriftStreams.normal(1, 1_000_000, 0);
    y = DriftStreams.normal(2, 1_000_000, 0.05);
    double ours = sieveml();
    double theirs = commons();
    if (Math.abs(ours - theirs) > 1e-12 * Math.abs(theirs)) {
      throw new IllegalStateException("PSI differs: " + ours + " vs " + theirs);
    }
  }

  /**
   * Ours.
   *
   * @return PSI
   */
  @Benchmark
  public double sieveml() {
    return DriftTests.test(DriftMethod.PSI, "x", x, y, 0.1).statistic();
  }

  /**
   * Commons Statistics quantiles plus a histogram.
   *
   * @return PSI
   */
  @Benchmark
  public double commons() {
    double[] p = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9};
    double[] q = Quantile.withDefaults().with(Quantile.EstimationMethod.HF1).evaluate(x, p);
    int k = 0;
    double[] edges = new double[q.length];
    for (double v : q) {
      if (k == 0 || v > edges[k - 1]) {
        edges[k++] = v;
      }
    }
    long[] rc = new long[k + 2];
    long[] cc = new long[k + 2];
    for (double v : x) {
      rc[bucket(edges, k, v)]++;
    }
    for (double v : y) {
      cc[bucket(edges, k, v)]++;
    }
    double s = 0;
    for (int i = 0; i < rc.length; i++) {
      double r = Math.max(rc[i] / (double) x.length, 1e-4);
      double c = Math.max(cc[i] / (double) y.length, 1e-4);
      s += (c - r) * Math.log(c / r);
    }
    return s;
  }

  private static int bucket(double[] edges, int k, double v) {
    int lo = 0;
    int hi = k;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (v < edges[mid]) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    return lo;
  }
}
