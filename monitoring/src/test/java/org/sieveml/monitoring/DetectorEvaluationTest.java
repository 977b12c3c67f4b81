package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Hand-computed detection delay, MTFA and MDR, and the input checks of the evaluation. */
class DetectorEvaluationTest {

  /** A detector that fires on exactly the given observations. */
  static final class Scripted implements ChangeDetector {
    private final boolean[] fire;
    private long count;
    private DetectorState state = DetectorState.STABLE;

    Scripted(int n, int... alarms) {
      fire = new boolean[n];
      for (int a : alarms) {
        fire[a] = true;
      }
    }

    static Scripted everyStep(int n) {
      Scripted s = new Scripted(n);
      java.util.Arrays.fill(s.fire, true);
      return s;
    }

    @Override
    public DetectorState update(double value) {
      state = fire[(int) count++] ? DetectorState.DRIFT : DetectorState.STABLE;
      return state;
    }

    @Override
    public DetectorState state() {
      return state;
    }

    @Override
    public double estimate() {
      return 0;
    }

    @Override
    public long count() {
      return count;
    }

    @Override
    public long detections() {
      return 0;
    }

    @Override
    public void reset() {
      count = 0;
    }

    @Override
    public String name() {
      return "scripted";
    }
  }

  private static LabelledStream zeros(int n, int... changes) {
    return LabelledStream.of(new double[n], changes);
  }

  @Test
  void handComputedCase() {
    // windows [30, 40) and [60, 70); 33 detects the first change (delay 3), 35 repeats, 75 is late
    LabelledStream s = zeros(100, 30, 60);
    DetectorEvaluation e = DetectorEvaluation.evaluate(() -> new Scripted(100, 5, 20, 33, 35, 75, 90), List.of(s), 10);
    assertEquals("scripted", e.detector());
    assertEquals(2, e.changes());
    assertEquals(1, e.detected());
    assertArrayEquals(new int[] {3}, e.delays());
    assertEquals(3.0, e.meanDelay());
    assertEquals(3.0, e.medianDelay());
    assertEquals(4, e.falseAlarms());
    assertEquals(1, e.repeatAlarms());
    assertEquals(80, e.stableTime());
    assertEquals(20.0, e.meanTimeBetweenFalseAlarms());
    assertEquals(0.5, e.missedDetectionRate());
    assertEquals(100, e.observations());
  }

  @Test
  void windowsEndAtTheNextChangeAndFiguresPoolOverStreams() {
    // stream 1: windows [30, 35) and [35, 45): 34 -> delay 4, 44 -> delay 9; 45 is false
    // stream 2: window [10, 20): 10 -> delay 0; stable time 40 - 10 = 30, no false alarm
    LabelledStream a = zeros(50, 30, 35);
    LabelledStream b = zeros(40, 10);
    DetectorEvaluation e = DetectorEvaluation.of("x", List.of(a, b), List.of(new int[] {34, 44, 45}, new int[] {10}),
        10);
    assertArrayEquals(new int[] {4, 9, 0}, e.delays());
    assertEquals(13.0 / 3, e.meanDelay(), 1e-12);
    assertEquals(4.0, e.medianDelay());
    assertEquals(0.0, e.missedDetectionRate());
    assertEquals(1, e.falseAlarms());
    assertEquals((50 - 15) + 30, e.stableTime());
    assertEquals(65.0, e.meanTimeBetweenFalseAlarms());
    assertEquals(2, e.streams());
    // an even number of delays: the median is the mean of the middle two
    DetectorEvaluation even = DetectorEvaluation.of("x", List.of(a), List.of(new int[] {31, 44}), 10);
    assertEquals(5.0, even.medianDelay());
  }

  @Test
  void windowIsCutAtTheStreamEnd() {
    DetectorEvaluation e = DetectorEvaluation.of("x", List.of(zeros(100, 95)), List.of(new int[] {99}), 50);
    assertArrayEquals(new int[] {4}, e.delays());
    assertEquals(95, e.stableTime());
  }

  @Test
  void neverFiring() {
    DetectorEvaluation e = DetectorEvaluation.evaluate(() -> new Scripted(200), List.of(zeros(200, 50, 150)), 20);
    assertEquals(1.0, e.missedDetectionRate());
    assertTrue(Double.isNaN(e.meanDelay()));
    assertTrue(Double.isNaN(e.medianDelay()));
    assertEquals(Double.POSITIVE_INFINITY, e.meanTimeBetweenFalseAlarms());
    assertEquals(0, e.falseAlarms());
  }

  @Test
  void firingEveryStep() {
    DetectorEvaluation e = DetectorEvaluation.evaluate(() -> Scripted.everyStep(100), List.of(zeros(100, 50)), 10);
    assertEquals(0.0, e.missedDetectionRate());
    assertArrayEquals(new int[] {0}, e.delays());
    assertEquals(9, e.repeatAlarms());
    assertEquals(90, e.falseAlarms());
    assertEquals(1.0, e.meanTimeBetweenFalseAlarms());
  }

  @Test
  void noChangeMeansUndefinedMdr() {
    DetectorEvaluation e = DetectorEvaluation.of("x", List.of(zeros(10)), List.of(new int[] {2, 7}), 5);
    assertTrue(Double.isNaN(e.missedDetectionRate()));
    assertEquals(5.0, e.meanTimeBetweenFalseAlarms());
  }

  @Test
  void badInput() {
    double[] v = new double[10];
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.of(v, 5, 3));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.of(v, 4, 4));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.of(v, 10));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.of(v, 0));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.of(v, -1));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.of(new double[] {0, Double.NaN}));
    LabelledStream s = zeros(10, 5);
    assertThrows(IllegalArgumentException.class, () -> DetectorEvaluation.of("x", List.of(s), List.of(new int[] {10}), 3));
    assertThrows(IllegalArgumentException.class, () -> DetectorEvaluation.of("x", List.of(s), List.of(new int[] {4, 2}), 3));
    assertThrows(IllegalArgumentException.class, () -> DetectorEvaluation.of("x", List.of(s), List.of(), 3));
    assertThrows(IllegalArgumentException.class, () -> DetectorEvaluation.of("x", List.of(s), List.of(new int[0]), 0));
    assertThrows(IllegalArgumentException.class, () -> DetectorEvaluation.of("x", List.of(), List.of(), 3));
    assertThrows(IllegalArgumentException.class, () -> DetectorEvaluation.evaluate(() -> null, List.of(s), 3));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.bernoulli(1, 10, new double[] {0.1, 1.5}));
    assertThrows(IllegalArgumentException.class, () -> LabelledStream.gaussian(1, 0, new double[] {0}, 1));
  }

  @Test
  void generatorsAreSeededAndLabelled() {
    LabelledStream g = LabelledStream.gaussian(7, 1000, new double[] {0, 0, 1, 0}, 1);
    assertArrayEquals(new int[] {2000, 3000}, g.changePoints());
    assertArrayEquals(g.values(), LabelledStream.gaussian(7, 1000, new double[] {0, 0, 1, 0}, 1).values());
    double mean = 0;
    for (int i = 2000; i < 3000; i++) {
      mean += g.values()[i] / 1000;
    }
    assertEquals(1.0, mean, 0.15);
    LabelledStream b = LabelledStream.bernoulli(7, 500, new double[] {0.1, 0.4});
    assertArrayEquals(new int[] {500}, b.changePoints());
    for (double x : b.values()) {
      assertTrue(x == 0 || x == 1);
    }
  }

  @Test
  void adwinFindsALargeMeanShift() {
    LabelledStream s = LabelledStream.gaussian(11, 2000, new double[] {0, 3}, 1);
    DetectorEvaluation e = DetectorEvaluation.evaluate(Adwin::new, List.of(s), 500);
    assertEquals("ADWIN", e.detector());
    assertEquals(0.0, e.missedDetectionRate());
    assertTrue(e.meanDelay() < 200, e.toString());
  }
}
