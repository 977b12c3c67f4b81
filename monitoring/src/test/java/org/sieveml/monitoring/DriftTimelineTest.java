package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.core.FeatureFrame;

/** {@link DriftCheck#timeline}: buckets by time, small buckets merged into a neighbour, one report each. */
class DriftTimelineTest {
  private static final long WEEK = Duration.ofDays(7).toMillis();
  /** 2026-01-05T00:00Z, a Monday: bucket boundaries fall on whole weeks since the epoch's Thursday. */
  private static final long T0 = 1_767_571_200_000L;

  private static FeatureFrame frame(double[] x) {
    return FeatureFrame.builder(x.length).addDouble("x", x).build();
  }

  /** Rows per week, week w's values drawn from N(shift[w], 1), times spread inside the week. */
  private static Object[] weeks(int[] rows, double[] shift, long seed) {
    Random r = new Random(seed);
    int n = java.util.Arrays.stream(rows).sum();
    double[] x = new double[n];
    long[] t = new long[n];
    int k = 0;
    for (int w = 0; w < rows.length; w++) {
      long start = Math.floorDiv(T0, WEEK) * WEEK + w * WEEK;
      for (int i = 0; i < rows[w]; i++, k++) {
        x[k] = shift[w] + r.nextGaussian();
        t[k] = start + (long) (r.nextDouble() * WEEK);
      }
    }
    // shuffle so that the frame is not in time order
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      double dx = x[i];
      x[i] = x[j];
      x[j] = dx;
      long dt = t[i];
      t[i] = t[j];
      t[j] = dt;
    }
    return new Object[] {frame(x), t};
  }

  private static long rowsOf(DriftReport r) {
    FeatureDrift f = r.feature("x");
    return f.currentCount() + f.currentMissing();
  }

  @Test
  void aSmallTailWeekJoinsTheWeekBeforeIt() {
    double[] ref = new double[800];
    Random r = new Random(1);
    for (int i = 0; i < ref.length; i++) {
      ref[i] = r.nextGaussian();
    }
    Object[] cur = weeks(new int[] {600, 600, 600, 600, 25}, new double[] {0, 0, 1, 0, 0}, 2);
    List<DriftReport> t = DriftCheck.builder().build().timeline("served", frame(ref), (FeatureFrame) cur[0],
        (long[]) cur[1], 0, WEEK, 100, 0.5);
    assertEquals(4, t.size(), t.toString());
    assertEquals(List.of(600L, 600L, 600L, 625L), t.stream().map(DriftTimelineTest::rowsOf).toList());
    long first = Math.floorDiv(T0, WEEK) * WEEK;
    for (int w = 0; w < 4; w++) {
      assertEquals(first + w * WEEK, t.get(w).sequence(), "week " + w);
      assertTrue(t.get(w).label().startsWith("served [" + java.time.Instant.ofEpochMilli(first + w * WEEK) + ", "),
          t.get(w).label());
    }
    // the merged span ends where the tail week ends
    assertTrue(t.get(3).label().endsWith(java.time.Instant.ofEpochMilli(first + 5 * WEEK) + ")"), t.get(3).label());
    // the planted shift of one standard deviation in week 3 (index 2) is found, the iid weeks are not flagged
    assertTrue(t.get(2).datasetDrift(), t.get(2).toText());
    assertFalse(t.get(0).datasetDrift(), t.get(0).toText());
    assertFalse(t.get(1).datasetDrift(), t.get(1).toText());
    assertFalse(t.get(3).datasetDrift(), t.get(3).toText());
  }

  @Test
  void theShareOfTheMedianRuleAppliesAboveTheAbsoluteMinimum() {
    Object[] cur = weeks(new int[] {40, 1000, 1000, 400, 1000}, new double[] {0, 0, 0, 0, 0}, 3);
    FeatureFrame ref = (FeatureFrame) weeks(new int[] {500}, new double[] {0}, 4)[0];
    DriftCheck check = DriftCheck.builder().build();
    // 40 rows < 100: the first week joins the first kept one; 400 < 0.5 x 1000: the fourth joins the third
    List<DriftReport> t = check.timeline("w", ref, (FeatureFrame) cur[0], (long[]) cur[1], 0, WEEK, 100, 0.5);
    assertEquals(List.of(1040L, 1400L, 1000L), t.stream().map(DriftTimelineTest::rowsOf).toList());
    // without the share rule the 400-row week stands alone
    t = check.timeline("w", ref, (FeatureFrame) cur[0], (long[]) cur[1], 0, WEEK, 100, 0);
    assertEquals(List.of(1040L, 1000L, 400L, 1000L), t.stream().map(DriftTimelineTest::rowsOf).toList());
    // no bucket reaches the minimum: nothing to report
    assertTrue(check.timeline("w", ref, (FeatureFrame) cur[0], (long[]) cur[1], 0, WEEK, 5000, 0).isEmpty());
  }

  @Test
  void badArgumentsAreRefusedNamingThem() {
    FeatureFrame f = frame(new double[] {1, 2, 3});
    DriftCheck c = DriftCheck.builder().build();
    long[] t = {0, 1, 2};
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> c.timeline("x", f, f, new long[2], 0, WEEK, 1, 0.5));
    assertTrue(e.getMessage().contains("times has 2"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> c.timeline("x", f, f, t, 0, 0, 1, 0.5));
    assertTrue(e.getMessage().contains("bucketMillis is 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> c.timeline("x", f, f, t, 0, WEEK, 0, 0.5));
    assertTrue(e.getMessage().contains("minRows is 0"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> c.timeline("x", f, f, t, 0, WEEK, 1, Double.NaN));
    assertTrue(e.getMessage().contains("minShareOfMedian is NaN"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> c.timeline("x", f, f, null, 0, WEEK, 1, 0.5));
  }
}
