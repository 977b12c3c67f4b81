package org.sieveml.features.internal;

/** A stable merge sort of {@code int} indices under a primitive comparator (no boxing). Thread-safe. */
public final class IntSort {

  /** Compares two indices. */
  @FunctionalInterface
  public interface Comparator {
    /**
     * Compares.
     *
     * @param a an index
     * @param b another index
     * @return negative, zero or positive
     */
    int compare(int a, int b);
  }

  private IntSort() {}

  /**
   * Sorts {@code a} stably.
   *
   * @param a the indices
   * @param cmp the order
   */
  public static void sort(int[] a, Comparator cmp) {
    int n = a.length;
    // insertion-sort runs of 32, then merge bottom-up
    for (int lo = 0; lo < n; lo += 32) {
      int hi = Math.min(n, lo + 32);
      for (int i = lo + 1; i < hi; i++) {
        int x = a[i];
        int j = i - 1;
        while (j >= lo && cmp.compare(a[j], x) > 0) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = x;
      }
    }
    int[] src = a;
    int[] dst = new int[n];
    for (int width = 32; width < n; width *= 2) {
      for (int lo = 0; lo < n; lo += 2 * width) {
        int mid = Math.min(n, lo + width);
        int hi = Math.min(n, lo + 2 * width);
        int i = lo;
        int j = mid;
        int k = lo;
        if (mid >= hi || cmp.compare(src[mid - 1], src[mid]) <= 0) {
          System.arraycopy(src, lo, dst, lo, hi - lo);
          continue;
        }
        while (i < mid && j < hi) {
          dst[k++] = cmp.compare(src[j], src[i]) < 0 ? src[j++] : src[i++];
        }
        while (i < mid) {
          dst[k++] = src[i++];
        }
        while (j < hi) {
          dst[k++] = src[j++];
        }
      }
      int[] t = src;
      src = dst;
      dst = t;
    }
    if (src != a) {
      System.arraycopy(src, 0, a, 0, n);
    }
  }

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
