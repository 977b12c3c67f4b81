package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.apache.commons.statistics.inference.ChiSquareTest;
import org.apache.commons.statistics.inference.KolmogorovSmirnovTest;
import org.junit.jupiter.api.Test;

class DriftTestsOracleTest {

  private static void assertRel(double expected, double actual, double tol, String what) {
    double err = Math.abs(expected - actual) / Math.max(Math.abs(expected), Double.MIN_NORMAL);
    assertTrue(err <= tol || Math.abs(expected - actual) < 1e-300,
        what + ": expected " + expected + " got " + actual + " rel err " + err);
  }

  private static double[] sample(SplittableRandom rnd, int n, double shift, double scale, int round) {
    double[] x = new double[n];
    for (int i = 0; i < n; i++) {
      double v = shift + scale * gaussian(rnd);
      x[i] = round > 0 ? Math.round(v * round) / (double) round : v;
    }
    return x;
  }

  private static double gaussian(SplittableRandom rnd) {
    double u = rnd.nextDouble();
    double v = rnd.nextDouble();
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  }

  @Test
  void ksMatchesCommonsOnSmallAndLargeSamplesWithAndWithoutTies() {
    SplittableRandom rnd = new SplittableRandom(7);
    int[][] sizes = {{5, 7}, {20, 20}, {50, 80}, {137, 211}, {1000, 1000}, {3000, 4500}, {9000, 7000},
        {20000, 15000}, {50000, 50000}, {12000, 30000}};
    double[] shifts = {0, 0.02, 0.05, 0.1, 0.3};
    int checked = 0;
    for (int[] nm : sizes) {
      for (double shift : shifts) {
        for (int round : new int[] {0, 10}) {
          double[] x = sample(rnd, nm[0], 0, 1, round);
          double[] y = sample(rnd, nm[1], shift, 1, round);
          KolmogorovSmirnovTest.TwoResult expected = KolmogorovSmirnovTest.withDefaults().test(x, y);
          FeatureDrift ours = DriftTests.test(DriftMethod.KOLMOGOROV_SMIRNOV, "f", x, y, 0.05);
          String what = nm[0] + "x" + nm[1] + " shift " + shift + " round " + round;
          assertRel(expected.getStatistic(), ours.statistic(), 1e-12, "D " + what);
          // ties: Commons flags them, we flag them and replace the continuous p-value by a permutation one
          boolean ties = java.util.stream.DoubleStream.concat(java.util.Arrays.stream(x), java.util.Arrays.stream(y))
              .distinct().count() < x.length + y.length;
          assertEquals(ties, ours.note().startsWith("ties"), what + " " + ours.note());
          assertTrue(ties || !expected.hasSignificantTies(), what);
          if (ties) {
            // the continuous p-value is conservative with ties: the permutation p-value is not larger
            // (up to its Monte-Carlo error)
            // (up to its Monte-Carlo error: about 22 % relative with h = 20 stops)
            assertTrue(ours.pValue() <= 1.4 * expected.getPValue() || ours.note().contains("continuous"),
                what + ": " + ours.pValue() + " vs " + expected.getPValue());
            continue;
          }
          if (expected.getPValue() > 1e-250) {
            assertRel(expected.getPValue(), ours.pValue(), 1e-9, "p " + what);
            checked++;
          }
        }
      }
    }
    assertTrue(checked > 30, "checked " + checked);
  }

  @Test
  void chiSquareMatchesCommonsContingencyTest() {
    SplittableRandom rnd = new SplittableRandom(11);
    for (int trial = 0; trial < 200; trial++) {
      int k = 2 + rnd.nextInt(30);
      int n = 20 + rnd.nextInt(trial < 100 ? 500 : 200000);
      long[] a = new long[k];
      long[] b = new long[k];
      for (int i = 0; i < n; i++) {
        a[rnd.nextInt(k)]++;
        int j = rnd.nextInt(k);
        b[trial % 3 == 0 && rnd.nextDouble() < 0.05 ? 0 : j]++;
      }
      boolean ok = true;
      for (int i = 0; i < k; i++) {
        ok &= a[i] + b[i] > 0;
      }
      if (!ok) {
        continue;
      }
      double[] ours = DriftTests.chiSquare(a, b);
      org.apache.commons.statistics.inference.SignificanceResult expected =
          ChiSquareTest.withDefaults().test(new long[][] {a, b});
      assertRel(expected.getStatistic(), ours[0], 1e-11, "chi2 trial " + trial);
      if (expected.getPValue() > 1e-250) {
        assertRel(expected.getPValue(), ours[1], 1e-9, "p trial " + trial + " k=" + k + " stat=" + ours[0]);
      }
    }
  }

  @Test
  void categoricalBucketsArePooledSymmetricallyWithRareCategoriesMerged() {
    String[] ref = {"a", "b", "a", "b", "a", "b", null, "a", "a", "b"};
    String[] cur = {"a", "c", "d", "c", null, null, "b", "c", "b", "a"};
    FeatureDrift r = DriftTests.test(DriftMethod.CHI_SQUARE, "cat", ref, cur, 0.05);
    // pooled counts a 7, b 6, c 3, d 1, missing 3: c, d and missing (< 5) share one bucket, the unseen
    // categories c and d counted in both rows (reference count 0), not in a bucket of their own
    int[] pool = new int[ref.length + cur.length];
    assertEquals(3, DriftTests.pooledBuckets(ref, cur, pool));
    double[] asymptotic = DriftTests.chiSquare(new long[] {5, 4, 1}, new long[] {2, 2, 6});
    assertEquals(Math.sqrt(asymptotic[0] / 20), r.statistic(), 1e-15);
    // expected counts below 5: Monte-Carlo p-value, deterministic
    assertTrue(r.note().startsWith("Monte-Carlo"), r.note());
    assertEquals(r.pValue(), DriftTests.test(DriftMethod.CHI_SQUARE, "cat", ref, cur, 0.05).pValue(), 0);
    assertEquals(1, r.referenceMissing());
    assertEquals(2, r.currentMissing());
    // symmetric: swapping the samples gives the same statistic
    FeatureDrift swapped = DriftTests.test(DriftMethod.CHI_SQUARE, "cat", cur, ref, 0.05);
    assertEquals(r.statistic(), swapped.statistic(), 1e-15);
    // only rare categories: none merged (one bucket would leave nothing to test)
    assertEquals(4, DriftTests.pooledBuckets(new String[] {"a", "b"}, new String[] {"c", "d"}, new int[4]));
  }

  @Test
  void distancesBehave() {
    SplittableRandom rnd = new SplittableRandom(3);
    double[] x = sample(rnd, 5000, 0, 1, 0);
    double[] same = sample(rnd, 5000, 0, 1, 0);
    double[] shifted = sample(rnd, 5000, 1, 1, 0);
    for (DriftMethod m : new DriftMethod[] {DriftMethod.PSI, DriftMethod.JENSEN_SHANNON, DriftMethod.WASSERSTEIN}) {
      FeatureDrift a = DriftTests.test(m, "f", x, same, m.defaultThreshold());
      FeatureDrift b = DriftTests.test(m, "f", x, shifted, m.defaultThreshold());
      assertFalse(a.drifted(), m + " same " + a);
      assertTrue(b.drifted(), m + " shifted " + b);
    }
    // normalised Wasserstein of a pure shift by one standard deviation is ~1
    FeatureDrift w = DriftTests.test(DriftMethod.WASSERSTEIN, "f", x, shifted, 0.1);
    assertEquals(1.0, w.statistic(), 0.08);
    // W1 of two point masses
    assertEquals(3.0, DriftTests.wasserstein1(new double[] {1}, new double[] {4}), 0);
  }

  @Test
  void badInputIsHandled() {
    double[] nan = {Double.NaN, Double.NaN};
    FeatureDrift r = DriftTests.test(DriftMethod.KOLMOGOROV_SMIRNOV, "f", new double[] {1, 2, 3}, nan, 0.05);
    assertTrue(Double.isNaN(r.statistic()));
    assertFalse(r.drifted());
    assertEquals(2, r.currentMissing());
    assertEquals("empty current window", r.note());
    FeatureDrift c = DriftTests.test(DriftMethod.WASSERSTEIN, "f", new double[] {2, 2, 2}, new double[] {2, 3}, 0.1);
    assertTrue(c.drifted());
    assertEquals(Double.POSITIVE_INFINITY, c.statistic());
    FeatureDrift single = DriftTests.test(DriftMethod.KOLMOGOROV_SMIRNOV, "f", new double[] {1}, new double[] {2}, 0.05);
    assertEquals(1.0, single.statistic());
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> DriftTests.test(DriftMethod.KOLMOGOROV_SMIRNOV, "f", new String[] {"a"}, new String[] {"b"}, 0.05));
    assertTrue(e.getMessage().contains("'f'"));
    org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> DriftTests.test(DriftMethod.PSI, "f", new double[] {1}, new double[] {1}, Double.NaN));
  }
}
