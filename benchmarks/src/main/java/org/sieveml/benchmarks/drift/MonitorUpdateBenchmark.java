package org.sieveml.benchmarks.drift;

import java.util.Random;
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
import org.sieveml.core.FeatureFrame;
import org.sieveml.monitoring.StreamingDriftMonitor;

/**
 * Question: what does one served request cost to record in a {@link StreamingDriftMonitor} of 50
 * numeric features (10 quantile bins each, window 1,000)? Goal: at most 1 us. The baseline is the
 * least a raw-window monitor (Evidently-style: keep the last rows, compute at check time) must do per
 * request: copy the 50 values into a ring buffer under a lock.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(2)
public class MonitorUpdateBenchmark {

  private static final int FEATURES = 50;
  private static final int WINDOW = 1000;

  private StreamingDriftMonitor monitor;
  private double[][] rows;
  private int next;
  private double[] raw;
  private long rawCount;

  /** Builds the reference profile and 4,096 request rows. */
  @Setup
  public void setup() {
    Random r = new Random(42);
    FeatureFrame.ColumnBuilder b = FeatureFrame.builder(10_000);
    for (int f = 0; f < FEATURES; f++) {
      double[] col = new double[10_000];
      for (int i = 0; i < col.length; i++) {
        col[i] = r.nextGaussian() * (f + 1);
      }
      b.addDouble("f" + f, col);
    }
    monitor = StreamingDriftMonitor.builder(b.build()).windowSize(WINDOW).build();
    rows = new double[4096][FEATURES];
    for (double[] row : rows) {
      for (int f = 0; f < FEATURES; f++) {
        row[f] = r.nextGaussian() * (f + 1) * 1.1;
      }
    }
    raw = new double[WINDOW * FEATURES];
  }

  /**
   * Ours: bucket 50 values and update the window counts.
   *
   * @return the row index (consumed)
   */
  @Benchmark
  public int sieveml() {
    int i = next++ & 4095;
    monitor.observe(rows[i]);
    return i;
  }

  /**
   * Raw-window baseline.
   *
   * @return the row index
   */
  @Benchmark
  public int rawWindow() {
    int i = next++ & 4095;
    synchronized (this) {
      System.arraycopy(rows[i], 0, raw, (int) (rawCount++ % WINDOW) * FEATURES, FEATURES);
    }
    return i;
  }
}
