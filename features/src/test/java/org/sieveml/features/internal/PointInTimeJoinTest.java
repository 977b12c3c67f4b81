package org.sieveml.features.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PointInTimeJoinTest {

  /** Deliberately simple reference: scan every feature row. */
  private static int reference(long[] fe, long[] fv, long[] fc, long e, long t, long ttl, boolean cut) {
    int best = -1;
    for (int j = 0; j < fe.length; j++) {
      if (fe[j] != e || fv[j] > t || (ttl != Long.MAX_VALUE && fv[j] <= t - ttl)) {
        continue;
      }
      if (cut && fc[j] > t) {
        continue;
      }
      if (best < 0 || fv[j] > fv[best] || (fv[j] == fv[best] && fc[j] > fc[best])
          || (fv[j] == fv[best] && fc[j] == fc[best] && j > best)) {
        best = j;
      }
    }
    return best;
  }

  @Test
  void matchesReferenceOnRandomDataWithTiesTtlEdgesAndDuplicates() {
    for (int seed = 0; seed < 200; seed++) {
      Random rnd = new Random(seed);
      int n = rnd.nextInt(60);
      List<long[]> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        rows.add(new long[] {rnd.nextInt(5), rnd.nextInt(20), rnd.nextInt(25), i});
      }
      rows.sort(Comparator.<long[]>comparingLong(r -> r[0]).thenComparingLong(r -> r[1])
          .thenComparingLong(r -> r[2]).thenComparingLong(r -> r[3]));
      long[] fe = new long[n];
      long[] fv = new long[n];
      long[] fc = new long[n];
      for (int i = 0; i < n; i++) {
        fe[i] = rows.get(i)[0];
        fv[i] = rows.get(i)[1];
        fc[i] = rows.get(i)[2];
      }
      PointInTimeJoin.checkSorted(fe, fv, fc);
      int q = rnd.nextInt(40);
      long[] qe = new long[q];
      long[] qt = new long[q];
      for (int i = 0; i < q; i++) {
        qe[i] = rnd.nextInt(7); // entities 5 and 6 never have features
        qt[i] = rnd.nextInt(25) - 2;
        if (i > 0 && rnd.nextInt(4) == 0) { // duplicate entity rows
          qe[i] = qe[i - 1];
          qt[i] = qt[i - 1];
        }
      }
      long ttl = rnd.nextBoolean() ? Long.MAX_VALUE : 1 + rnd.nextInt(6);
      for (boolean cut : new boolean[] {false, true}) {
        int[] expected = new int[q];
        for (int i = 0; i < q; i++) {
          expected[i] = reference(fe, fv, fc, qe[i], qt[i], ttl, cut);
        }
        assertArrayEquals(expected, PointInTimeJoin.join(fe, fv, fc, qe, qt, ttl, cut),
            "seed " + seed + " cut " + cut);
        assertArrayEquals(expected, PointInTimeJoin.joinSortMerge(fe, fv, fc, qe, qt, ttl, cut),
            "sort-merge, seed " + seed + " cut " + cut);
        // the same entity rows in (entity, time) order: the binary search gallops on from each answer
        Integer[] order = new Integer[q];
        for (int i = 0; i < q; i++) {
          order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.<Integer>comparingLong(i -> qe[i]).thenComparingLong(i -> qt[i]));
        long[] se = new long[q];
        long[] st = new long[q];
        int[] sortedExpected = new int[q];
        for (int i = 0; i < q; i++) {
          se[i] = qe[order[i]];
          st[i] = qt[order[i]];
          sortedExpected[i] = expected[order[i]];
        }
        assertArrayEquals(sortedExpected, PointInTimeJoin.join(fe, fv, fc, se, st, ttl, cut),
            "sorted entity rows, seed " + seed + " cut " + cut);
      }
    }
  }

  @Test
  void sortMergeSplitsLargeInputsAndAgreesWithBinarySearch() {
    Random rnd = new Random(99);
    int m = 300_000;
    long[] fe = new long[m];
    long[] fv = new long[m];
    long[] fc = new long[m];
    for (int i = 0; i < m; i++) {
      fe[i] = i / 6_000; // 50 entities
      fv[i] = (i % 6_000) * 10L + (i % 3 == 0 ? 0 : 1);
      fc[i] = fv[i] + rnd.nextInt(3);
    }
    int q = 250_000; // above the parallel threshold
    long[] qe = new long[q];
    long[] qt = new long[q];
    for (int i = 0; i < q; i++) {
      qe[i] = rnd.nextInt(52) - 1;
      qt[i] = rnd.nextInt(61_000) - 100;
    }
    for (boolean cut : new boolean[] {false, true}) {
      assertArrayEquals(PointInTimeJoin.join(fe, fv, fc, qe, qt, 25, cut),
          PointInTimeJoin.joinSortMerge(fe, fv, fc, qe, qt, 25, cut));
    }
    // in (entity, time) order, with gaps of every size between answers: the gallop overshoots the end too
    long[] packed = new long[q];
    for (int i = 0; i < q; i++) {
      packed[i] = (qe[i] + 1) << 20 | (qt[i] + 100);
    }
    java.util.Arrays.sort(packed);
    int k = 40_000;
    long[] se = new long[k];
    long[] st = new long[k];
    for (int i = 0; i < k; i++) {
      long p = packed[(int) ((long) i * q / k)];
      se[i] = (p >>> 20) - 1;
      st[i] = (p & ((1 << 20) - 1)) - 100;
    }
    for (boolean cut : new boolean[] {false, true}) {
      assertArrayEquals(PointInTimeJoin.joinSortMerge(fe, fv, fc, se, st, 25, cut),
          PointInTimeJoin.join(fe, fv, fc, se, st, 25, cut));
    }
  }

  @Test
  void rejectsUnsortedAndBadTtl() {
    assertThrows(IllegalArgumentException.class,
        () -> PointInTimeJoin.checkSorted(new long[] {1, 0}, new long[] {0, 0}, new long[] {0, 0}));
    assertThrows(IllegalArgumentException.class,
        () -> PointInTimeJoin.join(new long[0], new long[0], new long[0], new long[0], new long[0], 0, false));
  }
}
