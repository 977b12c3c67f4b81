package org.sieveml.benchmarks.drift;

import java.util.concurrent.TimeUnit;
import org.apache.commons.statistics.inference.KolmogorovSmirnovTest;
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
 * Question: how long does a two-sample Kolmogorov-Smirnov test (statistic and p-value) of 1M vs 1M
 * values take, against Apache Commons Statistics' {@code KolmogorovSmirnovTest} on the same samples
 * (two N(0,1) samples, seeds 1 and 2, the no-drift case a monitor mostly sees)? Both return the same
 * statistic and p-value (checked in setup to 1e-9 relative).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class KsMillionBenchmark {

  private double[] x;
  private double[] y;

  /** Builds the samples and checks both sides agree. */
  @Setup
  public void setup() {
    x = DriftStreams.normal(1, 1_000_000, 0);
    y = DriftStreams.normal(2, 1_000_000, 0);
    double ours = sieveml();
    double theirs = commons();
    if (Math.abs(ours - theirs) > 1e-9 * Math.abs(theirs)) {
      throw new IllegalStateException("p-values differ: " + ours + " vs " + theirs);
    }
  }

  /**
   * Ours.
   *
   * @return the p-value
   */
  @Benchmark
  public double sieveml() {
    return DriftTests.test(DriftMethod.KOLMOGOROV_SMIRNOV, "x", x, y, 0.05).pValue();
  }

  /**
   * Commons Statistics.
   *
   * @return the p-value
   */
  @Benchmark
  public double commons() {
    return KolmogorovSmirnovTest.withDefaults().test(x, y).getPValue();
  }
}
