package org.sieveml.benchmarks.drift;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import moa.classifiers.core.driftdetection.ADWIN;
import moa.classifiers.core.driftdetection.AbstractChangeDetector;
import moa.classifiers.core.driftdetection.DDM;
import moa.classifiers.core.driftdetection.EDDM;
import moa.classifiers.core.driftdetection.HDDM_A_Test;
import moa.classifiers.core.driftdetection.HDDM_W_Test;
import moa.classifiers.core.driftdetection.PageHinkleyDM;
import org.sieveml.monitoring.Adwin;
import org.sieveml.monitoring.ChangeDetector;
import org.sieveml.monitoring.Ddm;
import org.sieveml.monitoring.DetectorEvaluation;
import org.sieveml.monitoring.Eddm;
import org.sieveml.monitoring.HddmA;
import org.sieveml.monitoring.HddmW;
import org.sieveml.monitoring.Kswin;
import org.sieveml.monitoring.LabelledStream;
import org.sieveml.monitoring.PageHinkley;

/**
 * Question: how quickly, how often wrongly and how often not at all does each of our detectors find
 * labelled change points, next to MOA 2024.07.0's detector of the same name on the same streams in the
 * same run? Figures by {@link DetectorEvaluation} (detection delay, MTFA, MDR; maximum delay 1,000).
 *
 * <p>Streams (seeded, 10 per family and magnitude, 4 segments of 5,000 observations, so 3 labelled
 * increases per stream): a 0/1 error stream whose rate climbs 0.1, 0.1 + d, 0.1 + 2d, 0.1 + 3d for
 * d in {0.05, 0.1, 0.2}, for DDM, EDDM, HDDM_A, HDDM_W, ADWIN and Page-Hinkley; a Gaussian stream (sd 0.1,
 * so that nearly every value lies in [0, 1] as the Hoeffding bounds of ADWIN and HDDM assume) whose mean
 * climbs 0.2, 0.2 + m, 0.2 + 2m, 0.2 + 3m for m in {0.05, 0.1, 0.2} (half, one and two standard
 * deviations), for ADWIN, Page-Hinkley, HDDM_A, HDDM_W and KSWIN
 * (MOA 2024.07.0 has no KSWIN: ours alone). Every detector with a MOA counterpart must raise its alarms
 * on exactly the observations MOA's does; the run fails otherwise, so equal figures are a check, not a
 * coincidence.
 *
 * <p>Command (after the reactor build of {@code benchmarks}): {@code flock /tmp/sieveml-build.lock java
 * -cp benchmarks/target/benchmarks.jar org.sieveml.benchmarks.drift.DetectorEvaluationRun}
 */
public final class DetectorEvaluationRun {

  static final int SEGMENT = 5_000;
  static final int STREAMS = 10;
  static final int MAX_DELAY = 1_000;

  private DetectorEvaluationRun() {}

  /** A detector of ours and (optionally) MOA's of the same name. */
  private record Pair(String name, Supplier<ChangeDetector> ours, Supplier<MoaDetector> moa) {}

  /** MOA's detector, reduced to "did this observation raise a drift". */
  private interface MoaDetector {
    boolean drift(double x);
  }

  private static Supplier<MoaDetector> moa(Supplier<AbstractChangeDetector> f) {
    return () -> {
      AbstractChangeDetector d = f.get();
      d.prepareForUse();
      return x -> {
        d.input(x);
        return d.getChange();
      };
    };
  }

  private static Supplier<MoaDetector> moaAdwin() {
    return () -> {
      ADWIN a = new ADWIN(0.002);
      return a::setInput;
    };
  }

  /**
   * Runs the evaluation and prints a Markdown table.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    long t0 = System.nanoTime();
    List<Pair> errorDetectors = List.of(
        new Pair("DDM", Ddm::new, moa(DDM::new)),
        new Pair("EDDM", Eddm::new, moa(EDDM::new)),
        new Pair("HDDM_A", HddmA::new, moa(HDDM_A_Test::new)),
        new Pair("HDDM_W", HddmW::new, moa(HDDM_W_Test::new)),
        new Pair("ADWIN", Adwin::new, moaAdwin()),
        new Pair("Page-Hinkley", PageHinkley::new, moa(PageHinkleyDM::new)));
    List<Pair> numericDetectors = List.of(
        new Pair("ADWIN", Adwin::new, moaAdwin()),
        new Pair("Page-Hinkley", PageHinkley::new, moa(PageHinkleyDM::new)),
        new Pair("HDDM_A", HddmA::new, moa(HDDM_A_Test::new)),
        new Pair("HDDM_W", HddmW::new, moa(HDDM_W_Test::new)),
        new Pair("KSWIN", () -> new Kswin(1), null));
    System.out.println("| stream | detector | changes | MDR ours / MOA | mean delay ours / MOA | median delay ours / MOA"
        + " | false alarms ours / MOA | MTFA ours / MOA | alarms identical |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    int compared = 0;
    for (double d : new double[] {0.05, 0.1, 0.2}) {
      List<LabelledStream> streams = new ArrayList<>();
      for (int s = 0; s < STREAMS; s++) {
        streams.add(LabelledStream.bernoulli(1000 + s, SEGMENT, new double[] {0.1, 0.1 + d, 0.1 + 2 * d, 0.1 + 3 * d}));
      }
      compared += table("error rate +" + d, streams, errorDetectors);
    }
    for (double m : new double[] {0.05, 0.1, 0.2}) {
      List<LabelledStream> streams = new ArrayList<>();
      for (int s = 0; s < STREAMS; s++) {
        streams.add(LabelledStream.gaussian(2000 + s, SEGMENT, new double[] {0.2, 0.2 + m, 0.2 + 2 * m, 0.2 + 3 * m},
            0.1));
      }
      compared += table("Gaussian sd 0.1, mean +" + m, streams, numericDetectors);
    }
    System.out.printf(Locale.ROOT, "%n%d detector x stream-set comparisons with MOA, every alarm identical; %.1f s%n",
        compared, (System.nanoTime() - t0) / 1e9);
  }

  private static int table(String label, List<LabelledStream> streams, List<Pair> detectors) {
    int compared = 0;
    for (Pair p : detectors) {
      List<int[]> ours = new ArrayList<>();
      List<int[]> theirs = new ArrayList<>();
      for (LabelledStream s : streams) {
        ours.add(DetectorEvaluation.alarms(p.ours().get(), s));
        if (p.moa() != null) {
          theirs.add(moaAlarms(p.moa().get(), s));
        }
      }
      DetectorEvaluation o = DetectorEvaluation.of(p.name(), streams, ours, MAX_DELAY);
      DetectorEvaluation m = null;
      if (p.moa() != null) {
        for (int i = 0; i < streams.size(); i++) {
          if (!Arrays.equals(ours.get(i), theirs.get(i))) {
            throw new IllegalStateException(p.name() + " differs from MOA's on " + label + " stream " + i + ": "
                + Arrays.toString(ours.get(i)) + " vs " + Arrays.toString(theirs.get(i)));
          }
        }
        m = DetectorEvaluation.of("MOA " + p.name(), streams, theirs, MAX_DELAY);
        compared++;
      }
      System.out.printf(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |%n", label, p.name(), o.changes(),
          both(o.missedDetectionRate(), m == null ? Double.NaN : m.missedDetectionRate(), m, "%.2f"),
          both(o.meanDelay(), m == null ? Double.NaN : m.meanDelay(), m, "%.0f"),
          both(o.medianDelay(), m == null ? Double.NaN : m.medianDelay(), m, "%.0f"),
          both(o.falseAlarms(), m == null ? Double.NaN : m.falseAlarms(), m, "%.0f"),
          both(o.meanTimeBetweenFalseAlarms(), m == null ? Double.NaN : m.meanTimeBetweenFalseAlarms(), m, "%.0f"),
          m == null ? "no MOA KSWIN" : "yes");
    }
    return compared;
  }

  private static String both(double ours, double moa, DetectorEvaluation m, String fmt) {
    return fmt(ours, fmt) + " / " + (m == null ? "—" : fmt(moa, fmt));
  }

  private static String fmt(double v, String fmt) {
    if (Double.isNaN(v)) {
      return "n/a";
    }
    if (Double.isInfinite(v)) {
      return "∞";
    }
    return String.format(Locale.ROOT, fmt, v);
  }

  private static int[] moaAlarms(MoaDetector d, LabelledStream s) {
    double[] x = s.values();
    int[] a = new int[16];
    int k = 0;
    for (int i = 0; i < x.length; i++) {
      if (d.drift(x[i])) {
        if (k == a.length) {
          a = Arrays.copyOf(a, 2 * k);
        }
        a[k++] = i;
      }
    }
    return Arrays.copyOf(a, k);
  }
}
