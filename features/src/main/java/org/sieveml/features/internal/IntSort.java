package org.sieveml.features.internal;

/** Stable orderings of row indices by primitive keys. Stateless and thread-safe. */
public final class IntSort {

  private IntSort() {}

  /**
   * The stable order of rows by (a, b, c): an LSD radix sort with 16-bit digits over the three keys
   * (least significant key first), skipping digits on which all rows agree, so time-ordered pushes of a
   * few thousand entities take a handful of linear passes. Equal rows keep their input order.
   *
   * @param a the most significant key
   * @param b the second key
   * @param c the least significant key
   * @return row indices in sorted order
   */
  public static int[] orderBy(long[] a, long[] b, long[] c) {
    int n = a.length;
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    if (n < 2) {
      return order;
    }
    int[] tmp = new int[n];
    int[] count = new int[65_537];
    long[][] keys = {c, b, a};
    for (long[] k : keys) {
      long diff = 0;
      long first = k[0];
      for (int i = 1; i < n; i++) {
        diff |= k[i] ^ first;
      }
      for (int shift = 0; shift < 64; shift += 16) {
        if (((diff >>> shift) & 0xFFFF) == 0) {
          continue; // every row has the same digit here
        }
        boolean top = shift == 48;
        java.util.Arrays.fill(count, 0);
        for (int i = 0; i < n; i++) {
          count[digit(k[order[i]], shift, top) + 1]++;
        }
        for (int d = 1; d < count.length; d++) {
          count[d] += count[d - 1];
        }
        for (int i = 0; i < n; i++) {
          int row = order[i];
          tmp[count[digit(k[row], shift, top)]++] = row;
        }
        int[] t = order;
        order = tmp;
        tmp = t;
      }
    }
    return order;
  }

  private static int digit(long v, int shift, boolean top) {
    int d = (int) ((v >>> shift) & 0xFFFF);
    return top ? d ^ 0x8000 : d; // signed order for the top digit
  }
}
