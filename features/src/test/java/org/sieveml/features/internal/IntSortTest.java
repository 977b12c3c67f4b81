package org.sieveml.features.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class IntSortTest {

  @Test
  void radixOrderEqualsAStableComparatorSort() {
    Random r = new Random(5);
    for (int trial = 0; trial < 50; trial++) {
      int n = r.nextInt(3000);
      long[] a = new long[n];
      long[] b = new long[n];
      long[] c = new long[n];
      for (int i = 0; i < n; i++) {
        a[i] = trial % 3 == 0 ? r.nextLong() : r.nextInt(20) - 10; // negatives, wide and narrow ranges
        b[i] = 1_700_000_000_000L + (trial % 2 == 0 ? r.nextInt(5) : r.nextInt(1 << 30));
        c[i] = r.nextInt(3);
      }
      Integer[] boxed = new Integer[n];
      for (int i = 0; i < n; i++) {
        boxed[i] = i;
      }
      // the reference: a stable comparison sort (java.util.Arrays.sort on objects is a stable merge sort)
      java.util.Arrays.sort(boxed, java.util.Comparator.<Integer>comparingLong(x -> a[x])
          .thenComparingLong(x -> b[x]).thenComparingLong(x -> c[x]));
      int[] expect = new int[n];
      for (int i = 0; i < n; i++) {
        expect[i] = boxed[i];
      }
      assertArrayEquals(expect, IntSort.orderBy(a, b, c), "trial " + trial);
    }
  }
}
