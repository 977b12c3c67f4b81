package org.sieveml.features.internal;

/**
 * A stable LSD radix sort of non-negative {@code long} keys on a range of their bits, with 11-bit
 * digits: reads are sequential and a pass scatters into 2,048 buckets, so millions of keys sort in a
 * few linear passes. Stateless and thread-safe.
 */
public final class LongRadix {

  private static final int DIGIT = 11;
  private static final int BUCKETS = 1 << DIGIT;

  private LongRadix() {}

  /**
   * Sorts ascending.
   *
   * @param a non-negative keys below {@code 2^toBit}
   * @param fromBit the lowest bit that carries the order (lower bits ride along in input order)
   * @param toBit one past the highest bit that carries the order
   */
  public static void sort(long[] a, int fromBit, int toBit) {
    int n = a.length;
    if (n == 0) {
      return;
    }
    if (n < 4_096 && fromBit == 0) {
      java.util.Arrays.sort(a);
      return;
    }
    long[] src = a;
    long[] dst = new long[n];
    int[] count = new int[BUCKETS];
    for (int shift = fromBit; shift < toBit; shift += DIGIT) {
      java.util.Arrays.fill(count, 0);
      for (int i = 0; i < n; i++) {
        count[(int) ((src[i] >>> shift) & (BUCKETS - 1))]++;
      }
      if (count[(int) ((src[0] >>> shift) & (BUCKETS - 1))] == n) {
        continue; // every key has this digit
      }
      int sum = 0;
      for (int d = 0; d < BUCKETS; d++) {
        int c = count[d];
        count[d] = sum;
        sum += c;
      }
      for (int i = 0; i < n; i++) {
        long v = src[i];
        dst[count[(int) ((v >>> shift) & (BUCKETS - 1))]++] = v;
      }
      long[] t = src;
      src = dst;
      dst = t;
    }
    if (src != a) {
      System.arraycopy(src, 0, a, 0, n);
    }
  }
}
