package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.yahoo.labs.samoa.instances.Instance;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import moa.classifiers.bayes.NaiveBayes;
import moa.classifiers.core.driftdetection.ADWIN;
import moa.classifiers.core.driftdetection.ADWINChangeDetector;
import moa.classifiers.core.driftdetection.AbstractChangeDetector;
import moa.classifiers.core.driftdetection.DDM;
import moa.classifiers.core.driftdetection.EDDM;
import moa.classifiers.core.driftdetection.HDDM_A_Test;
import moa.classifiers.core.driftdetection.HDDM_W_Test;
import moa.classifiers.core.driftdetection.PageHinkleyDM;
import moa.streams.ConceptDriftStream;
import org.junit.jupiter.api.Test;

/**
 * Each detector against MOA 2024.07.0's detector of the same name on identical streams. The issue's
 * rule is "first detections within one ADWIN clock (32) of MOA's and equal false-alarm counts on
 * drift-free streams"; since the detectors follow MOA's semantics, we assert the stronger property
 * that every detection (and warning) lands on the same observation.
 */
class DetectorsVsMoaTest {

  static double[] bernoulli(long seed, int n, int changeAt, double p0, double p1) {
    Random r = new Random(seed);
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextDouble() < (i < changeAt ? p0 : p1) ? 1 : 0;
    }
    return x;
  }

  /** Error stream (1 = mistake) of MOA's Naive Bayes, test-then-train, on a concept-drift stream. */
  static double[] errorStream(String generatorA, String generatorB, int position, int width, int n) {
    ConceptDriftStream s = new ConceptDriftStream();
    s.getOptions().setViaCLIString("-s (" + generatorA + ") -d (" + generatorB + ") -p " + position
        + " -w " + width + " -r 7");
    s.prepareForUse();
    NaiveBayes nb = new NaiveBayes();
    nb.setModelContext(s.getHeader());
    nb.prepareForUse();
    double[] err = new double[n];
    for (int i = 0; i < n; i++) {
      Instance x = (Instance) s.nextInstance().getData();
      err[i] = nb.correctlyClassifies(x) ? 0 : 1;
      nb.trainOnInstance(x);
    }
    return err;
  }

  static List<Integer> ours(ChangeDetector d, double[] xs, DetectorState wanted) {
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < xs.length; i++) {
      if (d.update(xs[i]) == wanted) {
        at.add(i);
      }
    }
    return at;
  }

  static List<Integer> moa(AbstractChangeDetector d, double[] xs, boolean warnings) {
    d.prepareForUse();
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < xs.length; i++) {
      d.input(xs[i]);
      if (warnings ? d.getWarningZone() && !d.getChange() : d.getChange()) {
        at.add(i);
      }
    }
    return at;
  }

  static List<Integer> moaRawAdwin(double[] xs) {
    ADWIN a = new ADWIN(0.002);
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < xs.length; i++) {
      if (a.setInput(xs[i])) {
        at.add(i);
      }
    }
    return at;
  }

  static List<double[]> streams() {
    List<double[]> s = new ArrayList<>();
    s.add(bernoulli(42, 20000, 10000, 0.2, 0.5));
    s.add(bernoulli(43, 20000, 10000, 0.5, 0.2));
    s.add(errorStream("generators.SEAGenerator -f 1 -i 1", "generators.SEAGenerator -f 3 -i 2", 5000, 1, 12000));
    s.add(errorStream("generators.SEAGenerator -f 2 -i 1", "generators.SEAGenerator -f 4 -i 2", 5000, 1000, 12000));
    s.add(errorStream("generators.AgrawalGenerator -f 1 -i 1", "generators.AgrawalGenerator -f 5 -i 2", 5000, 1, 12000));
    s.add(errorStream("generators.AgrawalGenerator -f 2 -i 1", "generators.AgrawalGenerator -f 7 -i 2", 5000, 2000, 12000));
    s.add(errorStream("generators.STAGGERGenerator -f 1 -i 1", "generators.STAGGERGenerator -f 2 -i 2", 4000, 1, 8000));
    s.add(errorStream("generators.STAGGERGenerator -f 2 -i 1", "generators.STAGGERGenerator -f 3 -i 2", 4000, 500, 8000));
    return s;
  }

  static List<double[]> driftFree() {
    List<double[]> s = new ArrayList<>();
    for (long seed = 1; seed <= 5; seed++) {
      s.add(bernoulli(seed, 50000, Integer.MAX_VALUE, 0.2, 0.2));
    }
    s.add(errorStream("generators.SEAGenerator -f 1 -i 1", "generators.SEAGenerator -f 1 -i 1", 10000, 1, 20000));
    return s;
  }

  @Test
  void adwinFirstDetectsAt10079LikeMoa() {
    double[] x = bernoulli(42, 20000, 10000, 0.2, 0.5);
    List<Integer> moa = moaRawAdwin(x);
    List<Integer> ours = ours(new Adwin(), x, DetectorState.DRIFT);
    // 0-based index of the observation (MOA's clock tick 10,080 = 315 * 32)
    assertEquals(10079, moa.get(0));
    assertEquals(moa, ours);
  }

  @Test
  void adwinMatchesMoaRawAdwinTwoSidedAndChangeDetectorOneSided() {
    List<double[]> all = streams();
    all.addAll(driftFree());
    int detections = 0;
    for (double[] x : all) {
      List<Integer> ours = ours(new Adwin(), x, DetectorState.DRIFT);
      assertEquals(moaRawAdwin(x), ours);
      assertEquals(moa(new ADWINChangeDetector(), x, false), ours(Adwin.increasesOnly(0.002), x, DetectorState.DRIFT));
      detections += ours.size();
    }
    assertTrue(detections > 8, "streams must contain drifts, saw " + detections);
    // decreases are detected too (0.5 -> 0.2), which MOA's ADWINChangeDetector ignores
    double[] down = bernoulli(43, 20000, 10000, 0.5, 0.2);
    Adwin a = new Adwin();
    List<Integer> at = ours(a, down, DetectorState.DRIFT);
    assertFalse(at.isEmpty());
    assertTrue(at.get(0) >= 10000 && at.get(0) < 10300, "first detection " + at.get(0));
    assertTrue(ours(Adwin.increasesOnly(0.002), down, DetectorState.DRIFT).stream().noneMatch(i -> i >= 10000 && i < 10300));
  }

  private static void sameAsMoa(Supplier<ChangeDetector> ours, Supplier<AbstractChangeDetector> moa) {
    List<double[]> all = streams();
    int total = 0;
    for (double[] x : all) {
      List<Integer> o = ours(ours.get(), x, DetectorState.DRIFT);
      List<Integer> m = moa(moa.get(), x, false);
      assertEquals(m, o, ours.get().name() + " drifts");
      assertEquals(moa(moa.get(), x, true), ours(ours.get(), x, DetectorState.WARNING), ours.get().name() + " warnings");
      total += o.size();
    }
    assertTrue(total > 0, ours.get().name() + " detected nothing on drifting streams");
    for (double[] x : driftFree()) {
      assertEquals(moa(moa.get(), x, false).size(), ours(ours.get(), x, DetectorState.DRIFT).size(),
          ours.get().name() + " false alarms");
    }
  }

  @Test
  void ddmMatchesMoa() {
    sameAsMoa(Ddm::new, DDM::new);
  }

  @Test
  void eddmMatchesMoa() {
    sameAsMoa(Eddm::new, EDDM::new);
  }

  @Test
  void pageHinkleyMatchesMoa() {
    sameAsMoa(PageHinkley::new, PageHinkleyDM::new);
  }

  @Test
  void hddmAMatchesMoa() {
    sameAsMoa(HddmA::new, HDDM_A_Test::new);
  }

  @Test
  void hddmWMatchesMoa() {
    sameAsMoa(HddmW::new, HDDM_W_Test::new);
  }

  @Test
  void kswinDetectsTheChangesAndStaysQuietOnStableStreams() {
    // MOA 2024.07.0 has no KSWIN: check against the known change points instead.
    double[] x = bernoulli(42, 20000, 10000, 0.2, 0.5);
    double[] g = new double[x.length];
    Random r = new Random(5);
    for (int i = 0; i < g.length; i++) {
      g[i] = r.nextGaussian() + (i >= 10000 ? 1.0 : 0.0);
    }
    List<Integer> at = ours(new Kswin(1), g, DetectorState.DRIFT);
    assertTrue(at.stream().anyMatch(i -> i >= 10000 && i < 10100), "detections " + at);
    Kswin stable = new Kswin(1);
    Random q = new Random(9);
    int falseAlarms = 0;
    for (int i = 0; i < 20000; i++) {
      if (stable.update(q.nextGaussian()) == DetectorState.DRIFT) {
        falseAlarms++;
      }
    }
    // alpha 0.005 per test with heavily overlapping windows: far fewer alarms than tests
    assertTrue(falseAlarms < 100, "false alarms " + falseAlarms);
    // same seed, same detections
    assertEquals(at, ours(new Kswin(1), g, DetectorState.DRIFT));
  }

  @Test
  void nanIsRejectedWithoutCorruptingState() {
    Adwin a = new Adwin();
    a.update(1);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> a.update(Double.NaN));
    assertTrue(e.getMessage().contains("NaN"));
    assertEquals(1, a.count());
    assertEquals(1.0, a.estimate());
  }
}
