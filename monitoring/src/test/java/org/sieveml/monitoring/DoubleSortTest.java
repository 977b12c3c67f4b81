package org.sieveml.monitoring;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.sieveml.monitoring.internal.DoubleSort;

class DoubleSortTest {

  @Test
  void radixSortMatchesArraysSortIncludingSignsZerosInfinitiesAndTies() {
    Random r = new Random(1);
    for (int n : new int[] {10, 70_000, 200_000}) {
      double[] a = new double[n];
      for (int i = 0; i < n; i++) {
        int k = r.nextInt(10);
        a[i] = k == 0 ? -0.0 : k == 1 ? 0.0 : k == 2 ? Double.NEGATIVE_INFINITY : k == 3 ? Double.POSITIVE_INFINITY
            : k == 4 ? Math.round(r.nextGaussian() * 3) : k == 5 ? Double.MIN_VALUE : r.nextGaussian() * 1e6;
      }
      double[] expected = a.clone();
      Arrays.sort(expected);
      DoubleSort.sort(a);
      assertArrayEquals(expected, a);
    }
    double[] same = new double[100_000];
    Arrays.fill(same, 3.5);
    DoubleSort.sort(same);
    assertArrayEquals(new double[100_000], Arrays.stream(same).map(v -> v - 3.5).toArray());
  }

  @Test
  void branchFreeBucketAgreesWithBinarySearch() {
    Random r = new Random(2);
    double[] edges = {-1e300, -2, -0.0, 0.5, 0.5000000001, 3, Double.MAX_VALUE};
    double[] probes = {Double.NEGATIVE_INFINITY, -1e301, -1e300, -2, -1, -0.0, 0.0, 0.5, 0.50000000005, 3,
        Double.MAX_VALUE, Double.POSITIVE_INFINITY, Double.NaN};
    for (int i = 0; i < 1000 + probes.length; i++) {
      double v = i < probes.length ? probes[i] : r.nextGaussian() * 4;
      int expected = v != v ? edges.length + 1 : 0;
      if (v == v) {
        for (double e : edges) {
          if (!(v < e)) {
            expected++;
          }
        }
      }
      org.junit.jupiter.api.Assertions.assertEquals(expected, DriftTests.bucket(edges, v), "value " + v);
    }
  }

  @Test
  void selectionGivesTheSameEdgesAsSorting() {
    Random r = new Random(3);
    for (int n : new int[] {1, 7, 100, 5000, 300_000}) {
      for (int ties : new int[] {0, 3, 50}) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
          x[i] = ties > 0 ? r.nextInt(ties) : r.nextGaussian();
        }
        double[] sorted = x.clone();
        Arrays.sort(sorted);
        assertArrayEquals(DriftTests.quantileEdges(sorted, 10), DriftTests.quantileEdgesUnsorted(x.clone(), 10),
            "n=" + n + " ties=" + ties);
      }
    }
  }

  @Test
  void valuesAtRanksEqualSortingOnLargeInputsOfEveryShape() {
    Random r = new Random(8);
    int n = 200_000;
    int[] ranks = {0, 1, 19_999, 100_000, 150_001, 199_998, n - 1};
    for (String shape : new String[] {"gauss", "sorted", "reversed", "ties", "twoValues", "skewed", "zeros"}) {
      double[] x = new double[n];
      for (int i = 0; i < n; i++) {
        switch (shape) {
          case "sorted": x[i] = i * 0.5; break;
          case "reversed": x[i] = -i; break;
          case "ties": x[i] = r.nextInt(40); break;
          case "twoValues": x[i] = i % 10 == 0 ? 1 : 0; break;
          case "skewed": x[i] = Math.exp(8 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1e-9); break;
          case "zeros": x[i] = r.nextBoolean() ? 0.0 : -0.0; break;
          default: x[i] = r.nextGaussian();
        }
      }
      double[] before = x.clone();
      double[] sorted = x.clone();
      Arrays.sort(sorted);
      double[] got = DoubleSort.valuesAtRanks(x, ranks);
      for (int j = 0; j < ranks.length; j++) {
        org.junit.jupiter.api.Assertions.assertEquals(sorted[ranks[j]], got[j], 0.0, shape + " rank " + ranks[j]);
      }
      assertArrayEquals(before, x, shape + ": input unchanged");
      double[] sortedForEdges = x.clone();
      Arrays.sort(sortedForEdges);
      assertArrayEquals(DriftTests.quantileEdges(sortedForEdges, 10), DriftTests.quantileEdgesUnsorted(x, 10), shape);
    }
  }
}
