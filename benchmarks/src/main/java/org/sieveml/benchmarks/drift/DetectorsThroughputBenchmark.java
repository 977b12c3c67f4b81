package org.sieveml.benchmarks.drift;

import java.util.concurrent.TimeUnit;
import moa.classifiers.core.driftdetection.AbstractChangeDetector;
import moa.classifiers.core.driftdetection.DDM;
import moa.classifiers.core.driftdetection.EDDM;
import moa.classifiers.core.driftdetection.HDDM_A_Test;
import moa.classifiers.core.driftdetection.HDDM_W_Test;
import moa.classifiers.core.driftdetection.PageHinkleyDM;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.sieveml.monitoring.ChangeDetector;
import org.sieveml.monitoring.Ddm;
import org.sieveml.monitoring.DetectorState;
import org.sieveml.monitoring.Eddm;
import org.sieveml.monitoring.HddmA;
import org.sieveml.monitoring.HddmW;
import org.sieveml.monitoring.PageHinkley;

/**
 * Question: how many updates per microsecond do our DDM, EDDM, Page-Hinkley, HDDM_A and HDDM_W
 * sustain together against MOA 2024.07.0's detectors of the same names on the identical
 * 100,000-value error stream? One operation is one update of one detector (5 x 100,000 per
 * invocation); both sides must report the same number of drifts (checked in setup).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 6, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(2)
public class DetectorsThroughputBenchmark {

  private double[] stream;

  /** Builds the stream and checks both sides agree. */
  @Setup
  public void setup() {
    stream = DriftStreams.errors();
    if (sieveml() != moa()) {
      throw new IllegalStateException("detectors disagree with MOA: " + sieveml() + " vs " + moa());
    }
  }

  /**
   * Ours.
   *
   * @return drifts
   */
  @Benchmark
  @OperationsPerInvocation(5 * DriftStreams.STREAM)
  public int sieveml() {
    ChangeDetector[] ds = {new Ddm(), new Eddm(), new PageHinkley(), new HddmA(), new HddmW()};
    int n = 0;
    for (ChangeDetector d : ds) {
      for (double x : stream) {
        if (d.update(x) == DetectorState.DRIFT) {
          n++;
        }
      }
    }
    return n;
  }

  /**
   * MOA's.
   *
   * @return drifts
   */
  @Benchmark
  @OperationsPerInvocation(5 * DriftStreams.STREAM)
  public int moa() {
    AbstractChangeDetector[] ds = {new DDM(), new EDDM(), new PageHinkleyDM(), new HDDM_A_Test(), new HDDM_W_Test()};
    int n = 0;
    for (AbstractChangeDetector d : ds) {
      d.prepareForUse();
      for (double x : stream) {
        d.input(x);
        if (d.getChange()) {
          n++;
        }
      }
    }
    return n;
  }
}
