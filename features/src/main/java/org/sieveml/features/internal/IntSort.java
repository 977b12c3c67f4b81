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
}
