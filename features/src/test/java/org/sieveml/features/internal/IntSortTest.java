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
      int[] expect = new int[n];
      for (int i = 0; i < n; i++) {
        expect[i] = i;
      }
      IntSort.sort(expect, (x, y) -> {
        int k = Long.compare(a[x], a[y]);
        if (k == 0) {
          k = Long.compare(b[x], b[y]);
        }
        return k != 0 ? k : Long.compare(c[x], c[y]);
      });
      assertArrayEquals(expect, IntSort.orderBy(a, b, c), "trial " + trial);
    }
  }
}
